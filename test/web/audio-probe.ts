import type { Page } from "playwright-core";

/** One AudioBufferSourceNode the page started, as Web Audio saw it (context seconds). */
export interface ProbedSource {
  /** When it was scheduled to start, and its buffer's length. */
  when: number;
  duration: number;
  /** The context's clock at `start()`, at `stop()` (null if never stopped) and at its `ended` event (null before). */
  startedAt: number;
  stoppedAt: number | null;
  endedAt: number | null;
}

interface ProbeWindow {
  audioSources: ProbedSource[];
}

/**
 * Records every AudioBufferSourceNode the page starts, stops and hears end, by wrapping Web Audio's own methods
 * before the page loads: what the browser was told to play, independent of the page's own counters.
 */
export async function probeAudioSources(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const sources: ProbedSource[] = [];
    Object.assign(window, { audioSources: sources });
    const { start, stop } = AudioBufferSourceNode.prototype;
    const probed = new WeakMap<AudioBufferSourceNode, ProbedSource>();
    AudioBufferSourceNode.prototype.start = function (this: AudioBufferSourceNode, when?: number, offset?: number, duration?: number) {
      const source: ProbedSource = {
        when: when ?? 0,
        duration: this.buffer?.duration ?? 0,
        startedAt: this.context.currentTime,
        stoppedAt: null,
        endedAt: null,
      };
      probed.set(this, source);
      sources.push(source);
      this.addEventListener("ended", () => (source.endedAt = this.context.currentTime));
      start.call(this, when, offset, duration);
    };
    AudioBufferSourceNode.prototype.stop = function (this: AudioBufferSourceNode, when?: number) {
      const source = probed.get(this);
      if (source !== undefined) source.stoppedAt = this.context.currentTime;
      stop.call(this, when);
    };
  });
}

export function probedSources(page: Page): Promise<ProbedSource[]> {
  return page.evaluate(() => (window as unknown as ProbeWindow).audioSources);
}
