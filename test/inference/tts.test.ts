import { status as grpcStatus, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SynthesizeRequest } from "../../src/inference/grpc/generated/engine/inference/v1/SynthesizeRequest.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { AbortedError, PoolError } from "../../src/inference/pool-error.js";
import type { ModelStatusView } from "../../src/inference/pool-service.js";
import type { SynthesisRequest, SynthesisResult } from "../../src/inference/pool-types.js";
import { eventually } from "../support/engine.js";
import { startTestPool, type TestPool } from "../support/pool-audio-call.js";
import { TEST_INFERENCE_TOKEN } from "../support/pool-process.js";
import { rejection } from "../support/rejection.js";

/**
 * Speech synthesis in the pool: the registry's `espeak_ng` (eSpeak NG on a thread of its own) behind the bounded
 * queue of Synthesize, over real gRPC. What the gateway promises its callers is in gateway-contract.ts; here are
 * the pool's own bounds: its checks on the wire, text that looks like options, cancelled and late requests that
 * never run, a full queue, and a pool without the model.
 */

/** ≈ 65 s of speech: long enough (≈ 0.15 s to synthesize) to keep a synthesis thread busy while a test acts. */
const LONG: SynthesisRequest = { text: "The quick brown fox jumps over the lazy dog. ".repeat(23).slice(0, 1_000).trim() };
const MAX_QUEUED = 6;

const ttsOf = (models: ModelStatusView[]) => models.find((m) => m.task === "tts");

describe("Synthesize on a pool serving espeak_ng", () => {
  let pool: TestPool;
  let instances = 1;
  const tts = () => {
    const model = ttsOf(pool.pool.status().models);
    if (model?.queue === null || model?.queue === undefined) throw new Error("no tts model with a queue");
    return model.queue;
  };
  const idle = () => eventually(() => (tts().running === 0 && tts().queuedLive === 0 ? true : undefined));
  /** Keeps every synthesis thread busy with two long utterances each; resolves once they all answered. */
  const occupy = () => Promise.all(Array.from({ length: instances * 2 }, () => pool.client.synthesize(LONG)));

  beforeAll(async () => {
    pool = await startTestPool({ models: ["espeak_ng"], tts: { maxQueued: MAX_QUEUED } });
    const models = await pool.pool.ready();
    instances = ttsOf(models)?.instances ?? 1;
  }, 60_000);
  afterAll(async () => {
    await pool?.close();
  });

  it("GetStatus lists it: task tts, runtime wasm, unbatched, one thread per instance, warmed up, with its queue", async () => {
    const model = ttsOf((await pool.client.status()).models);
    expect(model).toMatchObject({ name: "espeak_ng", task: "tts", runtime: "wasm", batching: "none", state: "loaded", loaded: true, error: null, threads: 1, batch: null });
    expect(model?.instances).toBeGreaterThanOrEqual(1);
    expect(model?.instances).toBeLessThanOrEqual(2);
    expect(model?.warmupMs).toBeGreaterThan(0);
    expect(model?.queue).toMatchObject({ queuedLive: 0, queuedFile: 0, running: 0 });
  });

  it("speaks the voices eSpeak NG lists, a language alone (`en`) and a variant after `+`", async () => {
    // (eSpeak NG 1.52 ignores a variant after `en-gb` itself, though not after `en`, `en-us` or `en-gb-x-rp`.)
    const voices = ["en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-us+f3", "en-us+m3", "en-gb-x-rp+f3", "de", "en"];
    const spoken: string[] = [];
    for (const voice of voices) {
      const result = await pool.client.synthesize({ text: "Good morning.", voice });
      expect(result.durationMs, voice).toBeGreaterThan(300);
      spoken.push(Buffer.from(result.pcm16.buffer).toString("base64"));
    }
    // Each voice its own sound, the variants too; `en` is eSpeak's English, en-gb.
    expect(new Set(spoken.slice(0, -1)).size).toBe(voices.length - 1);
    expect(spoken.at(-1)).toBe(spoken[1]);
  });

  it("speaks text that starts like an option (`--help`, `-v xx`, `-w /x.wav`) instead of reading it as one", async () => {
    const spoken = await Promise.all(["--help", "-v xx-yy hello", "-w /etc/passwd hello", "-"].map((text) => pool.client.synthesize({ text })));
    const [help, voice, write] = spoken;
    // eSpeak reading `--help` as an option prints its usage and writes no audio; `-v xx-yy` would fail the voice.
    for (const result of [help, voice, write]) {
      expect(result?.sampleRate).toBe(22_050);
      expect(result?.durationMs).toBeGreaterThan(200);
    }
    expect(voice?.durationMs).toBeGreaterThan(help?.durationMs ?? Infinity);
    // A lone dash is punctuation: answered all the same (near-silent), not read as "speak stdin".
    expect(spoken[3]?.sampleRate).toBe(22_050);
  });

  it("checks what arrives on the wire itself (not only the client): INVALID_ARGUMENT invalid_text", async () => {
    const call = (request: SynthesizeRequest) =>
      new Promise<ServiceError | null>((resolve) => pool.client.grpc.Synthesize(request, { deadline: Date.now() + 10_000 }, (error) => resolve(error)));
    for (const request of [
      { text: "" },
      { text: "   " },
      { text: "a".repeat(1_001) },
      { text: "Hi", voice: "xx-yy" },
      { text: "Hi", voice: "en-us+nope" },
      { text: "Hi", voice: "en-us -s 900" },
      { text: "Hi", rate_wpm: 79 },
      { text: "Hi", rate_wpm: 451 },
    ]) {
      const error = await call(request);
      expect(error?.code, JSON.stringify(request).slice(0, 80)).toBe(grpcStatus.INVALID_ARGUMENT);
      expect(error?.details).toMatch(/^invalid_text: /);
    }
    // The client refuses the same before sending (a rate of 0 too: proto3 would read it as "the default").
    for (const request of [{ text: "" }, { text: "Hi", rateWpm: 0 }]) {
      expect(await rejection(pool.client.synthesize(request))).toMatchObject({ code: "invalid_text", retryable: false });
    }
    expect((await pool.client.status()).server).toMatchObject({ handlerFaults: 0 });
  });

  it("a queued request whose call is cancelled never runs; the others are answered", async () => {
    const before = tts();
    const busy = occupy();
    await eventually(() => (tts().running === instances ? true : undefined));
    const abort = new AbortController();
    const victim = rejection(pool.client.synthesize({ text: "This sentence is never spoken." }, { signal: abort.signal }));
    await eventually(() => (tts().queuedLive >= instances + 1 ? true : undefined));
    abort.abort();
    const error = await victim;
    expect(error).toBeInstanceOf(AbortedError);
    expect(error).toMatchObject({ code: "ABORT_ERR", name: "AbortError" });
    expect((await busy).every((r) => r.pcm16.length > 0)).toBe(true);
    // Had the victim stayed queued it would run now, after the occupiers: wait for the pool to go idle, then count.
    await idle();
    expect(tts().completed).toBe(before.completed + instances * 2);
    expect((await pool.client.status()).server).toMatchObject({ handlerFaults: 0 });
  });

  it("a running request whose call is cancelled is answered at once; its result is dropped, no fault counted", async () => {
    const before = tts();
    const abort = new AbortController();
    const running = rejection(pool.client.synthesize(LONG, { signal: abort.signal }));
    await eventually(() => (tts().running >= 1 ? true : undefined));
    abort.abort();
    expect(await running).toMatchObject({ code: "ABORT_ERR" });
    await idle();
    // It had started: the thread finished it (counted), and its audio went nowhere.
    expect(tts().completed).toBe(before.completed + 1);
    expect((await pool.client.status()).server).toMatchObject({ handlerFaults: 0 });
  });

  it("an aborted signal sends nothing; a request past its deadline is deadline_exceeded and never runs", async () => {
    const aborted = new AbortController();
    aborted.abort();
    expect(await rejection(pool.client.synthesize({ text: "Never sent." }, { signal: aborted.signal }))).toMatchObject({ code: "ABORT_ERR" });

    const before = tts();
    const busy = occupy();
    await eventually(() => (tts().running === instances ? true : undefined));
    // The pool's own deadline (the one a gRPC call's deadline sets), passing while the request waits.
    const late = await rejection(pool.pool.synthesize({ text: "Too late to matter." }, { deadlineMs: Date.now() + 20 }));
    expect(late).toBeInstanceOf(Error);
    expect(late).toMatchObject({ code: "deadline_exceeded", retryable: true });
    // A client whose call deadline passes first: the same code, and the pool drops the request.
    const hasty = new PoolClient(pool.server.address, { token: TEST_INFERENCE_TOKEN, synthesizeTimeoutMs: 30 });
    try {
      expect(await rejection(hasty.synthesize({ text: "Also too late." }))).toMatchObject({ code: "deadline_exceeded", retryable: true });
    } finally {
      hasty.close();
    }
    await busy;
    await idle();
    expect(tts().completed).toBe(before.completed + instances * 2);
    expect(tts().rejectedDeadline).toBeGreaterThan(before.rejectedDeadline);
  });

  it("past its queue bound a request is refused overloaded (retryable); every accepted one is answered", async () => {
    const requests = Array.from({ length: instances + MAX_QUEUED + 3 }, () => pool.client.synthesize(LONG).catch((error: unknown) => error));
    const outcomes = await Promise.all(requests);
    const refused = outcomes.filter((o): o is PoolError => o instanceof PoolError);
    const answered = outcomes.filter((o): o is SynthesisResult => !(o instanceof Error));
    expect(refused.length).toBeGreaterThan(0);
    for (const error of refused) expect(error).toMatchObject({ code: "overloaded", retryable: true, message: expect.stringContaining("speech synthesis queue is full") });
    expect(answered.length + refused.length).toBe(requests.length);
    expect(answered.length).toBeGreaterThanOrEqual(instances + MAX_QUEUED);
    expect(tts().rejectedOverloaded).toBe(refused.length);
  }, 30_000);
});

describe("a pool without the tts model", () => {
  let pool: TestPool;
  beforeAll(async () => {
    pool = await startTestPool({ models: ["rnnoise"] });
    await pool.pool.ready();
  }, 60_000);
  afterAll(async () => {
    await pool?.close();
  });

  it("answers model_unavailable (retryable), never audio, and lists no tts model", async () => {
    const refused = await rejection(pool.client.synthesize({ text: "The quick brown fox jumps over the lazy dog" }));
    expect(refused).toBeInstanceOf(PoolError);
    expect(refused).toMatchObject({ code: "model_unavailable", retryable: true, message: expect.stringMatching(/^no tts model is configured \(espeak_ng: not in the pool's configured models/) });
    // Bad text is still bad text: refused for what it is, model or not.
    expect(await rejection(pool.pool.synthesize({ text: "" }))).toMatchObject({ code: "invalid_text" });
    expect(ttsOf((await pool.client.status()).models)).toBeUndefined();
  });
});
