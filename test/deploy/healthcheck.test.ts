/**
 * scripts/healthcheck.mjs, the probe compose.yaml and the Dockerfile run in each container, against a real engine and a
 * real pool process: exit 0 when healthy, 1 with a line saying why when not.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestEngine, type TestEngine } from "../support/engine.js";
import { freePort, spawnPool, stopPool, TEST_INFERENCE_TOKEN, type PoolProcess } from "../support/pool-process.js";

const SCRIPT = join(process.cwd(), "scripts", "healthcheck.mjs");

/** Runs the probe as Docker would (`node scripts/healthcheck.mjs <kind> [address]`), with `env` for its defaults. */
function probe(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, ...args], { env: { PATH: process.env["PATH"] ?? "", ...env } }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stderr });
    });
  });
}

let pool: PoolProcess;
let t: TestEngine;

beforeAll(async () => {
  // The VAD alone: the probe asks the health service, which answers from the start whatever the models do.
  pool = await spawnPool({ INFERENCE_PORT: "0", INFERENCE_MODELS: "silero_vad_v5" });
  t = await startTestEngine({ inferenceUrls: [pool.address], inferenceToken: TEST_INFERENCE_TOKEN });
  // /ready waits for the pool's VAD to load (the inference check): the probe is tried once it is ready.
  await eventually(async () => ((await fetch(`${t.engine.httpUrl}/ready`)).status === 200 ? true : undefined), 30_000);
});
afterAll(async () => {
  await t?.close();
  if (pool !== undefined) await stopPool(pool);
});

describe("scripts/healthcheck.mjs", () => {
  it("engine: exit 0 while /ready answers 200, on the address given or on 127.0.0.1:$PORT", async () => {
    expect(await probe(["engine", `127.0.0.1:${t.engine.port}`])).toEqual({ code: 0, stderr: "" });
    expect(await probe(["engine"], { PORT: String(t.engine.port) })).toEqual({ code: 0, stderr: "" });
  });

  it("pool: exit 0 when grpc.health.v1 answers SERVING, without the pool's token", async () => {
    const port = pool.address.split(":").at(-1) ?? "";
    expect(await probe(["pool", pool.address])).toEqual({ code: 0, stderr: "" });
    expect(await probe(["pool"], { INFERENCE_PORT: port })).toEqual({ code: 0, stderr: "" });
  });

  it("exit 1 naming the failure when nothing listens, whichever kind", async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const engine = await probe(["engine", closed]);
    expect(engine.code).toBe(1);
    expect(engine.stderr).toMatch(/^engine unhealthy: /);
    const poolProbe = await probe(["pool", closed]);
    expect(poolProbe.code).toBe(1);
    expect(poolProbe.stderr).toMatch(/^pool unhealthy: grpc\.health\.v1 Check failed: /);
  });

  it("engine: exit 1 when something listens there but is not a ready engine", async () => {
    // The pool's port speaks gRPC (HTTP/2 only), not the engine's HTTP.
    const answer = await probe(["engine", pool.address]);
    expect(answer.code).toBe(1);
    expect(answer.stderr).toMatch(/^engine unhealthy: /);
  });

  it("exit 2 with its usage on an unknown kind", async () => {
    expect(await probe(["database"])).toEqual({ code: 2, stderr: "usage: node scripts/healthcheck.mjs engine|pool [host:port]\n" });
  });
});
