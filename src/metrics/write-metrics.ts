import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { WriteFailureCause, WriteLossReason, WriteObserver } from "../rooms/ordered-writes.js";

const SECONDS_PER_MS = 1 / 1000;
const DB_WRITE_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The code `engine_errors_total{source="database"}` counts a failed attempt under. */
export type WriteErrorCode = "database_unavailable" | "write_failed";

/** What `/ready` reads (src/persistence/persistence-readiness.ts). */
export interface PersistenceHealth {
  /** Rooms of this process whose writes are piling up (`persistence: "degraded"` in their state). */
  readonly degradedRooms: number;
  /** Writes pending in all rooms of this process. */
  readonly bufferedWrites: number;
}

/**
 * The rooms' database writes, summed over the rooms of this process: each attempt's duration, retries, writes lost
 * (by reason), writes buffered and rooms degraded. Labels are write labels (`transcript.segment`, `lifecycle.live`,
 * …, a bounded set) and the bounded cause and reason names.
 */
export class WriteMetrics implements WriteObserver, PersistenceHealth {
  readonly #attempts: Histogram<"write">;
  readonly #retries: Counter<"write" | "cause">;
  readonly #lost: Counter<"write" | "reason">;
  readonly #buffered: Gauge;
  readonly #degraded: Gauge;
  readonly #onError: (code: WriteErrorCode) => void;
  #bufferedWrites = 0;
  #degradedRooms = 0;

  /** `onError` counts each failed attempt in the engine's error counter. */
  constructor(registry: Registry, onError: (code: WriteErrorCode) => void) {
    const registers = [registry];
    this.#onError = onError;
    this.#attempts = new Histogram({ name: "engine_db_write_seconds", help: "Duration of each attempt of the rooms' database writes, by kind of write.", labelNames: ["write"], buckets: DB_WRITE_BUCKETS_S, registers });
    this.#retries = new Counter({
      name: "engine_db_write_retries_total",
      help: "Failed attempts of a room's database write that will be tried again: `unavailable` (the database is away: retried while the room lives) or `failed` (the write itself: bounded).",
      labelNames: ["write", "cause"],
      registers,
    });
    this.#lost = new Counter({
      name: "engine_db_writes_lost_total",
      help: "Room writes never persisted: `failed` (refused by the database on every attempt), `buffer_full` (the room's buffer at its bound), `closed` (still pending when the room closed).",
      labelNames: ["write", "reason"],
      registers,
    });
    this.#buffered = new Gauge({ name: "engine_db_writes_buffered", help: "Room writes waiting or being written, all rooms of this process.", registers });
    this.#degraded = new Gauge({ name: "engine_rooms_persistence_degraded", help: "Rooms whose writes are piling up unwritten (`persistence: degraded` in their state).", registers });
  }

  get degradedRooms(): number {
    return this.#degradedRooms;
  }

  get bufferedWrites(): number {
    return this.#bufferedWrites;
  }

  dbWrite(label: string, durationMs: number): void {
    this.#attempts.observe({ write: label }, durationMs * SECONDS_PER_MS);
  }

  writeRetried(label: string, cause: WriteFailureCause): void {
    this.#retries.inc({ write: label, cause });
    this.#onError(cause === "unavailable" ? "database_unavailable" : "write_failed");
  }

  writesLost(label: string, reason: WriteLossReason, count: number): void {
    this.#lost.inc({ write: label, reason }, count);
    // A write given up after its last failed attempt: that attempt is an error like the retried ones.
    if (reason === "failed") this.#onError("write_failed");
  }

  writesBuffered(delta: number): void {
    this.#bufferedWrites += delta;
    this.#buffered.set(this.#bufferedWrites);
  }

  persistenceDegraded(degraded: boolean): void {
    this.#degradedRooms += degraded ? 1 : -1;
    this.#degraded.set(this.#degradedRooms);
  }
}
