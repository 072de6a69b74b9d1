import { describe, expect, it } from "vitest";
import { ProgressMeter, formatProgress } from "../../loadtest/load-progress.js";
import type { EngineSample } from "../../loadtest/metrics-scraper.js";
import type { WorkerProgress } from "../../loadtest/worker-protocol.js";

const counts = (frames: number, utterances: number, transcripts: number, errors = 0): WorkerProgress => ({
  frames_sent: frames,
  utterances_sent: utterances,
  transcripts_received: transcripts,
  errors,
});

const engine: EngineSample = {
  at_ms: 0,
  cpu_seconds: 1,
  rss_bytes: 1500 * 2 ** 20,
  heap_bytes: 0,
  vad_queue: 3,
  asr_queue: 1,
  vad_batches: 0,
  vad_batch_items: 0,
  asr_rejected: 0,
  connected_clients: 12,
  models_loaded: 2,
  stages: {
    asr_queue_wait: { sum: 0, count: 0 },
    asr_run: { sum: 0, count: 0 },
    speech_end_to_transcript: { sum: 0, count: 0 },
  },
};

describe("the load run's progress line", () => {
  it("shows the cumulative counters and their rates, then the engine's gauges", () => {
    expect(
      formatProgress({ elapsedMs: 12_400, counts: counts(2400, 9, 18, 1), rates: { frames: 200, utterances: 0.75, transcripts: 1.5 }, engine }),
    ).toBe(
      "[12s] frames 2400 (200/s), utterances 9 (0.8/s), transcripts 18 (1.5/s), errors 1 | engine RSS 1500 MB, ASR queue 1, VAD queue 3, clients 12",
    );
  });

  it("leaves the engine out until a scrape came back", () => {
    expect(formatProgress({ elapsedMs: 0, counts: counts(0, 0, 0), rates: { frames: 0, utterances: 0, transcripts: 0 }, engine: undefined })).toBe(
      "[0s] frames 0 (0/s), utterances 0 (0.0/s), transcripts 0 (0.0/s), errors 0",
    );
  });

  it("each line carries the counters as they stand, rates since the stream's start", () => {
    const meter = new ProgressMeter(1_000);
    // 4 speakers: 200 frames a second.
    expect(meter.line(2_000, counts(200, 0, 0), undefined)).toBe("[1s] frames 200 (200/s), utterances 0 (0.0/s), transcripts 0 (0.0/s), errors 0");
    expect(meter.line(3_000, counts(400, 1, 0), undefined)).toBe("[2s] frames 400 (200/s), utterances 1 (0.5/s), transcripts 0 (0.0/s), errors 0");
    expect(meter.line(5_000, counts(800, 4, 6), engine)).toMatch(
      /^\[4s\] frames 800 \(200\/s\), utterances 4 \(1\.0\/s\), transcripts 6 \(1\.5\/s\), errors 0 \| engine RSS 1500 MB/,
    );
  });

  it("rates cover the last 10 s once the run is longer, so a stall shows", () => {
    const meter = new ProgressMeter(0);
    for (let s = 1; s <= 20; s++) meter.line(s * 1_000, counts(s * 200, s, 2 * s), undefined);
    // Sending stopped at 20 s; 10 s later nothing came in the window.
    for (let s = 21; s < 30; s++) meter.line(s * 1_000, counts(4000, 20, 40), undefined);
    expect(meter.line(30_000, counts(4000, 20, 40), undefined)).toBe(
      "[30s] frames 4000 (0/s), utterances 20 (0.0/s), transcripts 40 (0.0/s), errors 0",
    );
    // Half the window after the stop: half the rate.
    const other = new ProgressMeter(0);
    for (let s = 1; s <= 20; s++) other.line(s * 1_000, counts(s * 200, s, 2 * s), undefined);
    for (let s = 21; s < 25; s++) other.line(s * 1_000, counts(4000, 20, 40), undefined);
    expect(other.line(25_000, counts(4000, 20, 40), undefined)).toBe(
      "[25s] frames 4000 (100/s), utterances 20 (0.5/s), transcripts 40 (1.0/s), errors 0",
    );
  });
});
