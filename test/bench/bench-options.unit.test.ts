import { describe, expect, it } from "vitest";
import { BenchUsageError, parseBenchOptions } from "../../scripts/bench/bench-options.js";

/** bench:inference's flags: `--only` picks parts, the face passes' lists parse like the VAD ones. */

describe("parseBenchOptions", () => {
  it("runs every part by default, and only the named ones with --only (in the bench's order)", () => {
    const all = parseBenchOptions([], {});
    if (all === "help") throw new Error("expected options");
    expect(all.parts).toEqual(["vad", "asr", "window", "face", "denoise", "wer", "tts", "enhance"]);
    const some = parseBenchOptions(["--only", "face,vad"], {});
    if (some === "help") throw new Error("expected options");
    expect(some.parts).toEqual(["vad", "face"]);
  });

  it("refuses a part it does not have", () => {
    expect(() => parseBenchOptions(["--only", "video"], {})).toThrow(BenchUsageError);
  });

  it("takes the face passes' stream counts, decoder threads, live cameras and batch size", () => {
    const options = parseBenchOptions(
      ["--face-streams", "64,1", "--decoder-threads", "2,1", "--live-streams", "100,25", "--face-batch", "4", "--quick"],
      {},
    );
    if (options === "help") throw new Error("expected options");
    expect(options).toMatchObject({
      mode: "quick",
      faceStreamCounts: [1, 64],
      faceDecoderThreads: [1, 2],
      faceLiveStreams: [25, 100],
      faceMaxBatch: 4,
      faceLiveMs: 3_000,
    });
    expect(() => parseBenchOptions(["--decoder-threads", "0"], {})).toThrow(BenchUsageError);
  });

  it("takes the gRPC passes' coalescing delay, 0 turning merging off", () => {
    const defaults = parseBenchOptions([], {});
    const off = parseBenchOptions(["--coalesce-ms", "0"], {});
    if (defaults === "help" || off === "help") throw new Error("expected options");
    expect(defaults.coalesceMaxDelayMs).toBe(32);
    expect(off.coalesceMaxDelayMs).toBe(0);
    expect(() => parseBenchOptions(["--coalesce-ms", "1.5"], {})).toThrow(BenchUsageError);
  });
});
