import { Writable } from "node:stream";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WriteMetrics, type WriteErrorCode } from "../../src/metrics/write-metrics.js";
import { OrderedWrites, type OrderedWritesOptions, type Persistence } from "../../src/rooms/ordered-writes.js";

/** postgres.js' error for a query on a connection that closed (its `Errors.connection`, src/errors.js). */
function connectionClosed(): Error {
  return Object.assign(new Error("write CONNECTION_CLOSED 127.0.0.1:5432"), { code: "CONNECTION_CLOSED", errno: "CONNECTION_CLOSED" });
}

interface LogLine {
  level: number;
  msg: string;
  write?: string;
  lost?: number;
  writes?: Record<string, number>;
  refused?: number;
}

/** A database the test switches on and off; `written` is what it committed, in order. */
class SwitchedDatabase {
  available = true;
  readonly written: string[] = [];
  attempts = 0;
  write(name: string): () => Promise<void> {
    return async () => {
      this.attempts += 1;
      if (!this.available) throw connectionClosed();
      this.written.push(name);
    };
  }
}

let logs: LogLine[];
let registry: Registry;
let metrics: WriteMetrics;
let errors: WriteErrorCode[];
let changes: Persistence[];
let db: SwitchedDatabase;

function writes(options: Partial<OrderedWritesOptions> = {}): OrderedWrites {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return new OrderedWrites(
    { logger: pino({ level: "info" }, stream), observer: metrics, onPersistence: (p) => changes.push(p) },
    { random: () => 1, ...options },
  );
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (found?.values ?? []) as { value: number; labels: Record<string, string | number> }[];
  const match = values.find((v) => Object.entries(labels).every(([key, value]) => v.labels[key] === value));
  return match?.value ?? 0;
}

/** Lets the queued microtasks and promise chains run without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  logs = [];
  registry = new Registry();
  errors = [];
  metrics = new WriteMetrics(registry, (code) => errors.push(code));
  changes = [];
  db = new SwitchedDatabase();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("a room's ordered writes", () => {
  it("apply one at a time, in the order made, off the caller's stack", async () => {
    const w = writes();
    const started: string[] = [];
    let release: () => void = () => {};
    w.enqueue("a", () => {
      started.push("a");
      return new Promise((resolve) => (release = resolve));
    });
    w.enqueue("b", async () => void started.push("b"));
    expect(started).toEqual([]);
    await settle();
    expect(started).toEqual(["a"]);
    expect(w.pending).toBe(2);
    release();
    expect(await w.flush()).toBe(true);
    expect(started).toEqual(["a", "b"]);
    expect(w.pending).toBe(0);
  });

  it("retry a write while the database is unavailable, with doubling delays, the writes behind it waiting", async () => {
    const w = writes();
    db.available = false;
    w.enqueue("participant.joined", db.write("join"));
    w.enqueue("participant.left", db.write("leave"));
    await settle();
    expect(db.attempts).toBe(1);
    // random() = 1: the full delay each time, 100 ms doubling.
    for (const [delayMs, attempts] of [[100, 2], [200, 3], [400, 4], [800, 5]] as const) {
      await vi.advanceTimersByTimeAsync(delayMs - 1);
      expect(db.attempts).toBe(attempts - 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(db.attempts).toBe(attempts);
    }
    expect(db.written).toEqual([]);
    expect(await metric("engine_db_writes_buffered")).toBe(2);
    db.available = true;
    await vi.advanceTimersByTimeAsync(1_600);
    expect(db.written).toEqual(["join", "leave"]);
    expect(await metric("engine_db_write_retries_total", { write: "participant.joined", cause: "unavailable" })).toBe(5);
    expect(await metric("engine_db_writes_buffered")).toBe(0);
    expect(errors.every((code) => code === "database_unavailable")).toBe(true);
    expect(w.lost).toBe(0);
    expect(logs.filter((l) => l.msg === "session write failed: retrying")).toHaveLength(1);
    expect(logs.some((l) => l.msg === "session write succeeded after retries")).toBe(true);
  });

  it("cap the retry delay at maxRetryDelayMs and jitter it down to half", async () => {
    const w = writes({ random: () => 0 });
    db.available = false;
    w.enqueue("lifecycle.live", db.write("live"));
    await settle();
    // Delays with random() = 0: 50, 100, 200, 400, 800, 1600, then the 5 s cap halved.
    await vi.advanceTimersByTimeAsync(50 + 100 + 200 + 400 + 800 + 1_600);
    expect(db.attempts).toBe(7);
    await vi.advanceTimersByTimeAsync(2_499);
    expect(db.attempts).toBe(7);
    await vi.advanceTimersByTimeAsync(1);
    expect(db.attempts).toBe(8);
    await vi.advanceTimersByTimeAsync(2_500);
    expect(db.attempts).toBe(9);
    db.available = true;
    await vi.advanceTimersByTimeAsync(2_500);
    expect(db.written).toEqual(["live"]);
  });

  it("give up a write the database refuses for another reason after maxFailedAttempts, logged and counted, and go on", async () => {
    const w = writes();
    let tries = 0;
    w.enqueue("analyses.batch", async () => {
      tries += 1;
      throw new Error("violates check constraint");
    });
    w.enqueue("participant.left", db.write("leave"));
    await vi.advanceTimersByTimeAsync(100 + 200);
    expect(tries).toBe(3);
    expect(db.written).toEqual(["leave"]);
    expect(w.lost).toBe(1);
    expect(await metric("engine_db_writes_lost_total", { write: "analyses.batch", reason: "failed" })).toBe(1);
    expect(await metric("engine_db_write_retries_total", { write: "analyses.batch", cause: "failed" })).toBe(2);
    expect(errors).toEqual(["write_failed", "write_failed", "write_failed"]);
    expect(logs.find((l) => l.msg === "session write failed: given up")).toMatchObject({ write: "analyses.batch" });
  });

  it("say degraded at degradedAtWrites, refuse past maxWrites (lost, logged once), and say ok again at half", async () => {
    const w = writes({ degradedAtWrites: 4, maxWrites: 6 });
    db.available = false;
    for (let i = 0; i < 3; i += 1) w.enqueue("transcript.segment", db.write(`s${i}`));
    expect(w.persistence).toBe("ok");
    w.enqueue("transcript.segment", db.write("s3"));
    expect(w.persistence).toBe("degraded");
    expect(changes).toEqual(["degraded"]);
    expect(await metric("engine_rooms_persistence_degraded")).toBe(1);
    w.enqueue("transcript.segment", db.write("s4"));
    w.enqueue("transcript.segment", db.write("s5"));
    w.enqueue("transcript.segment", db.write("refused-1"));
    w.enqueue("transcript.segment", db.write("refused-2"));
    expect(w.pending).toBe(6);
    expect(w.lost).toBe(2);
    expect(await metric("engine_db_writes_lost_total", { write: "transcript.segment", reason: "buffer_full" })).toBe(2);
    expect(logs.filter((l) => l.msg === "session writes refused: the buffer is full")).toHaveLength(1);

    db.available = true;
    await vi.advanceTimersByTimeAsync(100);
    expect(db.written).toEqual(["s0", "s1", "s2", "s3", "s4", "s5"]);
    expect(w.persistence).toBe("ok");
    expect(changes).toEqual(["degraded", "ok"]);
    expect(await metric("engine_rooms_persistence_degraded")).toBe(0);
    expect(metrics.degradedRooms).toBe(0);
    // The next accepted write reports how many were refused.
    w.enqueue("participant.left", db.write("leave"));
    expect(logs.find((l) => l.msg === "session writes were lost while the buffer was full")).toMatchObject({ refused: 2 });
  });

  it("flush(): false after its bound with writes still pending, which stay queued and are written when the database is back", async () => {
    const w = writes({ flushTimeoutMs: 1_000 });
    db.available = false;
    w.enqueue("lifecycle.draining", db.write("draining"));
    const flushed = w.flush();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await flushed).toBe(false);
    expect(w.pending).toBe(1);
    db.available = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(db.written).toEqual(["draining"]);
    expect(await w.flush()).toBe(true);
  });

  it("close(): waits closeTimeoutMs, then loses what is pending, logged with its count and labels and counted; later writes too", async () => {
    const w = writes({ closeTimeoutMs: 3_000 });
    db.available = false;
    w.enqueue("transcript.segment", db.write("s0"));
    w.enqueue("transcript.segment", db.write("s1"));
    w.enqueue("lifecycle.ended", db.write("ended"));
    const waiting = w.flush(60_000);
    let closed = false;
    void w.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(2_999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(closed).toBe(true);
    expect(await waiting).toBe(false);
    expect(w.pending).toBe(0);
    expect(w.lost).toBe(3);
    expect(logs.find((l) => l.msg.startsWith("session writes lost"))).toMatchObject({ lost: 3, writes: { "transcript.segment": 2, "lifecycle.ended": 1 } });
    expect(await metric("engine_db_writes_lost_total", { write: "transcript.segment", reason: "closed" })).toBe(2);
    expect(await metric("engine_db_writes_buffered")).toBe(0);

    const attempts = db.attempts;
    db.available = true;
    w.enqueue("participant.left", db.write("late"));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(db.attempts).toBe(attempts);
    expect(db.written).toEqual([]);
    expect(w.lost).toBe(4);
  });

  it("close(): returns as soon as everything is written, the writes made while it waits included", async () => {
    const w = writes();
    db.available = false;
    w.enqueue("transcript.segment", db.write("s0"));
    const closing = w.close();
    await vi.advanceTimersByTimeAsync(150);
    w.enqueue("lifecycle.ended", db.write("ended"));
    db.available = true;
    await vi.advanceTimersByTimeAsync(200);
    await closing;
    expect(db.written).toEqual(["s0", "ended"]);
    expect(w.lost).toBe(0);
  });

  it("keep writing when the observer throws", async () => {
    const w = new OrderedWrites({
      logger: pino({ level: "silent" }),
      observer: {
        dbWrite: () => {
          throw new Error("observer broke");
        },
        writeRetried: () => {},
        writesLost: () => {},
        writesBuffered: () => {},
        persistenceDegraded: () => {},
      },
    });
    w.enqueue("a", db.write("a"));
    w.enqueue("b", db.write("b"));
    expect(await w.flush()).toBe(true);
    expect(db.written).toEqual(["a", "b"]);
  });
});
