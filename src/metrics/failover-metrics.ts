import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { FailoverCounters, LinkKind } from "../inference/grpc/pool-monitor.js";

const LINK_KINDS: readonly LinkKind[] = ["audio", "video"];
/** From a lost call to the next one accepted: a move to a healthy pool takes ≈ 0.1 s, a restart seconds. */
const RESTORE_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/**
 * The inference pools' health as this engine sees it, and what failing over cost: links restored (moved to another
 * pool or back on their own), how long that took, requests sent again, audio a replay had to leave out, and in-process
 * pool threads restarted. `pool` is the pool's position in INFERENCE_URLS, as the pool series' label.
 */
export class FailoverMetrics implements FailoverCounters {
  readonly #healthy: Gauge<"pool">;
  readonly #restores: Counter<"kind" | "moved">;
  readonly #restoreSeconds: Histogram<"kind">;
  readonly #retried: Counter<"rpc">;
  readonly #retentionDropped: Counter;
  readonly #threadRestarts: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#healthy = new Gauge({ name: "engine_inference_pool_healthy", help: "1 while the pool answers its health checks SERVING, else 0.", labelNames: ["pool"], registers });
    this.#restores = new Counter({
      name: "engine_inference_link_restores_total",
      help: "Room links (audio, video) whose call to a pool was lost and made again: on another pool (moved=true) or the same one.",
      labelNames: ["kind", "moved"],
      registers,
    });
    this.#restoreSeconds = new Histogram({
      name: "engine_inference_link_restore_seconds",
      help: "From a room link's lost pool call to the next call accepted (its streams re-opened and replayed then).",
      labelNames: ["kind"],
      buckets: RESTORE_BUCKETS_S,
      registers,
    });
    this.#retried = new Counter({ name: "engine_inference_requests_retried_total", help: "Requests sent once more to another pool after theirs was unreachable.", labelNames: ["rpc"], registers });
    this.#retentionDropped = new Counter({
      name: "engine_inference_replay_dropped_seconds_total",
      help: "Seconds of audio kept for a replay to another pool that were dropped past the link's bounds (an utterance longer than them loses its start on a failover).",
      registers,
    });
    this.#threadRestarts = new Counter({ name: "engine_inference_thread_restarts_total", help: "Times the in-process pool's worker thread died after start-up and was started again.", registers });
    for (const kind of LINK_KINDS) {
      for (const moved of ["true", "false"]) this.#restores.inc({ kind, moved }, 0);
      this.#restoreSeconds.zero({ kind });
    }
  }

  poolHealth(pool: string, healthy: boolean): void {
    this.#healthy.set({ pool }, healthy ? 1 : 0);
  }

  linkRestored(kind: LinkKind, moved: boolean, downMs: number): void {
    this.#restores.inc({ kind, moved: String(moved) });
    this.#restoreSeconds.observe({ kind }, downMs / 1000);
  }

  unaryRetried(rpc: string): void {
    this.#retried.inc({ rpc });
  }

  retentionDropped(ms: number): void {
    this.#retentionDropped.inc(ms / 1000);
  }

  threadRestarted(): void {
    this.#threadRestarts.inc();
  }
}
