import { describe, expect, it } from "vitest";
import { statusFromWire, statusToWire } from "../../src/inference/grpc/status-wire.js";
import type { ModelStatusView } from "../../src/inference/pool-service.js";
import { dynamicBatcherServing, poolStatusView, priorityQueueServing, sequenceBatcherServing, streamStageServing } from "../../src/inference/pool-status.js";
import { loadInferenceProto } from "../../src/inference/grpc/proto.js";

const vadServing = sequenceBatcherServing({
  batchesRun: 4,
  failedBatches: 0,
  chunksProcessed: 10,
  batchSizes: [{ le: 1, count: 1 }, { le: 2, count: 0 }, { le: 4, count: 3 }, { le: 128, count: 0 }],
  batchSizeSum: 10,
  runMsTotal: 8,
  runMs: [{ le: 2, count: 4 }],
  pendingChunks: 5,
  inFlightChunks: 2,
  openStreams: 3,
  streamsExpired: 0,
  rejected: { overloaded: 1 },
});
const asrServing = priorityQueueServing({ queued: { live: 2, file: 1 }, running: 1, completed: 7, failed: 0, rejected: { deadline_exceeded: 3 }, cancelled: 0, waitSamplesMs: [], interim: { running: 1, completed: 4, skipped: 9, failed: 1 } }, true);

const denoiseServing = streamStageServing({
  runs: 6,
  runMsTotal: 3,
  runMs: [{ le: 0.5, count: 5 }, { le: 1, count: 1 }],
  samples: 1_920,
  heldChunks: 2,
  rejectedOverloaded: 1,
  states: { open: 1, opened: 3, freedOnClose: 1, freedIdle: 1 },
});

const models: ModelStatusView[] = [
  { name: "silero_vad_v5", task: "vad", runtime: "onnxruntime-node", batching: "sequence", state: "loaded", loaded: true, error: null, threads: 1, instances: 1, loadMs: 12, warmupMs: null, ...vadServing },
  { name: "whisper_tiny_en_int8", task: "asr", runtime: "onnxruntime-node", batching: "none", state: "failed", loaded: false, error: "no file", threads: 2, instances: 1, loadMs: null, warmupMs: null, ...asrServing },
  { name: "rnnoise", task: "denoise", runtime: "wasm", batching: "sequence", state: "loaded", loaded: true, error: null, threads: 1, instances: 1, loadMs: 4, warmupMs: 2, ...denoiseServing },
];

describe("the pool's status view", () => {
  it("turns each scheduler's statistics into a model's batch and queue", () => {
    expect(vadServing.batch).toMatchObject({ batches: 4, items: 10, meanBatchSize: 2.5, maxBatchSize: 4, runMsTotal: 8 });
    expect(vadServing.queue).toEqual({ queuedLive: 5, queuedFile: 0, running: 2, completed: 10, rejectedOverloaded: 1, rejectedDeadline: 0 });
    expect(asrServing).toEqual({
      batch: null,
      queue: { queuedLive: 2, queuedFile: 1, running: 1, completed: 7, rejectedOverloaded: 0, rejectedDeadline: 3 },
      interim: { running: 1, completed: 4, skipped: 9, failed: 1 },
    });
    const dynamic = dynamicBatcherServing({
      batchesRun: 2, failedBatches: 0, itemsRun: 6, batchSizes: [{ le: 4, count: 2 }], batchSizeSum: 6, runMsTotal: 3, runMs: [], queueDepth: 4,
      queueDepthByLane: { live: 3, file: 1 }, inFlight: 2, openStreams: 2, droppedStale: 1, held: 0, meanQueueWaitMs: 1, rejected: { overloaded: 2 },
    });
    expect(dynamic.batch).toMatchObject({ batches: 2, items: 6, meanBatchSize: 3, maxBatchSize: 4 });
    expect(dynamic.queue).toEqual({ queuedLive: 3, queuedFile: 1, running: 2, completed: 6, rejectedOverloaded: 2, rejectedDeadline: 0 });
    // A per-stream stage: each run is one stream's chunk (a batch of one), its held audio the queue, its states counted.
    expect(denoiseServing.batch).toMatchObject({ batches: 6, items: 6, meanBatchSize: 1, maxBatchSize: 1, runMsTotal: 3 });
    expect(denoiseServing.queue).toEqual({ queuedLive: 2, queuedFile: 0, running: 0, completed: 6, rejectedOverloaded: 1, rejectedDeadline: 0 });
    expect(denoiseServing.streamStates).toEqual({ open: 1, opened: 3, freedOnClose: 1, freedIdle: 1 });
    expect(vadServing).not.toHaveProperty("streamStates");
  });

  it("fills the deprecated vad_pending, vad and asr fields from the vad and asr models", () => {
    const view = poolStatusView({ models, device: "cpu", openStreams: 3 });
    expect(view.vadPending).toBe(5);
    expect(view.vad).toEqual(vadServing.batch);
    expect(view.asr).toEqual(asrServing.queue);
    const none = poolStatusView({ models: [], device: "cpu", openStreams: 0 });
    expect([none.vadPending, none.vad.batches, none.asr.queuedLive]).toEqual([0, 0, 0]);
  });

  it("crosses the wire and back unchanged", () => {
    const view = poolStatusView({ models, device: "cpu", openStreams: 3 });
    const type = loadInferenceProto().engine.inference.v1.PoolStatus;
    // Through real protobuf bytes, as a client decodes them (with the loader's defaults).
    const bytes = type.serialize(statusToWire(view));
    expect(statusFromWire(type.deserialize(bytes))).toEqual(view);
  });

  it("reads a status from a pool older than the registry: models say only name, loaded and error", () => {
    const type = loadInferenceProto().engine.inference.v1.PoolStatus;
    const older = type.deserialize(
      type.serialize({
        models: [{ name: "silero_vad_v5", loaded: true, error: "" }, { name: "whisper_tiny_en_int8", loaded: false, error: "no file" }, { name: "x", loaded: false, error: "" }],
        vad_pending: 2,
      }),
    );
    const view = statusFromWire(older);
    expect(view.models.map((m) => [m.name, m.state, m.task, m.runtime, m.batching, m.batch, m.queue, m.loadMs])).toEqual([
      ["silero_vad_v5", "loaded", null, null, null, null, null, null],
      ["whisper_tiny_en_int8", "failed", null, null, null, null, null, null],
      ["x", "loading", null, null, null, null, null, null],
    ]);
    expect(view.vadPending).toBe(2);
  });
});
