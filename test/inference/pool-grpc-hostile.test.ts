import { credentials, Metadata, status as grpcStatus, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AudioIn } from "../../src/inference/grpc/generated/engine/inference/v1/AudioIn.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import type { RunningPoolServer } from "../../src/inference/grpc/pool-server.js";
import { loadInferenceProto } from "../../src/inference/grpc/proto.js";
import { encodeWav } from "../../src/inference/audio/wav.js";
import type { InferencePoolService } from "../../src/inference/pool-service.js";
import { eventually } from "../support/engine.js";
import {
  bearer,
  closedFor,
  errorFor,
  openAudioCall,
  openMessage,
  openRawAudioCall,
  serve,
  startTestPool,
  type AudioCall,
  type TestPool,
} from "../support/pool-audio-call.js";
import { TEST_INFERENCE_TOKEN } from "../support/pool-process.js";
import { rejection } from "../support/rejection.js";
import { FRAME_BYTES } from "../support/room-audio-client.js";

/*
 * What the pool's gRPC surface answers to callers that are not the engine or do not behave: each case names its
 * answer, and after each the pool (and, on StreamAudio, the same call) keeps serving.
 */

let testPool: TestPool;
/** The same pool behind a wrapper whose methods throw on demand: what an unexpected handler exception gets. */
let faultyServer: RunningPoolServer;
let faultyClient: PoolClient;
const faults = { openSession: false, status: false };

beforeAll(async () => {
  testPool = await startTestPool();
  const real = testPool.pool;
  const faulty: InferencePoolService = {
    openAudioSession(emit) {
      if (faults.openSession) throw new Error("session refused by the test");
      const session = real.openAudioSession(emit);
      return {
        ...session,
        chunk(streamId, seq, pcm16) {
          if (streamId === "boom") throw new TypeError("chunk handling broken by the test");
          session.chunk(streamId, seq, pcm16);
        },
      };
    },
    transcribe(pcm16, sampleRate) {
      if (pcm16.byteLength === 2) throw new RangeError("transcribe broken by the test");
      return real.transcribe(pcm16, sampleRate);
    },
    transcribeWav(wav) {
      return real.transcribeWav(wav);
    },
    synthesize(request, call) {
      return real.synthesize(request, call);
    },
    detectFaces: (image, call) => real.detectFaces(image, call),
    enhanceImage: (request, call) => real.enhanceImage(request, call),
    detectDeepfake: (image, call) => real.detectDeepfake(image, call),
    openVideoSession(emit) {
      return real.openVideoSession(emit);
    },
    status() {
      if (faults.status) throw new Error("status broken by the test");
      return real.status();
    },
    close: () => Promise.resolve(),
  };
  faultyServer = await serve(faulty, testPool.logger);
  faultyClient = new PoolClient(faultyServer.address, { token: TEST_INFERENCE_TOKEN });
  const models = await real.ready();
  expect(models.every((m) => m.loaded)).toBe(true);
}, 120_000);

afterAll(async () => {
  faultyClient?.close();
  await faultyServer?.close();
  await testPool?.close();
});

/** Opens and closes an empty stream: its `closed` proves the call still serves. */
async function assertServing(audio: AudioCall | AudioCall<AudioIn | Uint8Array>, streamId: string): Promise<void> {
  audio.call.write(openMessage(streamId));
  audio.call.write({ close: { stream_id: streamId } });
  await audio.next(closedFor(streamId));
  expect(audio.status()).toBeNull();
}

/** The generated client with no token interceptor: what any local process could run. */
function tokenlessClient(address: string) {
  const proto = loadInferenceProto();
  return new proto.engine.inference.v1.Inference(address, credentials.createInsecure());
}

function unaryError(run: (callback: (error: ServiceError | null) => void) => void): Promise<ServiceError | null> {
  return new Promise((resolve) => run((error) => resolve(error)));
}

describe("the pool's gRPC surface under hostile callers", () => {
  it("a missing, wrong or malformed token gets UNAUTHENTICATED `unauthorized: ...` on every RPC and opens nothing", async () => {
    const address = testPool.server.address;
    const before = await testPool.client.status();
    const bare = tokenlessClient(address);
    const wrongToken = new Metadata();
    wrongToken.set("authorization", `Bearer ${"w".repeat(43)}`);
    const basic = new Metadata();
    basic.set("authorization", `Basic ${TEST_INFERENCE_TOKEN}`);
    const prefixOfToken = new Metadata();
    prefixOfToken.set("authorization", `Bearer ${TEST_INFERENCE_TOKEN.slice(0, -1)}`);
    try {
      for (const metadata of [new Metadata(), wrongToken, basic, prefixOfToken]) {
        const status = await unaryError((cb) => bare.GetStatus({}, metadata, cb));
        expect(status).toMatchObject({ code: grpcStatus.UNAUTHENTICATED, details: expect.stringMatching(/^unauthorized: /) });
        const transcribe = await unaryError((cb) => bare.Transcribe({ pcm16: new Uint8Array(3_200), sample_rate: 16_000 }, metadata, cb));
        expect(transcribe).toMatchObject({ code: grpcStatus.UNAUTHENTICATED, details: expect.stringMatching(/^unauthorized: /) });

        const { audio, client } = openRawAudioCall(address, metadata);
        audio.call.write(openMessage("intruder"));
        audio.call.write({ chunk: { stream_id: "intruder", seq: 1, pcm16: new Uint8Array(FRAME_BYTES) } });
        const ended = await audio.ended();
        expect(ended).toMatchObject({ code: grpcStatus.UNAUTHENTICATED, details: expect.stringMatching(/^unauthorized: /) });
        expect(audio.received).toEqual([]);
        client.close();
      }
    } finally {
      bare.close();
    }
    // The engine's own client maps a refused token to model_unavailable: for its callers the pool is unusable.
    const wrongClient = new PoolClient(address, { token: "x".repeat(43) });
    expect(await rejection(wrongClient.status())).toMatchObject({ code: "model_unavailable" });
    wrongClient.close();

    const after = await testPool.client.status();
    expect(after.openStreams).toBe(before.openStreams);
    expect(after.server.unauthenticatedCalls - before.server.unauthenticatedCalls).toBe(13);
  });

  it("one call holds at most 128 streams: the 129th open gets too_many_streams and the call serves the others", async () => {
    const audio = await openAudioCall(testPool.client);
    try {
      for (let i = 0; i <= 128; i += 1) audio.call.write(openMessage(`s${i}`));
      expect((await audio.next(errorFor("s128"))).code).toBe("too_many_streams");
      expect((await testPool.client.status()).openStreams).toBeGreaterThanOrEqual(128);
      // One closed frees its place.
      audio.call.write({ close: { stream_id: "s0" } });
      await audio.next(closedFor("s0"));
      await assertServing(audio, "probe");
      for (let i = 1; i < 128; i += 1) audio.call.write({ close: { stream_id: `s${i}` } });
      await audio.next(closedFor("s127"), 10_000);
      expect(audio.received.filter((m) => m.error !== null && m.error !== undefined && m.error.stream_id !== "s128")).toEqual([]);
    } finally {
      audio.call.end();
    }
  });

  it("bad messages each get a stable code on the same call, which keeps serving after each", async () => {
    const { audio, client } = openRawAudioCall(testPool.server.address, bearer());
    try {
      await audio.accepted();
      const cases: { what: string; send: () => void; streamId: string; code: string }[] = [
        // Wire type 7 does not exist: protobuf cannot decode it.
        { what: "undecodable protobuf", send: () => audio.call.write(new Uint8Array([0x0f, 0xff, 0x01])), streamId: "", code: "invalid_audio" },
        // Field 1 (open) claiming 2^28 bytes it does not have.
        { what: "truncated protobuf", send: () => audio.call.write(new Uint8Array([0x0a, 0x80, 0x80, 0x80, 0x80, 0x01, 0x0a])), streamId: "", code: "invalid_audio" },
        { what: "an AudioIn with none of open, chunk, close", send: () => audio.call.write({}), streamId: "", code: "invalid_audio" },
        { what: "a chunk before its open", send: () => audio.call.write({ chunk: { stream_id: "early", seq: 1, pcm16: new Uint8Array(FRAME_BYTES) } }), streamId: "early", code: "unknown_stream" },
        { what: "a close without an open", send: () => audio.call.write({ close: { stream_id: "never" } }), streamId: "never", code: "unknown_stream" },
        { what: "an unsupported rate", send: () => audio.call.write(openMessage("rate0", 0)), streamId: "rate0", code: "invalid_audio" },
        { what: "a participant id over 128 characters", send: () => audio.call.write(openMessage("long-participant", 16_000, { participant_id: "p".repeat(129) })), streamId: "long-participant", code: "invalid_audio" },
        { what: "an empty session id", send: () => audio.call.write(openMessage("no-session", 16_000, { session_id: "" })), streamId: "no-session", code: "invalid_audio" },
        { what: "a VAD threshold out of range", send: () => audio.call.write(openMessage("vad-threshold", 16_000, { vad: { speech_threshold: 0.99 } })), streamId: "vad-threshold", code: "invalid_audio" },
        { what: "an end-of-turn silence out of range", send: () => audio.call.write(openMessage("vad-silence", 16_000, { vad: { end_of_turn_silence_ms: 50 } })), streamId: "vad-silence", code: "invalid_audio" },
        // The refusal echoes the id cut to the 160-character bound.
        { what: "a stream id over 160 characters", send: () => audio.call.write(openMessage("i".repeat(100_000))), streamId: "i".repeat(160), code: "invalid_audio" },
      ];
      for (const [index, c] of cases.entries()) {
        c.send();
        const error = await audio.next(errorFor(c.streamId));
        expect(error.code, c.what).toBe(c.code);
        await assertServing(audio, `probe-${index}`);
      }

      audio.call.write(openMessage("a"));
      const seqCases: { what: string; seq: number; bytes: number; code: string }[] = [
        { what: "a chunk over 64 KiB", seq: 1, bytes: 64 * 1024 + 2, code: "invalid_audio" },
        { what: "an odd byte count", seq: 2, bytes: FRAME_BYTES + 1, code: "invalid_audio" },
        { what: "a seq repeated", seq: 2, bytes: FRAME_BYTES, code: "invalid_audio" },
        { what: "a seq going back", seq: 1, bytes: FRAME_BYTES, code: "invalid_audio" },
        // 2^64 − 1 on the wire: a Number past 2^53 would be rounded, and the stream's next seqs refused.
        { what: "a seq past 2^53", seq: 2 ** 64 - 1, bytes: FRAME_BYTES, code: "invalid_audio" },
      ];
      for (const c of seqCases) {
        audio.call.write({ chunk: { stream_id: "a", seq: c.seq, pcm16: new Uint8Array(c.bytes) } });
        expect((await audio.next(errorFor("a"))).code, c.what).toBe(c.code);
      }
      // The stream itself carries on with the next seq and closes normally.
      audio.call.write({ chunk: { stream_id: "a", seq: 3, pcm16: new Uint8Array(1_024) } });
      audio.call.write({ close: { stream_id: "a" } });
      await audio.next(closedFor("a"));
      expect(audio.received.filter((m) => m.error?.stream_id === "a")).toHaveLength(seqCases.length);
      expect(audio.status()).toBeNull();

      const status = await testPool.client.status();
      expect(status.server.malformedMessages).toBeGreaterThanOrEqual(3);
      expect(status.server.handlerFaults).toBe(0);
    } finally {
      audio.call.end();
      client.close();
    }
  });

  it("a call cancelled mid-stream frees its streams; the pool serves the next call", async () => {
    const audio = await openAudioCall(testPool.client);
    for (const id of ["c1", "c2", "c3"]) audio.call.write(openMessage(id));
    for (let seq = 1; seq <= 20; seq += 1) {
      for (const id of ["c1", "c2", "c3"]) audio.call.write({ chunk: { stream_id: id, seq, pcm16: new Uint8Array(FRAME_BYTES) } });
    }
    await eventually(async () => ((await testPool.client.status()).openStreams >= 3 ? true : undefined));
    audio.call.cancel();
    expect((await audio.ended()).code).toBe(grpcStatus.CANCELLED);
    await eventually(async () => ((await testPool.client.status()).openStreams === 0 ? true : undefined));
    const next = await openAudioCall(testPool.client);
    await assertServing(next, "after-cancel");
    next.call.end();
  });

  it("an exception inside a handler answers `internal` to that stream or call alone, counted, and the pool keeps serving", async () => {
    const before = (await faultyClient.status()).server.handlerFaults;

    // StreamAudio's data handler: the stream gets an internal error, the call serves the next stream.
    const audio = await openAudioCall(faultyClient);
    audio.call.write(openMessage("boom"));
    audio.call.write({ chunk: { stream_id: "boom", seq: 1, pcm16: new Uint8Array(FRAME_BYTES) } });
    expect(await audio.next(errorFor("boom"))).toMatchObject({ code: "internal" });
    await assertServing(audio, "fine");
    audio.call.end();

    // StreamAudio's start: the call ends INTERNAL `internal: ...`.
    faults.openSession = true;
    const refused = openRawAudioCall(faultyServer.address, bearer());
    expect(await refused.audio.ended()).toMatchObject({ code: grpcStatus.INTERNAL, details: expect.stringMatching(/^internal: /) });
    refused.client.close();
    faults.openSession = false;

    // Transcribe and GetStatus: INTERNAL `internal: ...`, which the client reads as the pool code `internal`.
    expect(await rejection(faultyClient.transcribe(new Uint8Array(2), 16_000))).toMatchObject({ code: "internal" });
    faults.status = true;
    expect(await rejection(faultyClient.status())).toMatchObject({ code: "internal" });
    faults.status = false;

    const after = await faultyClient.status();
    expect(after.server.handlerFaults - before).toBe(4);
    // The same pool behind the plain server never faulted.
    expect((await testPool.client.status()).server.handlerFaults).toBe(0);
  });

  it("Transcribe with a WAV: the pool decodes it; bytes that are not one, or PCM and WAV together, get invalid_audio", async () => {
    const client = new PoolClient(testPool.server.address, { token: TEST_INFERENCE_TOKEN });
    try {
      const silence = encodeWav(new Float32Array(44_100), 44_100);
      const result = await client.transcribeWav(silence);
      expect(result.durationMs).toBe(1_000);
      expect(result.segments).toEqual([]);
      const notWav = await rejection(client.transcribeWav(new TextEncoder().encode("RIFF but not a wave file")));
      expect(notWav).toMatchObject({ code: "invalid_audio" });
      const both = await unaryError((cb) => client.grpc.Transcribe({ pcm16: new Uint8Array(3_200), sample_rate: 16_000, wav: silence }, cb));
      expect(both?.code).toBe(grpcStatus.INVALID_ARGUMENT);
      expect(both?.details).toMatch(/^invalid_audio: /);
    } finally {
      client.close();
    }
  });
});
