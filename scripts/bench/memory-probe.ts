import WebSocket from "ws";
import { z } from "zod";

/**
 * Reads a server process's memory through the inspector protocol (the process runs with
 * `NODE_OPTIONS=--inspect=127.0.0.1:0`): full collections first, on the main thread and on every worker thread
 * (the engine's inference pool and WAV decoder), so the figures are what survives, not what each isolate's own GC
 * schedule happened to leave. Nothing is added to the measured process's code.
 */

/** One reading after forced GCs. Bytes. */
export interface MemorySample {
  /** The whole process. */
  rss: number;
  /** The main thread's V8 heap (rooms, clients, sessions live there). */
  heap_used: number;
  heap_total: number;
  /** Every worker thread's V8 heap together (the engine's pool serves each room's gRPC stream there). */
  workers_heap_used: number;
  /** C++ objects bound to JS (sockets' native halves, Buffers' backing stores, WASM memories). */
  external: number;
  array_buffers: number;
  /** Used bytes per V8 space of the main thread (old, code, large object, ...). */
  spaces: Record<string, number>;
}

const message = z.object({
  id: z.number().optional(),
  method: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ message: z.string() }).optional(),
});
type InspectorMessage = z.infer<typeof message>;
const attached = z.object({ sessionId: z.string() });
const fromWorker = z.object({ sessionId: z.string(), message: z.string() });
const evaluated = z.object({ result: z.object({ type: z.string(), value: z.string().optional() }) });
const heapUsage = z.object({ usedSize: z.number() });
const usage = z.object({
  rss: z.number(),
  heapUsed: z.number(),
  heapTotal: z.number(),
  external: z.number(),
  arrayBuffers: z.number(),
  spaces: z.record(z.string(), z.number()),
});

/** Evaluated in the measured process: its own view of its memory, as one JSON string (no object handles kept). */
const USAGE_EXPRESSION = `(() => {
  const m = process.memoryUsage();
  const spaces = {};
  for (const s of process.getBuiltinModule("v8").getHeapSpaceStatistics()) spaces[s.space_name] = s.space_used_size;
  return JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external,
    arrayBuffers: m.arrayBuffers, spaces });
})()`;

const DEBUGGER_URL = /Debugger listening on (ws:\/\/\S+)/;

export function debuggerUrlFrom(output: readonly string[]): string | null {
  for (const chunk of output) {
    const match = DEBUGGER_URL.exec(chunk);
    if (match?.[1] !== undefined) return match[1];
  }
  return null;
}

type Waiter = { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void };

export class MemoryProbe {
  readonly #socket: WebSocket;
  /** Replies awaited, by "main:<id>" or "<worker session>:<id>". */
  readonly #pending = new Map<string, Waiter>();
  readonly #workers = new Set<string>();
  /** Snapshot chunks being received, by target ("main" or a worker's session). */
  readonly #chunks = new Map<string, string[]>();
  #nextId = 0;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on("message", (data: Buffer) => this.#receive("main", message.parse(JSON.parse(data.toString("utf8")))));
    socket.on("close", () => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error("inspector connection closed"));
      this.#pending.clear();
    });
  }

  static async connect(debuggerUrl: string): Promise<MemoryProbe> {
    const socket = new WebSocket(debuggerUrl);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    const probe = new MemoryProbe(socket);
    await probe.#call("main", "HeapProfiler.enable");
    // Running workers are announced (attachedToWorker) right after this; none is paused.
    await probe.#call("main", "NodeWorker.enable", { waitForDebuggerOnStart: false });
    await new Promise((resolve) => setTimeout(resolve, 200));
    return probe;
  }

  get workerCount(): number {
    return this.#workers.size;
  }

  #receive(target: string, m: InspectorMessage): void {
    if (m.id !== undefined) {
      const key = `${target}:${m.id}`;
      const waiter = this.#pending.get(key);
      this.#pending.delete(key);
      if (m.error !== undefined) waiter?.reject(new Error(m.error.message));
      else waiter?.resolve(m.result ?? {});
      return;
    }
    if (m.method === "HeapProfiler.addHeapSnapshotChunk") {
      const chunk = m.params?.["chunk"];
      if (typeof chunk === "string") this.#chunks.get(target)?.push(chunk);
    } else if (m.method === "NodeWorker.attachedToWorker") {
      this.#workers.add(attached.parse(m.params).sessionId);
    } else if (m.method === "NodeWorker.detachedFromWorker") {
      this.#workers.delete(attached.parse(m.params).sessionId);
    } else if (m.method === "NodeWorker.receivedMessageFromWorker") {
      const relayed = fromWorker.parse(m.params);
      this.#receive(relayed.sessionId, message.parse(JSON.parse(relayed.message)));
    }
  }

  /**
   * A call on the main thread ("main") or, relayed through NodeWorker, on a worker's session. Bounded: a worker that
   * exits mid-call never answers.
   */
  #call(target: string, method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    this.#nextId += 1;
    const id = this.#nextId;
    const key = `${target}:${id}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        reject(new Error(`${method} on ${target}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = <T>(done: (value: T) => void) => (value: T) => {
        clearTimeout(timer);
        done(value);
      };
      this.#pending.set(key, { resolve: settle(resolve), reject: settle(reject) });
      const payload = JSON.stringify({ id, method, params });
      if (target === "main") this.#socket.send(payload);
      else {
        this.#nextId += 1;
        const relay = { id: this.#nextId, method: "NodeWorker.sendMessageToWorker", params: { sessionId: target, message: payload } };
        this.#socket.send(JSON.stringify(relay));
      }
    });
  }

  /** Two full collections on every thread (the second frees what the first's finalizers released), then a reading. */
  async sample(pauseMs: number): Promise<MemorySample> {
    const targets = ["main", ...this.#workers];
    for (let round = 0; round < 2; round++) {
      await Promise.all(targets.map((target) => this.#call(target, "HeapProfiler.collectGarbage")));
    }
    // Freed pages go back to the OS shortly after the collection, not during it.
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const workerHeaps = await Promise.all(
      [...this.#workers].map(async (target) => heapUsage.parse(await this.#call(target, "Runtime.getHeapUsage")).usedSize),
    );
    const result = evaluated.parse(await this.#call("main", "Runtime.evaluate", { expression: USAGE_EXPRESSION, returnByValue: true }));
    if (result.result.value === undefined) throw new Error(`memory usage evaluated to ${result.result.type}`);
    const u = usage.parse(JSON.parse(result.result.value));
    return {
      rss: u.rss,
      heap_used: u.heapUsed,
      heap_total: u.heapTotal,
      workers_heap_used: workerHeaps.reduce((sum, n) => sum + n, 0),
      external: u.external,
      array_buffers: u.arrayBuffers,
      spaces: u.spaces,
    };
  }

  /**
   * A full heap snapshot (V8 collects garbage first) of the main thread or of one worker (`largestWorker()`), as the
   * JSON text DevTools would save.
   */
  async heapSnapshot(target = "main"): Promise<string> {
    const chunks: string[] = [];
    this.#chunks.set(target, chunks);
    try {
      if (target !== "main") await this.#call(target, "HeapProfiler.enable");
      await this.#call(target, "HeapProfiler.takeHeapSnapshot", { reportProgress: false, captureNumericValue: false }, 300_000);
      return chunks.join("");
    } finally {
      this.#chunks.delete(target);
    }
  }

  /** The worker thread with the most heap in use (the engine's inference pool), or null without workers. */
  async largestWorker(): Promise<string | null> {
    let best: { target: string; used: number } | null = null;
    for (const target of this.#workers) {
      const used = heapUsage.parse(await this.#call(target, "Runtime.getHeapUsage")).usedSize;
      if (best === null || used > best.used) best = { target, used };
    }
    return best?.target ?? null;
  }

  close(): void {
    this.#socket.close();
  }
}

/** The median of each figure over several samples (each figure on its own: a stray GC moves one, not all). */
export function medianSample(samples: readonly MemorySample[]): MemorySample {
  if (samples.length === 0) throw new Error("no memory samples");
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  };
  const spaceNames = new Set(samples.flatMap((s) => Object.keys(s.spaces)));
  return {
    rss: median(samples.map((s) => s.rss)),
    heap_used: median(samples.map((s) => s.heap_used)),
    heap_total: median(samples.map((s) => s.heap_total)),
    workers_heap_used: median(samples.map((s) => s.workers_heap_used)),
    external: median(samples.map((s) => s.external)),
    array_buffers: median(samples.map((s) => s.array_buffers)),
    spaces: Object.fromEntries([...spaceNames].map((name) => [name, median(samples.map((s) => s.spaces[name] ?? 0))])),
  };
}
