import { z } from "zod";
import type { BatchStatsView, ModelLoadState, ModelStatusView, PoolStatusView, QueueStatusView, StreamStatesView } from "../pool-service.js";
import { BATCHING_KINDS, MODEL_RUNTIMES, MODEL_TASKS } from "../registry/model-module.js";
import type { BatchStats, BatchStats__Output } from "./generated/engine/inference/v1/BatchStats.js";
import type { ModelStatus, ModelStatus__Output } from "./generated/engine/inference/v1/ModelStatus.js";
import type { PoolStatus, PoolStatus__Output } from "./generated/engine/inference/v1/PoolStatus.js";
import type { QueueStatus, QueueStatus__Output } from "./generated/engine/inference/v1/QueueStatus.js";
import type { StreamStates, StreamStates__Output } from "./generated/engine/inference/v1/StreamStates.js";

/** GetStatus both ways: the pool's view to protobuf (server) and back (client), kept side by side so they agree. */

function batchToWire(b: BatchStatsView): BatchStats {
  return {
    batches: b.batches,
    items: b.items,
    mean_batch_size: b.meanBatchSize,
    max_batch_size: b.maxBatchSize,
    size_buckets: b.sizeBuckets.map((x) => ({ upper_bound: x.le, count: x.count })),
    run_ms_total: b.runMsTotal,
    run_ms_buckets: b.runMsBuckets.map((x) => ({ upper_bound: x.le, count: x.count })),
  };
}

function queueToWire(q: QueueStatusView): QueueStatus {
  return {
    queued_live: q.queuedLive,
    queued_file: q.queuedFile,
    running: q.running,
    completed: q.completed,
    rejected_overloaded: q.rejectedOverloaded,
    rejected_deadline: q.rejectedDeadline,
  };
}

function statesToWire(s: StreamStatesView): StreamStates {
  return { open: s.open, opened: s.opened, freed_on_close: s.freedOnClose, freed_idle: s.freedIdle };
}

function statesFromWire(s: StreamStates__Output): StreamStatesView {
  return { open: s.open, opened: s.opened, freedOnClose: s.freed_on_close, freedIdle: s.freed_idle };
}

function modelToWire(m: ModelStatusView): ModelStatus {
  return {
    name: m.name,
    loaded: m.loaded,
    error: m.error ?? "",
    task: m.task ?? "",
    runtime: m.runtime ?? "",
    batching: m.batching ?? "",
    threads: m.threads,
    instances: m.instances,
    state: m.state,
    load_ms: m.loadMs ?? 0,
    warmup_ms: m.warmupMs ?? 0,
    batch: m.batch === null ? null : batchToWire(m.batch),
    queue: m.queue === null ? null : queueToWire(m.queue),
    stream_states: m.streamStates === undefined ? null : statesToWire(m.streamStates),
    interim: m.interim ?? null,
  };
}

export function statusToWire(s: PoolStatusView): PoolStatus {
  return {
    models: s.models.map(modelToWire),
    execution_provider: s.executionProvider,
    open_streams: s.openStreams,
    vad_pending: s.vadPending,
    vad: batchToWire(s.vad),
    asr: queueToWire(s.asr),
    server: {
      handler_faults: s.server.handlerFaults,
      unauthenticated_calls: s.server.unauthenticatedCalls,
      malformed_messages: s.server.malformedMessages,
    },
  };
}

function batchFromWire(b: BatchStats__Output | null): BatchStatsView {
  return {
    batches: b?.batches ?? 0,
    items: b?.items ?? 0,
    meanBatchSize: b?.mean_batch_size ?? 0,
    maxBatchSize: b?.max_batch_size ?? 0,
    sizeBuckets: (b?.size_buckets ?? []).map((x) => ({ le: x.upper_bound, count: x.count })),
    runMsTotal: b?.run_ms_total ?? 0,
    runMsBuckets: (b?.run_ms_buckets ?? []).map((x) => ({ le: x.upper_bound, count: x.count })),
  };
}

function queueFromWire(q: QueueStatus__Output | null): QueueStatusView {
  return {
    queuedLive: q?.queued_live ?? 0,
    queuedFile: q?.queued_file ?? 0,
    running: q?.running ?? 0,
    completed: q?.completed ?? 0,
    rejectedOverloaded: q?.rejected_overloaded ?? 0,
    rejectedDeadline: q?.rejected_deadline ?? 0,
  };
}

const task = z.enum(MODEL_TASKS);
const runtime = z.enum(MODEL_RUNTIMES);
const batching = z.enum(BATCHING_KINDS);
const state = z.enum(["loading", "loaded", "failed"]);

/** A value this engine does not know (a newer pool's, or an older pool's empty field) reads as null. */
function known<T>(schema: z.ZodType<T>, value: string): T | null {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

function modelFromWire(m: ModelStatus__Output): ModelStatusView {
  const error = m.error === "" ? null : m.error;
  // An older pool says only loaded and error.
  const fallback: ModelLoadState = m.loaded ? "loaded" : error === null ? "loading" : "failed";
  return {
    name: m.name,
    loaded: m.loaded,
    error,
    task: known(task, m.task),
    runtime: known(runtime, m.runtime),
    batching: known(batching, m.batching),
    threads: m.threads,
    instances: m.instances,
    state: known(state, m.state) ?? fallback,
    loadMs: m.load_ms > 0 ? m.load_ms : null,
    warmupMs: m.warmup_ms > 0 ? m.warmup_ms : null,
    batch: m.batch === null ? null : batchFromWire(m.batch),
    queue: m.queue === null ? null : queueFromWire(m.queue),
    ...(m.stream_states === null ? {} : { streamStates: statesFromWire(m.stream_states) }),
    ...(m.interim === null ? {} : { interim: { running: m.interim.running, completed: m.interim.completed, skipped: m.interim.skipped, failed: m.interim.failed } }),
  };
}

export function statusFromWire(s: PoolStatus__Output): PoolStatusView {
  return {
    models: s.models.map(modelFromWire),
    executionProvider: s.execution_provider,
    openStreams: s.open_streams,
    vadPending: s.vad_pending,
    vad: batchFromWire(s.vad),
    asr: queueFromWire(s.asr),
    server: {
      handlerFaults: s.server?.handler_faults ?? 0,
      unauthenticatedCalls: s.server?.unauthenticated_calls ?? 0,
      malformedMessages: s.server?.malformed_messages ?? 0,
    },
  };
}
