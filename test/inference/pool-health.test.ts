import { afterEach, describe, expect, it } from "vitest";
import { checkPoolHealth } from "../../src/inference/grpc/pool-health.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { PoolMonitor, type FailoverCounters } from "../../src/inference/grpc/pool-monitor.js";
import { startPoolServer, type RunningPoolServer } from "../../src/inference/grpc/pool-server.js";
import { GrpcInferenceGateway } from "../../src/inference/inference-gateway.js";
import { inferenceReadiness } from "../../src/inference/inference-readiness.js";
import type { InferencePoolService, ModelLoadState, ModelStatusView } from "../../src/inference/pool-service.js";
import { poolStatusView } from "../../src/inference/pool-status.js";
import type { ModelTask } from "../../src/inference/registry/model-module.js";
import { createLogger } from "../../src/logger.js";
import { eventually } from "../support/engine.js";
import { notServed } from "../support/fake-pool-service.js";
import { TEST_INFERENCE_TOKEN } from "../support/pool-process.js";

/*
 * The pools' health as the gateway sees it, against fake pools behind the real gRPC server: each task's
 * grpc.health.v1 name following its model's state, placement on the least loaded pool that serves the work, a dead
 * pool found unhealthy, a request whose pool died sent once more to the other, and `/ready`'s inference check.
 */

const logger = createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent");

function model(name: string, task: ModelTask, state: ModelLoadState): ModelStatusView {
  return { name, task, state, loaded: state === "loaded", error: state === "failed" ? "could not load" : null, runtime: "onnxruntime-node", batching: "none", threads: 1, instances: 1, loadMs: null, warmupMs: null, batch: null, queue: null };
}

/** A pool whose models' states the test sets, and whose transcribe answers with its name. */
function fakePool(name: string, models: ModelStatusView[]) {
  const service: InferencePoolService = {
    ...notServed(),
    status: () => poolStatusView({ models, device: "cpu", openStreams: 0 }),
    transcribe: async () => ({ text: name, segments: [], durationMs: 0, timings: { vadMs: 0, asrMs: 0, totalMs: 0 } }),
  };
  return { service, models };
}

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function serve(service: InferencePoolService): Promise<RunningPoolServer> {
  const server = await startPoolServer(service, logger, { host: "127.0.0.1", port: 0, token: TEST_INFERENCE_TOKEN });
  closers.push(() => server.close());
  return server;
}

function clientOf(server: RunningPoolServer): PoolClient {
  const client = new PoolClient(server.address, { token: TEST_INFERENCE_TOKEN });
  closers.push(() => client.close());
  return client;
}

describe("pool health", () => {
  it("a task's name is UNKNOWN while its model loads, SERVING once loaded, NOT_SERVING if it failed; a task no model serves has none", async () => {
    const pool = fakePool("a", [model("silero_vad_v5", "vad", "loaded"), model("whisper_tiny_en_int8", "asr", "loading"), model("espeak_ng", "tts", "failed")]);
    const server = await serve(pool.service);
    const client = clientOf(server);
    expect(await checkPoolHealth(client.grpc, 1_000)).toEqual({ serving: true, tasks: ["vad"], tasksLoading: ["asr"], tasksDown: ["tts"] });
    pool.models[1] = model("whisper_tiny_en_int8", "asr", "loaded");
    await eventually(async () => ((await checkPoolHealth(client.grpc, 1_000)).tasks.includes("asr") ? true : undefined));
    expect(await checkPoolHealth(client.grpc, 1_000)).toEqual({ serving: true, tasks: ["vad", "asr"], tasksLoading: [], tasksDown: ["tts"] });
  });

  it("places links on the least loaded healthy pool serving the work, finds a dead pool unhealthy, and /ready says which tasks some healthy pool serves", async () => {
    const audio = fakePool("audio", [model("silero_vad_v5", "vad", "loaded"), model("whisper_tiny_en_int8", "asr", "loaded")]);
    const tts = fakePool("tts", [model("espeak_ng", "tts", "loaded"), model("silero_vad_v5", "vad", "loaded"), model("whisper_tiny_en_int8", "asr", "loading")]);
    const servers = [await serve(audio.service), await serve(tts.service)];
    const [audioClient, ttsClient] = servers.map(clientOf);
    if (audioClient === undefined || ttsClient === undefined) throw new Error("no clients");
    const health: string[] = [];
    const counters: FailoverCounters = { poolHealth: (pool, healthy) => void health.push(`${pool} ${healthy ? "healthy" : "unhealthy"}`) };
    const monitor = new PoolMonitor([audioClient, ttsClient], logger, counters, { checkIntervalMs: 50 });
    closers.push(() => monitor.close());
    await eventually(() => (monitor.views().every((v) => v.state === "healthy") ? true : undefined));
    expect(health.sort()).toEqual(["0 healthy", "1 healthy"]);

    // Audio needs vad and asr: only the first pool has both loaded, however many links it holds.
    monitor.attach(audioClient);
    monitor.attach(audioClient);
    expect(monitor.pick(["vad", "asr"])).toBe(audioClient);
    expect(monitor.pick(["tts"])).toBe(ttsClient);
    // Work any pool can do goes to the least loaded.
    expect(monitor.pick([])).toBe(ttsClient);
    // Avoided (its call just failed), the other is taken even without the tasks.
    expect(monitor.pick(["vad", "asr"], audioClient)).toBe(ttsClient);

    const ready = inferenceReadiness({ pools: () => monitor.views() });
    expect(await ready.check()).toEqual({
      ok: true,
      value: {
        healthy_pools: 2,
        pools: [
          { address: audioClient.address, state: "healthy", tasks: ["vad", "asr"], links: 2, reason: null },
          { address: ttsClient.address, state: "healthy", tasks: ["vad", "tts"], links: 0, reason: null },
        ],
        tasks: { vad: "serving", asr: "serving", tts: "serving" },
      },
    });

    await servers[0]?.close();
    await eventually(() => (monitor.views()[0]?.state === "unhealthy" ? true : undefined));
    expect(health.at(-1)).toBe("0 unhealthy");
    expect(monitor.pick(["vad", "asr"])).toBe(ttsClient);
    const down = await ready.check();
    // The other pool still loads its Whisper: not ready, and the reason says why.
    expect(down).toMatchObject({ ok: false, reason: "no healthy inference pool serves asr (its model is still loading)", value: { healthy_pools: 1, tasks: { vad: "serving", asr: "loading", tts: "serving" } } });

    await servers[1]?.close();
    await eventually(() => (monitor.views()[1]?.state === "unhealthy" ? true : undefined));
    expect(monitor.pick([])).toBeNull();
    // With none healthy, attempts take the pools in turn.
    expect(monitor.after(audioClient)).toBe(ttsClient);
    expect(monitor.after(ttsClient)).toBe(audioClient);
    expect(await ready.check()).toMatchObject({ ok: false, reason: "no inference pool is healthy" });
  });

  it("a request whose pool died before the monitor noticed is sent once more to the other pool", async () => {
    const servers = [await serve(fakePool("first", []).service), await serve(fakePool("second", []).service)];
    const retried: string[] = [];
    // Checks far apart: the first pool's death is found by the request itself.
    const gateway = new GrpcInferenceGateway(
      servers.map((s) => s.address),
      TEST_INFERENCE_TOKEN,
      { logger, counters: { unaryRetried: (rpc) => void retried.push(rpc) }, monitor: { checkIntervalMs: 60_000 } },
    );
    closers.push(() => gateway.close());
    await eventually(() => (gateway.pools().every((p) => p.state === "healthy") ? true : undefined));
    expect((await gateway.transcribe(new Uint8Array(320), 16_000)).text).toBe("first");

    await servers[0]?.close();
    expect((await gateway.transcribe(new Uint8Array(320), 16_000)).text).toBe("second");
    expect(retried).toEqual(["Transcribe"]);
    expect(gateway.pools().map((p) => p.state)).toEqual(["unhealthy", "healthy"]);
    // Known unhealthy now: the next request goes straight to the second pool.
    expect((await gateway.transcribe(new Uint8Array(320), 16_000)).text).toBe("second");
    expect(retried).toEqual(["Transcribe"]);
  });
});
