import { afterEach, describe, expect, it } from "vitest";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { startPoolServer, type RunningPoolServer } from "../../src/inference/grpc/pool-server.js";
import { VideoLink, type VideoLinkOptions } from "../../src/inference/grpc/video-link.js";
import type { InferencePoolService, VideoSessionHandle } from "../../src/inference/pool-service.js";
import type { VideoOutput } from "../../src/inference/pool-types.js";
import { createLogger } from "../../src/logger.js";
import { eventually } from "../support/engine.js";
import { callLog, notServed } from "../support/fake-pool-service.js";
import { freePort, TEST_INFERENCE_TOKEN } from "../support/pool-process.js";

/*
 * The video link against a fake pool behind the real gRPC server: what each StreamVideo call of the link carries
 * (opens, frames, closes, in order), what the room hears back, and what the link keeps while the pool is away.
 */

const logger = createLogger("silent");
/** Stands in for a JPEG: the fake pool never decodes it. */
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);

/**
 * A pool that records every message of each call and answers each frame with its faces (none) and each close with
 * `closed`, at once or never (`holdCloses`: a pool still finishing the stream when its call is lost).
 */
function fakePool(holdCloses: boolean) {
  const log = callLog();
  const service: InferencePoolService = {
    ...notServed(),
    openVideoSession(emit): VideoSessionHandle {
      const record = log.nextCall();
      return {
        open: (open) => record(`open ${open.streamId} ${open.sessionId} ${open.participantId}`),
        frame(streamId, seq, _jpeg, capturedAtMs) {
          record(`frame ${streamId} ${seq}`);
          const timings = { queueMs: 0, decodeMs: 0, detectMs: 0, expressionMs: 0, totalMs: 0 };
          emit({ kind: "faces", streamId, seq, atMs: capturedAtMs, faces: [], timings });
        },
        close(streamId) {
          record(`close ${streamId}`);
          if (!holdCloses) emit({ kind: "closed", streamId });
        },
        end: () => record("end"),
      };
    },
  };
  return { service, of: log.of };
}

let teardown: (() => Promise<void>) | undefined;

afterEach(async () => {
  await teardown?.();
  teardown = undefined;
});

async function setUp(options: { holdCloses?: boolean; link?: Partial<VideoLinkOptions> } = {}) {
  const pool = fakePool(options.holdCloses ?? false);
  const port = await freePort();
  const start = () => startPoolServer(pool.service, logger, { host: "127.0.0.1", port, token: TEST_INFERENCE_TOKEN });
  const servers: RunningPoolServer[] = [await start()];
  const client = new PoolClient(`127.0.0.1:${port}`, { token: TEST_INFERENCE_TOKEN });
  const outputs: VideoOutput[] = [];
  const connection: ("connected" | "disconnected")[] = [];
  const link = new VideoLink(
    client,
    { output: (output) => void outputs.push(output), connection: (state) => void connection.push(state) },
    logger,
    { reconnectMinMs: 10, reconnectMaxMs: 50, ...options.link },
  );
  teardown = async () => {
    link.end();
    client.close();
    await Promise.all(servers.map((s) => s.close()));
  };
  const times = (state: "connected" | "disconnected") => connection.filter((c) => c === state).length;
  const until = <T>(probe: () => T | undefined) => eventually(probe, 10_000);
  const untilTrue = (probe: () => boolean) => until(() => (probe() ? true : undefined));
  await untilTrue(() => times("connected") === 1);
  const openStream = (streamId: string) => link.open({ streamId, sessionId: "session-1", participantId: `p-${streamId}` });
  /** Hands the link frame `seq` of `streamId`, captured at seq × 100 ms. */
  const send = (streamId: string, seq: number) => link.frame(streamId, seq, JPEG, seq * 100);
  /** Stops the pool; resolves once the link has noticed. */
  const outage = async () => {
    const lost = times("disconnected") + 1;
    await servers.at(-1)?.close();
    await untilTrue(() => times("disconnected") === lost);
  };
  /** A pool on the same port again; resolves once the link has reconnected (and re-opened its streams). */
  const restore = async () => {
    const connected = times("connected") + 1;
    servers.push(await start());
    await untilTrue(() => times("connected") === connected);
  };
  /** The outputs the room heard of one kind, as `<stream> <seq>` (or just the stream for closes and errors). */
  const heard = (kind: VideoOutput["kind"]) =>
    outputs.filter((o) => o.kind === kind).map((o) => ("seq" in o ? `${o.streamId} ${o.seq}` : o.streamId));
  return { pool, link, outputs, connection, until, untilTrue, openStream, send, outage, restore, heard };
}

describe("VideoLink", () => {
  it("frames reach the pool in order after their stream's open, and each frame's answer comes back", async () => {
    const t = await setUp();
    t.openStream("s1");
    t.openStream("s2");
    expect([t.send("s1", 1), t.send("s2", 1), t.send("s1", 2), t.send("s1", 3)]).toEqual([true, true, true, true]);
    await t.untilTrue(() => t.heard("faces").length === 4);
    expect(t.pool.of(1)).toEqual(["open s1 session-1 p-s1", "open s2 session-1 p-s2", "frame s1 1", "frame s2 1", "frame s1 2", "frame s1 3"]);
    expect(t.heard("faces")).toEqual(["s1 1", "s2 1", "s1 2", "s1 3"]);
    // Its capture time comes back with it.
    expect(t.outputs[3]).toEqual(expect.objectContaining({ kind: "faces", streamId: "s1", seq: 3, atMs: 300, faces: [] }));
    expect(t.link.connected).toBe(true);
  });

  it("while the pool is away keeps the newest frame per stream (the replaced ones dropped), then re-opens and delivers it", async () => {
    const t = await setUp();
    t.openStream("s1");
    t.openStream("s2");
    t.send("s1", 1);
    await t.untilTrue(() => t.heard("faces").length === 1);

    await t.outage();
    expect(t.link.connected).toBe(false);
    // Accepted though unsent: each replaces its stream's previous one, which is worth nothing now.
    expect([t.send("s1", 2), t.send("s1", 3), t.send("s2", 1), t.send("s1", 4), t.send("s2", 2)]).toEqual([true, true, true, true, true]);
    expect(t.heard("dropped")).toEqual(["s1 2", "s1 3", "s2 1"]);

    await t.restore();
    await t.untilTrue(() => t.heard("faces").length === 3);
    expect(t.pool.of(2)).toEqual(["open s1 session-1 p-s1", "open s2 session-1 p-s2", "frame s1 4", "frame s2 2"]);
    expect(t.heard("faces")).toEqual(["s1 1", "s1 4", "s2 2"]);
    expect(t.heard("dropped")).toEqual(["s1 2", "s1 3", "s2 1"]);
    expect(t.connection).toEqual(["connected", "disconnected", "connected"]);
    // Live again on the new call.
    t.send("s1", 5);
    await t.untilTrue(() => t.heard("faces").length === 4);
    expect(t.pool.of(2).at(-1)).toBe("frame s1 5");
  });

  it("a close while connected: written after the stream's frames, and the room hears exactly one closed", async () => {
    const t = await setUp();
    t.openStream("s1");
    t.send("s1", 1);
    t.link.close("s1");
    // Closing it again, or a stream never opened, writes nothing.
    t.link.close("s1");
    t.link.close("never");
    await t.untilTrue(() => t.heard("closed").length === 1);
    // A probe opened and closed after it: once its closed is back, every answer to s1's close is too.
    t.openStream("probe");
    t.link.close("probe");
    await t.untilTrue(() => t.heard("closed").includes("probe"));
    expect(t.pool.of(1)).toEqual(["open s1 session-1 p-s1", "frame s1 1", "close s1", "open probe session-1 p-probe", "close probe"]);
    expect(t.heard("closed")).toEqual(["s1", "probe"]);
    expect(t.heard("faces")).toEqual(["s1 1"]);
    expect(t.send("s1", 2)).toBe(false);
  });

  it("a close the lost call never acknowledged is reported closed once, and the stream is not re-opened", async () => {
    const t = await setUp({ holdCloses: true });
    t.openStream("s1");
    t.openStream("s2");
    t.link.close("s1");
    await t.untilTrue(() => t.pool.of(1).includes("close s1"));
    expect(t.heard("closed")).toEqual([]);

    await t.outage();
    expect(t.heard("closed")).toEqual(["s1"]);
    await t.restore();
    await t.untilTrue(() => t.pool.of(2).length === 1);
    expect(t.pool.of(2)).toEqual(["open s2 session-1 p-s2"]);
    expect(t.heard("closed")).toEqual(["s1"]);
  });

  it("a close while the pool is away: its kept frame is dropped, it is closed at once and never re-opened", async () => {
    const t = await setUp();
    t.openStream("s1");
    t.openStream("s2");
    await t.outage();
    t.send("s1", 1);
    t.link.close("s1");
    expect(t.outputs).toEqual([
      { kind: "dropped", streamId: "s1", seq: 1 },
      { kind: "closed", streamId: "s1" },
    ]);
    await t.restore();
    await t.untilTrue(() => t.pool.of(2).length === 1);
    expect(t.pool.of(2)).toEqual(["open s2 session-1 p-s2"]);
  });

  it("a frame for a stream never opened returns false, and opens past the link's bound are refused too_many_streams", async () => {
    const t = await setUp({ link: { maxStreams: 2 } });
    expect(t.send("never", 1)).toBe(false);
    t.openStream("s1");
    t.openStream("s2");
    t.openStream("s3");
    expect(t.outputs).toEqual([{ kind: "error", streamId: "s3", code: "too_many_streams", message: expect.stringContaining("2 streams") }]);
    expect(t.send("s3", 1)).toBe(false);
    // A closed stream makes room again.
    t.link.close("s1");
    t.openStream("s3");
    expect(t.send("s3", 1)).toBe(true);
    await t.untilTrue(() => t.heard("faces").length === 1);
    expect(t.pool.of(1)).toEqual(["open s1 session-1 p-s1", "open s2 session-1 p-s2", "close s1", "open s3 session-1 p-s3", "frame s3 1"]);
    expect(t.heard("faces")).toEqual(["s3 1"]);
  });
});
