import type { PoolStatusView } from "../inference/pool-service.js";
import { renderFamily, renderHistogram, type Sample } from "./exposition.js";

/** One pool's status at scrape time; `null` when it did not answer (in time). */
export interface PoolSnapshot {
  /** Position in INFERENCE_URLS (0 for the in-process pool): stable across restarts, unlike its port. */
  pool: string;
  status: PoolStatusView | null;
}

/**
 * The pools' own numbers as Prometheus families. They are counted in the pool (possibly another process) since it
 * started, so they are rendered from its snapshot rather than kept in the engine's registry; a pool restart resets
 * them, which Prometheus treats as any counter reset.
 */
export function renderPoolMetrics(snapshots: readonly PoolSnapshot[]): string {
  const up = snapshots.map(({ pool, status }) => ({ labels: { pool }, value: status === null ? 0 : 1 }));
  const answered = snapshots.flatMap(({ pool, status }) => (status === null ? [] : [{ pool, status }]));
  const each = (value: (status: PoolStatusView) => number): Sample[] =>
    answered.map(({ pool, status }) => ({ labels: { pool }, value: value(status) }));

  const families = [
    renderFamily("engine_inference_pool_up", "Whether the pool answered the status call of this scrape.", "gauge", up),
    renderFamily(
      "engine_inference_queue_depth",
      "Work waiting in the pool: VAD chunks not yet batched, ASR utterances (live) and recordings (file) queued.",
      "gauge",
      answered.flatMap(({ pool, status }) => [
        { labels: { pool, queue: "vad" }, value: status.vadPending },
        { labels: { pool, queue: "asr_live" }, value: status.asr.queuedLive },
        { labels: { pool, queue: "asr_file" }, value: status.asr.queuedFile },
      ]),
    ),
    renderFamily("engine_inference_asr_running", "ASR jobs running in the pool.", "gauge", each((s) => s.asr.running)),
    renderFamily("engine_inference_open_streams", "Participant audio streams open in the pool.", "gauge", each((s) => s.openStreams)),
    renderFamily(
      "engine_inference_model_loaded",
      "Whether each model of the pool is loaded (1) or not (0: loading or failed).",
      "gauge",
      answered.flatMap(({ pool, status }) => status.models.map((m) => ({ labels: { pool, model: m.name }, value: m.loaded ? 1 : 0 }))),
    ),
    renderFamily("engine_inference_asr_completed_total", "ASR jobs the pool completed.", "counter", each((s) => s.asr.completed)),
    renderFamily(
      "engine_inference_asr_rejected_total",
      "ASR jobs the pool refused: queue full (overloaded) or not started before their deadline.",
      "counter",
      answered.flatMap(({ pool, status }) => [
        { labels: { pool, reason: "overloaded" }, value: status.asr.rejectedOverloaded },
        { labels: { pool, reason: "deadline_exceeded" }, value: status.asr.rejectedDeadline },
      ]),
    ),
    renderFamily(
      "engine_inference_asr_interim_total",
      "Interim caption runs of the pool's ASR: completed, skipped (due but no spare lane: the caption came later or not at all), failed.",
      "counter",
      answered.flatMap(({ pool, status }) =>
        status.models.flatMap((m) =>
          m.interim === undefined
            ? []
            : [
                { labels: { pool, model: m.name, outcome: "completed" }, value: m.interim.completed },
                { labels: { pool, model: m.name, outcome: "skipped" }, value: m.interim.skipped },
                { labels: { pool, model: m.name, outcome: "failed" }, value: m.interim.failed },
              ],
        ),
      ),
    ),
    renderFamily(
      "engine_inference_server_errors_total",
      "What the pool's gRPC server refused or caught: calls without the token, undecodable messages, handler exceptions.",
      "counter",
      answered.flatMap(({ pool, status }) => [
        { labels: { pool, kind: "unauthenticated" }, value: status.server.unauthenticatedCalls },
        { labels: { pool, kind: "malformed" }, value: status.server.malformedMessages },
        { labels: { pool, kind: "handler_fault" }, value: status.server.handlerFaults },
      ]),
    ),
    renderHistogram(
      "engine_inference_model_batch_size",
      "Items per model run, for each batched model of the registry (VAD chunks, camera frames, faces).",
      answered.flatMap(({ pool, status }) =>
        status.models.flatMap((m) => (m.batch === null ? [] : [{ labels: { pool, model: m.name }, buckets: m.batch.sizeBuckets, sum: m.batch.items }])),
      ),
    ),
    renderFamily(
      "engine_inference_model_queue_depth",
      "Work waiting for each model of the registry, by lane (live streams before file work).",
      "gauge",
      answered.flatMap(({ pool, status }) =>
        status.models.flatMap((m) =>
          m.queue === null
            ? []
            : [
                { labels: { pool, model: m.name, lane: "live" }, value: m.queue.queuedLive },
                { labels: { pool, model: m.name, lane: "file" }, value: m.queue.queuedFile },
              ],
        ),
      ),
    ),
    renderHistogram(
      "engine_inference_vad_batch_size",
      "Streams (chunks) per VAD model run: how well the pool batches across streams.",
      answered.map(({ pool, status }) => ({ labels: { pool }, buckets: status.vad.sizeBuckets, sum: status.vad.items })),
    ),
    renderHistogram(
      "engine_inference_vad_batch_seconds",
      "Model run time of one VAD batch (the VAD stage of every stream in it).",
      answered.map(({ pool, status }) => ({ labels: { pool }, buckets: status.vad.runMsBuckets, sum: status.vad.runMsTotal })),
      1000,
    ),
  ];
  return `${families.join("\n\n")}\n`;
}
