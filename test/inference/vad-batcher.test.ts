import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { SileroVad } from "../../src/inference/models/silero-vad.js";
import { VadBatcher } from "../../src/inference/vad/vad-batcher.js";
import { VadBatcherError, type BatchedVadModel, type VadBatcherOptions } from "../../src/inference/vad/vad-batcher-contract.js";
import { rejection } from "../support/rejection.js";
import { mulberry32 } from "../support/seeded-random.js";

/*
 * Runs the real Silero VAD v5 (onnxruntime-node, CPU). The test signal is synthetic: harmonic tones under a syllable-
 * rate envelope plus seeded noise bursts. It is not speech; it only has to drive the model to varied,
 * state-dependent probabilities, so that a state mix-up between streams would change the numbers.
 */

const CHUNK = 512;
const STATE = 256;
/** Batched and single-row runs may take different kernel paths; allow float rounding, nothing more. */
const TOLERANCE = 1e-5;

function testSignal(seed: number, chunks: number): Float32Array[] {
  const rand = mulberry32(seed);
  const samples = new Float32Array(chunks * CHUNK);
  const f0 = 110 + 23 * (seed % 7);
  const syllableHz = 2.5 + (seed % 3) * 0.7;
  for (let n = 0; n < samples.length; n++) {
    const t = n / 16_000;
    const envelope = Math.max(0, Math.sin(2 * Math.PI * syllableHz * t + seed));
    const pitch = f0 * (1 + 0.1 * Math.sin(2 * Math.PI * 3 * t));
    let tone = 0;
    for (let h = 1; h <= 6; h++) tone += Math.sin(2 * Math.PI * pitch * h * t) / h;
    const burst = Math.floor(t * 3 + seed) % 4 === 0 ? 0.15 : 0;
    samples[n] = 0.25 * envelope * tone + (0.02 + burst) * (rand() * 2 - 1);
  }
  return Array.from({ length: chunks }, (_, c) => samples.subarray(c * CHUNK, (c + 1) * CHUNK));
}

let vad: SileroVad;
const references = new Map<number, number[]>();

/** Each stream alone, one chunk per model run, state carried by hand. */
async function reference(seed: number, chunks: number): Promise<number[]> {
  const known = references.get(seed);
  if (known !== undefined && known.length >= chunks) return known.slice(0, chunks);
  let state = new Float32Array(STATE);
  const out: number[] = [];
  for (const chunk of testSignal(seed, chunks)) {
    const result = await vad.runBatch(chunk, state, 1);
    state = result.state;
    out.push(result.probabilities[0] ?? Number.NaN);
  }
  references.set(seed, out);
  return out;
}

function at(chunks: Float32Array[], index: number): Float32Array {
  const chunk = chunks[index];
  if (chunk === undefined) throw new Error(`no chunk ${index}`);
  return chunk;
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(...actual.map((value, i) => Math.abs(value - (expected[i] ?? Number.NaN))));
  expect(worst).toBeLessThan(TOLERANCE);
}


const batchers: VadBatcher[] = [];
function makeBatcher(options: Partial<VadBatcherOptions> = {}): VadBatcher {
  const batcher = new VadBatcher(vad, options);
  batchers.push(batcher);
  return batcher;
}

describe("VadBatcher with Silero VAD v5", () => {
  beforeAll(async () => {
    vad = await SileroVad.load();
  });
  afterEach(async () => {
    for (const batcher of batchers.splice(0)) await batcher.close();
    vi.useRealTimers();
  });
  afterAll(async () => {
    await vad.close();
  });

  it("gives concurrent streams the same probabilities as running each alone", async () => {
    const streams = 32;
    const chunks = 40;
    const seeds = Array.from({ length: streams }, (_, i) => i + 1);
    const expected = await Promise.all(seeds.map((seed) => reference(seed, chunks)));

    // The signal must make state matter and differ between streams, or a leak would go unnoticed.
    const zeroState = await Promise.all(
      testSignal(1, chunks).map(
        async (chunk) => (await vad.runBatch(chunk, new Float32Array(STATE), 1)).probabilities[0] ?? 0,
      ),
    );
    const ref1 = expected[0] ?? [];
    expect(Math.max(...ref1.map((p, i) => Math.abs(p - (zeroState[i] ?? 0))))).toBeGreaterThan(0.1);
    expect(Math.max(...ref1.map((p, i) => Math.abs(p - (expected[1]?.[i] ?? 0))))).toBeGreaterThan(0.1);

    const batcher = makeBatcher();
    // Each stream sends its next chunk when the previous one's probability arrives, as a live stream would.
    const results = await Promise.all(
      seeds.map(async (seed) => {
        const id = `stream-${seed}`;
        batcher.open(id);
        const out: number[] = [];
        for (const chunk of testSignal(seed, chunks)) out.push(await batcher.enqueue(id, chunk));
        return out;
      }),
    );
    results.forEach((probabilities, i) => expectClose(probabilities, expected[i] ?? []));

    const stats = batcher.stats();
    expect(stats.chunksProcessed).toBe(streams * chunks);
    expect(stats.batchSizeSum).toBe(streams * chunks);
    expect(stats.batchesRun).toBeLessThan((streams * chunks) / 4);
    expect(stats.batchSizeSum / stats.batchesRun).toBeGreaterThan(4);
    expect(stats.batchSizes.filter((b) => b.le > 1).reduce((sum, b) => sum + b.count, 0)).toBeGreaterThan(0);
    expect(stats.batchSizes.reduce((sum, b) => sum + b.count, 0)).toBe(stats.batchesRun);
    // Every run lands in one run-time bucket (failed ones too; none failed here).
    expect(stats.runMs.reduce((sum, b) => sum + b.count, 0)).toBe(stats.batchesRun);
    expect(stats.runMs.at(-1)?.le).toBe(Number.POSITIVE_INFINITY);
    expect(stats).toMatchObject({ pendingChunks: 0, inFlightChunks: 0, openStreams: streams, failedBatches: 0 });
    // The poller's cheap read says what the full stats say.
    expect(batcher.progress()).toEqual({ processed: stats.chunksProcessed, pending: stats.pendingChunks });
  });

  it("keeps each stream's chunks in order when many are pending at once", async () => {
    const streams = 8;
    const chunks = 20;
    const batcher = makeBatcher({ maxBatchSize: 5 });
    const seeds = Array.from({ length: streams }, (_, i) => 100 + i);
    const expected = await Promise.all(seeds.map((seed) => reference(seed, chunks)));

    const results = await Promise.all(
      seeds.map((seed) => {
        batcher.open(`s${seed}`);
        // All chunks enqueued before any runs: only the state dependency keeps them apart.
        return Promise.all(testSignal(seed, chunks).map((chunk) => batcher.enqueue(`s${seed}`, chunk)));
      }),
    );
    results.forEach((probabilities, i) => expectClose(probabilities, expected[i] ?? []));

    const stats = batcher.stats();
    expect(stats.chunksProcessed).toBe(streams * chunks);
    // One chunk per stream per batch: at least `chunks` batches, none above maxBatchSize.
    expect(stats.batchesRun).toBeGreaterThanOrEqual(chunks);
    expect(stats.batchSizes.at(-1)).toEqual({ le: 5, count: expect.any(Number) });
    expect(stats.batchSizes.at(-1)?.count).toBeGreaterThan(0);
  });

  it("frees a closed stream's state; reopened, it starts from zero state", async () => {
    const expected = await reference(7, 12);
    const chunks = testSignal(7, 12);
    const batcher = makeBatcher({ maxBatchSize: 1 });
    batcher.open("a");
    const first: number[] = [];
    for (const chunk of chunks.slice(0, 10)) first.push(await batcher.enqueue("a", chunk));
    expectClose(first, expected.slice(0, 10));

    // With maxBatchSize 1 the next chunk goes in flight at once; the two after it wait.
    const inFlight = batcher.enqueue("a", at(chunks, 10));
    const waiting = [batcher.enqueue("a", at(chunks, 11)), batcher.enqueue("a", at(chunks, 0))];
    const waitingErrors = waiting.map(rejection);
    expect(batcher.stats()).toMatchObject({ inFlightChunks: 1, pendingChunks: 2 });
    expect(batcher.closeStream("a")).toBe(true);
    expect(batcher.closeStream("a")).toBe(false);
    expect(batcher.stats()).toMatchObject({ openStreams: 0, pendingChunks: 0 });
    for (const error of await Promise.all(waitingErrors)) {
      expect(error).toBeInstanceOf(VadBatcherError);
      expect(error).toMatchObject({ code: "unknown_stream", retryable: false });
    }

    // Reopened while the old chunk is still running: the old result must not land in the new state.
    batcher.open("a");
    const restarted = batcher.enqueue("a", at(chunks, 0));
    expect(Math.abs((await inFlight) - (expected[10] ?? 0))).toBeLessThan(TOLERANCE);
    const again = [await restarted];
    for (const chunk of chunks.slice(1, 4)) again.push(await batcher.enqueue("a", chunk));
    expectClose(again, expected.slice(0, 4));
    expect(await rejection(batcher.enqueue("b", at(chunks, 0)))).toMatchObject({
      code: "unknown_stream",
    });
  });

  it("closes streams left idle past idleTimeoutMs", async () => {
    // onnxruntime-node settles runs through setImmediate: leave that one real.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance", "Date"] });
    const expired: string[] = [];
    const batcher = makeBatcher({ idleTimeoutMs: 1_000, onStreamExpired: (id) => expired.push(id) });
    const chunk = at(testSignal(3, 1), 0);
    batcher.open("quiet");
    batcher.open("busy");

    await vi.advanceTimersByTimeAsync(600);
    const probability = batcher.enqueue("busy", chunk);
    await vi.advanceTimersByTimeAsync(batcher.options.maxWaitMs);
    expect(await probability).toBeGreaterThanOrEqual(0);

    await vi.advanceTimersByTimeAsync(1_000); // t = 1604: the sweep at 1500 saw "quiet" idle since 0
    expect(expired).toEqual(["quiet"]);
    expect(batcher.has("quiet")).toBe(false);
    expect(batcher.has("busy")).toBe(true);
    expect(await rejection(batcher.enqueue("quiet", chunk))).toMatchObject({ code: "unknown_stream" });

    await vi.advanceTimersByTimeAsync(1_000);
    expect(expired).toEqual(["quiet", "busy"]);
    expect(batcher.stats()).toMatchObject({ openStreams: 0, streamsExpired: 2 });
  });

  it("rejects chunks beyond maxPendingPerStream with overloaded", async () => {
    const expected = await reference(11, 6);
    const batcher = makeBatcher({ maxPendingPerStream: 4 });
    batcher.open("s");
    const attempts = testSignal(11, 6).map((chunk) => batcher.enqueue("s", chunk));
    const accepted = attempts.slice(0, 4);
    for (const overflow of attempts.slice(4)) {
      expect(await rejection(overflow)).toMatchObject({ code: "overloaded", retryable: true });
    }
    expectClose(await Promise.all(accepted), expected.slice(0, 4));
    expect(batcher.stats().rejected).toEqual({ overloaded: 2 });
  });

  it("bounds open streams with too_many_streams and refuses duplicates with stream_exists", () => {
    const batcher = makeBatcher({ maxStreams: 3 });
    batcher.open("a");
    batcher.open("b");
    batcher.open("c");
    expect(() => batcher.open("d")).toThrowError(
      expect.objectContaining({ code: "too_many_streams", retryable: true }),
    );
    expect(() => batcher.open("a")).toThrowError(expect.objectContaining({ code: "stream_exists" }));
    batcher.closeStream("b");
    batcher.open("d");
    expect(batcher.stats()).toMatchObject({ openStreams: 3, rejected: { too_many_streams: 1, stream_exists: 1 } });
  });

  it("rejects chunks of the wrong size with invalid_audio", async () => {
    const batcher = makeBatcher();
    batcher.open("s");
    expect(await rejection(batcher.enqueue("s", new Float32Array(100)))).toMatchObject({ code: "invalid_audio" });
  });

  it("rejects a failed batch's chunks with internal and keeps serving", async () => {
    let failNext = true;
    const flaky: BatchedVadModel = {
      chunkSamples: CHUNK,
      stateSize: STATE,
      runBatch: (input, state, batchSize) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error("session lost"));
        }
        return vad.runBatch(input, state, batchSize);
      },
    };
    const expected = await reference(9, 2);
    const chunks = testSignal(9, 2);
    const batcher = new VadBatcher(flaky);
    batchers.push(batcher);
    batcher.open("s");
    expect(await rejection(batcher.enqueue("s", at(chunks, 0)))).toMatchObject({ code: "internal", retryable: true });
    // The failed chunk did not advance the state: resending it continues the stream as if nothing happened.
    expectClose([await batcher.enqueue("s", at(chunks, 0)), await batcher.enqueue("s", at(chunks, 1))], expected);
    expect(batcher.stats()).toMatchObject({ failedBatches: 1, batchesRun: 2, rejected: { internal: 1 } });
  });

  it("close rejects waiting chunks, lets the running batch finish, and refuses new work", async () => {
    const expected = await reference(5, 3);
    const chunks = testSignal(5, 3);
    const batcher = makeBatcher({ maxBatchSize: 1 });
    batcher.open("s");
    const running = batcher.enqueue("s", at(chunks, 0));
    const waiting = rejection(batcher.enqueue("s", at(chunks, 1)));
    await batcher.close();
    expect(await waiting).toMatchObject({ code: "model_unavailable", retryable: true });
    expect(Math.abs((await running) - (expected[0] ?? 0))).toBeLessThan(TOLERANCE);
    expect(await rejection(batcher.enqueue("s", at(chunks, 2)))).toMatchObject({
      code: "model_unavailable",
    });
    expect(() => batcher.open("t")).toThrowError(expect.objectContaining({ code: "model_unavailable" }));
  });

  it("fills batches round-robin across groups: a group with more ready streams than a batch holds cannot crowd out another", async () => {
    // Rows are told apart by content: group B's chunks are constant, of a value no test signal has.
    const marker = (k: number) => 0.5 + k / 64;
    const batches: number[][] = [];
    const recording: BatchedVadModel = {
      chunkSamples: CHUNK,
      stateSize: STATE,
      runBatch: (input, state, batchSize) => {
        batches.push(Array.from({ length: batchSize }, (_, row) => input[row * CHUNK] ?? Number.NaN));
        return vad.runBatch(input, state, batchSize);
      },
    };
    const batcher = new VadBatcher(recording, { maxBatchSize: 4 });
    batchers.push(batcher);
    const flood = Array.from({ length: 8 }, (_, i) => `a${i}`);
    for (const id of flood) batcher.open(id, "call-a");
    batcher.open("b", "call-b");
    // Group A's eight streams are ready first, three chunks each; B's one stream after them.
    const work = flood.flatMap((id, i) => testSignal(200 + i, 3).map((chunk) => batcher.enqueue(id, chunk)));
    const bChunks = [0, 1, 2].map((k) => new Float32Array(CHUNK).fill(marker(k)));
    work.push(...bChunks.map((chunk) => batcher.enqueue("b", chunk)));
    await Promise.all(work);

    // The first batch started, full, as A's fourth stream became ready, before B had any chunk. From then on B had a
    // row in every batch while A filled the rest (first in, first out across streams would have put A's four
    // waiting streams before it).
    const bBatch = [0, 1, 2].map((k) => batches.findIndex((rows) => rows.some((first) => Math.abs(first - marker(k)) < 1e-6)));
    expect(bBatch).toEqual([1, 2, 3]);
    expect(batches.slice(0, 4).every((rows) => rows.length === 4)).toBe(true);
  });

  it("bounds the streams one group holds with too_many_streams, leaving the other groups their slots", () => {
    const batcher = makeBatcher({ maxStreams: 10, maxStreamsPerGroup: 2 });
    batcher.open("a1", "call-a");
    batcher.open("a2", "call-a");
    expect(() => batcher.open("a3", "call-a")).toThrowError(expect.objectContaining({ code: "too_many_streams", retryable: true }));
    batcher.open("b1", "call-b");
    batcher.open("b2", "call-b");
    batcher.closeStream("a1");
    batcher.open("a3", "call-a");
    expect(batcher.stats()).toMatchObject({ openStreams: 4, rejected: { too_many_streams: 1 } });
  });
});

describe("VadBatcher waits only for streams that can come", () => {
  // A stand-in model: each row's probability is its chunk's first sample, so rows are told apart by content. Time is
  // fake and only moves when a test moves it; setImmediate stays real, so awaiting one drains pending microtasks.
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const chunkOf = (value: number) => new Float32Array(CHUNK).fill(value);
  let batches: number[][];
  let echo: VadBatcher;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance", "Date"] });
    batches = [];
    const model: BatchedVadModel = {
      chunkSamples: CHUNK,
      stateSize: STATE,
      runBatch: (input, state, batchSize) => {
        const rows = Array.from({ length: batchSize }, (_, row) => input[row * CHUNK] ?? Number.NaN);
        batches.push(rows);
        return Promise.resolve({ probabilities: Float32Array.from(rows), state: state.slice() });
      },
    };
    echo = new VadBatcher(model, { maxWaitMs: 50 });
  });
  afterEach(async () => {
    await echo.close();
    vi.useRealTimers();
  });

  it("runs a lone stream's chunk at once, without waiting out maxWaitMs", async () => {
    echo.open("lone");
    const probability = echo.enqueue("lone", chunkOf(0.25));
    await turn();
    expect(batches).toEqual([[0.25]]);
    expect(await probability).toBe(0.25);
    // Chunk after chunk, each answered before the next is sent (a live stream): none waits either.
    for (const value of [0.5, 0.75]) expect(await echo.enqueue("lone", chunkOf(value))).toBe(value);
    expect(batches).toEqual([[0.25], [0.5], [0.75]]);
  });

  it("keeps the window while another open stream has no chunk yet, and runs as soon as it has one", async () => {
    echo.open("a");
    echo.open("b");
    const first = echo.enqueue("a", chunkOf(0.25));
    await vi.advanceTimersByTimeAsync(49);
    expect(batches).toEqual([]);
    const second = echo.enqueue("b", chunkOf(0.5));
    await turn();
    expect(batches).toEqual([[0.25, 0.5]]);
    expect(await Promise.all([first, second])).toEqual([0.25, 0.5]);

    // b sends nothing this time: a's chunk runs alone once it has waited maxWaitMs.
    const alone = echo.enqueue("a", chunkOf(0.75));
    await vi.advanceTimersByTimeAsync(49);
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([[0.25, 0.5], [0.75]]);
    expect(await alone).toBe(0.75);
  });

  it("runs at once when the stream the others wait for closes", async () => {
    echo.open("a");
    echo.open("b");
    const waiting = echo.enqueue("a", chunkOf(0.25));
    await turn();
    expect(batches).toEqual([]);
    echo.closeStream("b");
    await turn();
    expect(batches).toEqual([[0.25]]);
    expect(await waiting).toBe(0.25);
  });

  it("gives streams opened and fed in the same turn one batch", async () => {
    const results = [0.25, 0.5, 0.75].map((value, i) => {
      echo.open(`s${i}`);
      return echo.enqueue(`s${i}`, chunkOf(value));
    });
    await turn();
    expect(batches).toEqual([[0.25, 0.5, 0.75]]);
    expect(await Promise.all(results)).toEqual([0.25, 0.5, 0.75]);
  });
});
