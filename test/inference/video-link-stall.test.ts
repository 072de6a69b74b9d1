import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { VideoLink } from "../../src/inference/grpc/video-link.js";
import type { VideoOutput } from "../../src/inference/pool-types.js";
import { createLogger } from "../../src/logger.js";
import { eventually } from "../support/engine.js";
import { freePort, spawnPool, stopPool, TEST_INFERENCE_TOKEN, type PoolProcess } from "../support/pool-process.js";
import { createTestPhotos, type TestPhoto } from "../support/test-photos.js";

/*
 * A pool that stops reading (its process stopped with SIGSTOP: a pool stuck, or a network that stalls) while a room
 * keeps filming. The link must notice the call's back-pressure and keep only the newest frame per stream, rather than
 * piling frames into gRPC's buffers where the pool's keep-newest cannot reach them; once the pool reads again, the
 * newest frame is delivered and answered.
 */

const FRAMES = 200;
let pool: PoolProcess;
let client: PoolClient;
let face: TestPhoto;

beforeAll(async () => {
  const port = await freePort();
  [pool, face] = await Promise.all([spawnPool({ INFERENCE_PORT: String(port) }), createTestPhotos().photo("astronaut")]);
  client = new PoolClient(pool.address, { token: TEST_INFERENCE_TOKEN, statusTimeoutMs: 1_000 });
  await eventually(async () => {
    const status = await client.status().catch(() => null);
    return status?.models.every((m) => m.loaded) === true ? true : undefined;
  }, 60_000);
}, 90_000);

afterAll(async () => {
  if (pool !== undefined) {
    pool.child.kill("SIGCONT");
    await stopPool(pool, "SIGKILL");
  }
  client?.close();
});

describe("VideoLink against a pool that stops reading", () => {
  it("keeps the newest frame per stream while the call is congested, then delivers it", async () => {
    const outputs: VideoOutput[] = [];
    const link = new VideoLink(client, { output: (output) => void outputs.push(output) }, createLogger("silent"));
    try {
      await eventually(() => (link.connected ? true : undefined), 10_000);
      link.open({ streamId: "cam", sessionId: "s", participantId: "p" });
      link.frame("cam", 1, face.jpeg, Date.now());
      await eventually(() => outputs.find((o) => o.kind === "faces"), 20_000);

      expect(pool.child.kill("SIGSTOP")).toBe(true);
      // ≈ 17 MB of frames at a pool that reads none of them.
      for (let seq = 2; seq <= FRAMES + 1; seq += 1) link.frame("cam", seq, face.jpeg, Date.now());
      const dropped = outputs.filter((o) => o.kind === "dropped").length;
      // Some frames fill the call's and the socket's buffers before it says so; the rest wait one at a time.
      expect(dropped).toBeGreaterThan(FRAMES / 2);

      expect(pool.child.kill("SIGCONT")).toBe(true);
      const last = await eventually(() => outputs.find((o) => o.kind === "faces" && o.seq === FRAMES + 1), 30_000);
      expect(last).toMatchObject({ kind: "faces", streamId: "cam" });
      // Every frame is answered once: faces, dropped (by the link or by the pool's own keep-newest), never lost.
      const answered = new Set(outputs.flatMap((o) => ("seq" in o ? [o.seq] : [])));
      await eventually(() => (new Set(outputs.flatMap((o) => ("seq" in o ? [o.seq] : []))).size === FRAMES + 1 ? true : undefined), 30_000);
      expect(answered.size).toBeLessThanOrEqual(FRAMES + 1);
      expect(outputs.filter((o) => o.kind === "error")).toEqual([]);
    } finally {
      link.end();
    }
  }, 90_000);
});
