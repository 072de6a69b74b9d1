import type { ClientDuplexStream } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VideoIn } from "../../src/inference/grpc/generated/engine/inference/v1/VideoIn.js";
import type { VideoOut__Output } from "../../src/inference/grpc/generated/engine/inference/v1/VideoOut.js";
import { videoOutputFromWire } from "../../src/inference/grpc/video-wire.js";
import { EXPRESSIONS, type VideoOutput } from "../../src/inference/pool-types.js";
import { eventually } from "../support/engine.js";
import { startTestPool, type TestPool } from "../support/pool-audio-call.js";
import { createTestPhotos, type TestPhoto } from "../support/test-photos.js";

/**
 * StreamVideo on a real pool over real gRPC: real camera frames (photos Debian ships) through BlazeFace and the
 * expression model, and what each bad input gets back.
 */

let testPool: TestPool;
let astronaut: TestPhoto;
let cat: TestPhoto;
beforeAll(async () => {
  const photos = createTestPhotos();
  [testPool, astronaut, cat] = await Promise.all([startTestPool(), photos.photo("astronaut"), photos.photo("chelsea")]);
}, 120_000);
afterAll(async () => {
  await testPool?.close();
});

interface VideoCall {
  call: ClientDuplexStream<VideoIn, VideoOut__Output>;
  outputs: VideoOutput[];
  /** The outputs of one stream, once `probe` accepts them. */
  until<T>(probe: (outputs: VideoOutput[]) => T | undefined, timeoutMs?: number): Promise<T>;
}

function openVideoCall(pool: TestPool): VideoCall {
  const call = pool.client.grpc.StreamVideo();
  const outputs: VideoOutput[] = [];
  call.on("data", (message: VideoOut__Output) => {
    const output = videoOutputFromWire(message);
    if (output !== null) outputs.push(output);
  });
  call.on("error", () => {});
  return { call, outputs, until: (probe, timeoutMs = 30_000) => eventually(() => probe(outputs), timeoutMs) };
}

const open = (streamId: string): VideoIn => ({ open: { stream_id: streamId, session_id: "session-1", participant_id: "participant-1" } });
const frame = (streamId: string, seq: number, jpeg: Uint8Array, capturedAtMs = seq * 500): VideoIn => ({
  frame: { stream_id: streamId, seq, jpeg, captured_at_ms: capturedAtMs },
});
const of = (streamId: string) => (outputs: VideoOutput[]) => outputs.filter((o) => o.streamId === streamId);

describe("StreamVideo", () => {
  it("a face photo gets one face, its box inside the frame, with an expression; a cat gets none; times are echoed", async () => {
    const video = openVideoCall(testPool);
    try {
      video.call.write(open("cam-1"));
      video.call.write(frame("cam-1", 1, astronaut.jpeg, 1_234));
      const [faces] = await video.until((outputs) => {
        const found = of("cam-1")(outputs).filter((o) => o.kind === "faces");
        return found.length > 0 ? found : undefined;
      });
      if (faces?.kind !== "faces") throw new Error("expected faces");
      expect(faces.seq).toBe(1);
      expect(faces.atMs).toBe(1_234);
      expect(faces.faces).toHaveLength(1);
      const [face] = faces.faces;
      if (face === undefined) throw new Error("expected a face");
      expect(face.box.x).toBeGreaterThanOrEqual(0);
      expect(face.box.y).toBeGreaterThanOrEqual(0);
      expect(face.box.x + face.box.width).toBeLessThanOrEqual(astronaut.width);
      expect(face.box.y + face.box.height).toBeLessThanOrEqual(astronaut.height);
      expect(face.score).toBeGreaterThan(0.75);
      expect(EXPRESSIONS).toContain(face.expression);
      expect(Object.values(face.scores).reduce((sum, score) => sum + score, 0)).toBeCloseTo(1, 3);
      expect(faces.timings.totalMs).toBeGreaterThanOrEqual(faces.timings.decodeMs);

      video.call.write(frame("cam-1", 2, cat.jpeg));
      const catFrame = await video.until((outputs) => of("cam-1")(outputs).find((o) => o.kind === "faces" && o.seq === 2));
      expect(catFrame).toMatchObject({ kind: "faces", faces: [] });
      video.call.write({ close: { stream_id: "cam-1" } });
      await video.until((outputs) => of("cam-1")(outputs).find((o) => o.kind === "closed"));
      expect(of("cam-1")(video.outputs).filter((o) => o.kind === "error")).toEqual([]);
    } finally {
      video.call.end();
    }
  }, 60_000);

  it("a burst on one stream: frames overtaken before they start are dropped, every seq answered once, the last analysed", async () => {
    const video = openVideoCall(testPool);
    try {
      video.call.write(open("burst"));
      const frames = 12;
      for (let seq = 1; seq <= frames; seq += 1) video.call.write(frame("burst", seq, astronaut.jpeg));
      const answered = await video.until((outputs) => {
        const mine = of("burst")(outputs).filter((o) => o.kind === "faces" || o.kind === "dropped");
        return mine.length === frames ? mine : undefined;
      });
      const seqs = answered.map((o) => ("seq" in o ? o.seq : 0)).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: frames }, (_, i) => i + 1));
      expect(answered.some((o) => o.kind === "dropped")).toBe(true);
      expect(answered.find((o) => "seq" in o && o.seq === frames)?.kind).toBe("faces");
    } finally {
      video.call.end();
    }
  }, 60_000);

  it("a call that hangs up with frames queued: they are dropped unanalysed, and the next camera is served", async () => {
    const framesRun = () => testPool.pool.status().models.find((m) => m.task === "face_detect")?.batch?.items ?? 0;
    const idle = () => {
      const queue = testPool.pool.status().models.find((m) => m.task === "face_detect")?.queue;
      return queue !== undefined && queue !== null && queue.queuedLive === 0 && queue.running === 0 ? true : undefined;
    };
    const before = framesRun();
    const streams = 40;
    const hangUp = openVideoCall(testPool);
    for (let i = 0; i < streams; i += 1) {
      hangUp.call.write(open(`gone-${i}`));
      hangUp.call.write(frame(`gone-${i}`, 1, astronaut.jpeg));
    }
    hangUp.call.end();
    // The pool has its frames once a first batch of them has run; then it goes idle.
    await eventually(() => (framesRun() > before ? true : undefined), 30_000);
    await eventually(idle, 30_000);
    // At most the batches already running when the call ended ran: the rest of the 40 frames never did.
    expect(framesRun() - before).toBeLessThan(streams);
    const next = openVideoCall(testPool);
    try {
      next.call.write(open("next"));
      next.call.write(frame("next", 1, astronaut.jpeg));
      const answer = await next.until((outputs) => outputs.find((o) => o.streamId === "next" && o.kind !== "closed"));
      expect(answer).toMatchObject({ kind: "faces", seq: 1 });
    } finally {
      next.call.end();
    }
  }, 60_000);

  it("a seq or capture time past 2^53 (rounded as a Number) is refused as such; the stream goes on with its next frame", async () => {
    const video = openVideoCall(testPool);
    try {
      video.call.write(open("big"));
      video.call.write({ frame: { stream_id: "big", seq: "18446744073709551615", jpeg: cat.jpeg, captured_at_ms: 0 } });
      video.call.write({ frame: { stream_id: "big", seq: 1, jpeg: cat.jpeg, captured_at_ms: "9007199254740993" } });
      const errors = await video.until((outputs) => {
        const found = of("big")(outputs).filter((o) => o.kind === "error");
        return found.length === 2 ? found : undefined;
      });
      expect(errors.map((e) => (e.kind === "error" ? e.code : ""))).toEqual(["invalid_video", "invalid_video"]);
      video.call.write(frame("big", 1, cat.jpeg));
      expect(await video.until((outputs) => of("big")(outputs).find((o) => o.kind === "faces"))).toMatchObject({ seq: 1 });
    } finally {
      video.call.end();
    }
  }, 60_000);

  it("bad input gets a stable code for that stream alone, and the call goes on serving", async () => {
    const video = openVideoCall(testPool);
    try {
      video.call.write(open("good"));
      video.call.write(open("good"));
      video.call.write(frame("never-opened", 1, astronaut.jpeg));
      video.call.write(frame("good", 1, new TextEncoder().encode("GIF89a, not a JPEG")));
      video.call.write(frame("good", 1, astronaut.jpeg));
      video.call.write(frame("good", 2, new Uint8Array(300 * 1024)));
      video.call.write({ close: { stream_id: "never-opened" } });
      // Not a JPEG (answered once it reaches the decoder), a seq that does not follow, over 256 KB (refused on arrival).
      const errors = await video.until((outputs) => {
        const found = outputs.filter((o) => o.kind === "error");
        return found.length >= 6 ? found : undefined;
      });
      const codes = errors.map((e) => (e.kind === "error" ? `${e.streamId} ${e.code}` : "")).sort();
      expect(codes).toEqual([
        "good invalid_video",
        "good invalid_video",
        "good invalid_video",
        "good stream_exists",
        "never-opened unknown_stream",
        "never-opened unknown_stream",
      ]);
      video.call.write(frame("good", 3, astronaut.jpeg));
      const served = await video.until((outputs) => of("good")(outputs).find((o) => o.kind === "faces" && o.seq === 3));
      expect(served).toMatchObject({ kind: "faces" });
    } finally {
      video.call.end();
    }
  }, 60_000);
});

describe("StreamVideo without the face models", () => {
  let audioOnly: TestPool;
  beforeAll(async () => {
    audioOnly = await startTestPool({ models: ["silero_vad_v5", "whisper_tiny_en_int8"] });
  }, 120_000);
  afterAll(async () => {
    await audioOnly?.close();
  });

  it("every frame answers model_unavailable, never a made-up face", async () => {
    const video = openVideoCall(audioOnly);
    try {
      video.call.write(open("cam"));
      video.call.write(frame("cam", 1, astronaut.jpeg));
      const error = await video.until((outputs) => outputs.find((o) => o.kind === "error"));
      expect(error).toMatchObject({ kind: "error", streamId: "cam", code: "model_unavailable" });
      expect(video.outputs.filter((o) => o.kind === "faces")).toEqual([]);
    } finally {
      video.call.end();
    }
  }, 60_000);
});
