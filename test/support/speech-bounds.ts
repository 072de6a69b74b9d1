/** Words of a transcript, lower case, punctuation dropped: compare with `expect.arrayContaining`. */
export function words(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z\s]/g, " ").split(/\s+/).filter(Boolean);
}

export interface SpeechBounds {
  /** Start of the first window whose level reaches the threshold, ms since the first sample. */
  startMs: number;
  /** End of the last such window. */
  endMs: number;
}

/**
 * Where speech really starts and ends in synthesized audio: eSpeak's output carries its own leading and trailing
 * silence, so the true bounds are found from the signal's energy in 10 ms windows (RMS at or above −40 dBFS).
 */
export function speechBoundsMs(samples: Float32Array, sampleRate: number, thresholdRms = 0.01): SpeechBounds {
  const window = Math.round(sampleRate / 100);
  let first = -1;
  let last = -1;
  for (let start = 0; start < samples.length; start += window) {
    const end = Math.min(samples.length, start + window);
    let sum = 0;
    for (let i = start; i < end; i++) {
      const sample = samples[i] ?? 0;
      sum += sample * sample;
    }
    if (Math.sqrt(sum / (end - start)) < thresholdRms) continue;
    if (first < 0) first = start;
    last = end;
  }
  if (first < 0) throw new Error("no speech in the samples");
  return { startMs: (first * 1000) / sampleRate, endMs: (last * 1000) / sampleRate };
}
