import { status as grpcStatus } from "@grpc/grpc-js";
import type { Logger } from "../../logger.js";
import type { ModelTask } from "../registry/model-module.js";
import type { PoolClient } from "./pool-client.js";
import { checkPoolHealth, type PoolHealthReport } from "./pool-health.js";
import type { PoolRoute, RouteListener } from "./resilient-call.js";

export interface PoolMonitorOptions {
  /** How often every pool's health service is asked (grpc.health.v1 List). */
  checkIntervalMs: number;
  /** Deadline of one check. */
  checkTimeoutMs: number;
  /**
   * A pool that answers no check for this long is unhealthy (hung, or the network to it gone). One that cannot be
   * reached (refused, reset) or says NOT_SERVING is unhealthy at once; one slow to answer is not, up to here: a pool's
   * event loop stalls while it creates its model sessions (up to 3.2 s measured on the 2 loaded reference cores),
   * though not for a Whisper run (at most 145 ms during a 29 s utterance).
   */
  unresponsiveMs: number;
}

export const DEFAULT_POOL_MONITOR_OPTIONS: PoolMonitorOptions = { checkIntervalMs: 500, checkTimeoutMs: 1_000, unresponsiveMs: 3_000 };

/** What the gateway's metrics hear of its pools (src/metrics/failover-metrics.ts); every method is optional. */
export interface FailoverCounters {
  /** A pool (its position in INFERENCE_URLS, from 0) turned healthy or unhealthy, and at its first check. */
  poolHealth?(pool: string, healthy: boolean): void;
  /** A link's call was made again after it was lost: on another pool (`moved`) or the same one, `downMs` after the loss. */
  linkRestored?(kind: LinkKind, moved: boolean, downMs: number): void;
  /** A unary call failed on an unreachable pool and was sent once more to another. */
  unaryRetried?(rpc: string): void;
  /** Audio a link dropped from what it keeps for a replay: past its bound (`retain`), milliseconds of it. */
  retentionDropped?(ms: number): void;
}

export type LinkKind = "audio" | "video";

/** One pool as `/ready` and the metrics see it. */
export interface PoolHealthView {
  address: string;
  /** unknown: not checked yet (new links may go to it, after every healthy pool). */
  state: "unknown" | "healthy" | "unhealthy";
  /** Tasks whose model it reports loaded, still loading, and failed (configured there, not loaded). */
  tasks: ModelTask[];
  tasksLoading: ModelTask[];
  tasksDown: ModelTask[];
  /** Links (audio and video calls) of this gateway on it: its load as placement counts it. */
  links: number;
  /** Why it is unhealthy; null otherwise. */
  reason: string | null;
}

interface PoolEntry {
  client: PoolClient;
  index: number;
  state: PoolHealthView["state"];
  report: PoolHealthReport | null;
  reason: string | null;
  /** When a check last answered (performance.now()), or when monitoring began. */
  answeredAtMs: number;
  checking: boolean;
  links: number;
}

/**
 * Watches every pool's grpc.health.v1 service (a List every `checkIntervalMs`, bounded by `checkTimeoutMs`) and
 * places work: the least loaded healthy pool, load being this gateway's own links on it (each engine balances its
 * own rooms; ties go to the first configured). A call that finds a pool unreachable marks it unhealthy at once, so
 * nothing else is placed there before its next check answers. Links on a pool that turns unhealthy hear of it
 * (`PoolRoute.watch`) and move.
 */
export class PoolMonitor {
  readonly #entries: PoolEntry[];
  readonly #log: Logger;
  readonly #counters: FailoverCounters;
  readonly #options: PoolMonitorOptions;
  readonly #listeners = new Set<RouteListener>();
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(clients: readonly PoolClient[], logger: Logger, counters: FailoverCounters = {}, options: Partial<PoolMonitorOptions> = {}) {
    if (clients.length === 0) throw new Error("at least one inference pool is needed");
    this.#options = { ...DEFAULT_POOL_MONITOR_OPTIONS, ...options };
    this.#log = logger;
    this.#counters = counters;
    const now = performance.now();
    this.#entries = clients.map((client, index) => ({ client, index, state: "unknown", report: null, reason: null, answeredAtMs: now, checking: false, links: 0 }));
    this.#timer = setInterval(() => this.#checkAll(), this.#options.checkIntervalMs);
    // Health checks never keep a process alive.
    this.#timer.unref();
    this.#checkAll();
  }

  /**
   * The pool new work should go to: not unhealthy, serving every task of `tasks` if any does, healthy before
   * unchecked, fewest links, first configured; `avoid` only when it is the only one. Null when every pool is unhealthy.
   */
  pick(tasks: readonly ModelTask[], avoid: PoolClient | null = null): PoolClient | null {
    const candidates = this.#entries.filter((e) => e.state !== "unhealthy");
    const rank = (e: PoolEntry): number[] => [
      e.client === avoid ? 1 : 0,
      tasks.every((task) => e.report?.tasks.includes(task) ?? false) ? 0 : 1,
      e.state === "healthy" ? 0 : 1,
      e.links,
      e.index,
    ];
    const best = candidates.reduce<PoolEntry | null>((chosen, e) => (chosen === null || lessThan(rank(e), rank(chosen)) ? e : chosen), null);
    return best?.client ?? null;
  }

  /** With every pool unhealthy: the one to try after `after`, in configuration order (each gets its turn). */
  after(after: PoolClient | null): PoolClient {
    const at = this.#entries.findIndex((e) => e.client === after);
    const next = this.#entries[(at + 1) % this.#entries.length] ?? this.#entries[0];
    if (next === undefined) throw new Error("no inference pool");
    return next.client;
  }

  /** A call found `client` unreachable: unhealthy until a check answers again. */
  unreachable(client: PoolClient, reason: string): void {
    const entry = this.#entryOf(client);
    if (entry !== undefined) this.#set(entry, "unhealthy", reason);
  }

  attach(client: PoolClient): void {
    const entry = this.#entryOf(client);
    if (entry !== undefined) entry.links += 1;
  }

  detach(client: PoolClient): void {
    const entry = this.#entryOf(client);
    if (entry !== undefined) entry.links = Math.max(0, entry.links - 1);
  }

  /** A link's route: where its calls go, the load it adds, and the pools turning unhealthy under it. */
  route(kind: LinkKind, tasks: readonly ModelTask[]): PoolRoute {
    return {
      pick: (avoid) => this.pick(tasks, avoid),
      after: (after) => this.after(after),
      unreachable: (client, reason) => this.unreachable(client, reason),
      attach: (client) => this.attach(client),
      detach: (client) => this.detach(client),
      watch: (listener) => {
        this.#listeners.add(listener);
        return () => void this.#listeners.delete(listener);
      },
      restored: (moved, downMs) => this.#counters.linkRestored?.(kind, moved, downMs),
    };
  }

  views(): PoolHealthView[] {
    return this.#entries.map((e) => ({
      address: e.client.address,
      state: e.state,
      tasks: e.report?.tasks ?? [],
      tasksLoading: e.report?.tasksLoading ?? [],
      tasksDown: e.report?.tasksDown ?? [],
      links: e.links,
      reason: e.reason,
    }));
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#listeners.clear();
  }

  #entryOf(client: PoolClient): PoolEntry | undefined {
    return this.#entries.find((e) => e.client === client);
  }

  #checkAll(): void {
    for (const entry of this.#entries) {
      // One check in flight per pool: a pool slow to answer is not asked again meanwhile.
      if (entry.checking) continue;
      entry.checking = true;
      checkPoolHealth(entry.client.grpc, this.#options.checkTimeoutMs)
        .then(
          (report) => {
            entry.answeredAtMs = performance.now();
            entry.report = report;
            if (report.serving) this.#set(entry, "healthy", null);
            else this.#set(entry, "unhealthy", "the pool reports NOT_SERVING");
          },
          (error: unknown) => this.#failedCheck(entry, error),
        )
        .finally(() => (entry.checking = false))
        .catch((error: unknown) => this.#log.error({ err: error, pool: entry.client.address }, "inference pool health handling failed"));
    }
  }

  #failedCheck(entry: PoolEntry, error: unknown): void {
    const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
    const details = error instanceof Error ? error.message : String(error);
    if (code !== grpcStatus.DEADLINE_EXCEEDED) return this.#set(entry, "unhealthy", details);
    const silentMs = performance.now() - entry.answeredAtMs;
    if (silentMs >= this.#options.unresponsiveMs) this.#set(entry, "unhealthy", `no health answer for ${Math.round(silentMs)} ms`);
  }

  #set(entry: PoolEntry, state: "healthy" | "unhealthy", reason: string | null): void {
    if (this.#closed) return;
    const was = entry.state;
    entry.reason = reason;
    if (was === state) return;
    entry.state = state;
    this.#counters.poolHealth?.(String(entry.index), state === "healthy");
    if (state === "healthy") {
      this.#log.info({ pool: entry.client.address, tasks: entry.report?.tasks ?? [] }, "inference pool healthy");
    } else {
      this.#log.warn({ pool: entry.client.address, reason }, "inference pool unhealthy");
      for (const listener of [...this.#listeners]) listener.unhealthy(entry.client);
    }
  }
}

/** Lexicographic order of two ranks of equal length. */
function lessThan(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}
