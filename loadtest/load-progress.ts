import type { EngineSample } from "./metrics-scraper.js";
import type { WorkerProgress } from "./worker-protocol.js";

export function formatProgress(startAtMs: number, p: WorkerProgress, engine: EngineSample | undefined): string {
  const seconds = Math.max(0, (Date.now() - startAtMs) / 1000).toFixed(0);
  const engineText =
    engine === undefined
      ? ""
      : ` | engine RSS ${(engine.rss_bytes / 2 ** 20).toFixed(0)} MB, ASR queue ${engine.asr_queue}, VAD queue ${engine.vad_queue}, clients ${engine.connected_clients}`;
  return `[${seconds}s] frames ${p.frames_sent}, utterances ${p.utterances_sent}, transcripts ${p.transcripts_received}, errors ${p.errors}${engineText}`;
}
