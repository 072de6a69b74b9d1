import { ClientPool, type HoldStatus, type JoinOutcome } from "./memory-client-pool.js";
import { medianSample, type MemorySample } from "./memory-probe.js";
import type { MemoryBenchOptions } from "./memory-options.js";
import type { Seat } from "./memory-protocol.js";
import type { ServerUnderTest } from "./memory-servers.js";
import { nodeIds, parseHeapGraph, type Attribution } from "./memory-heap-graph.js";
import { attributeMerged, CLIENT_OWNERS, ROOM_OWNERS, summarizeGraph, type SnapshotSummary } from "./memory-snapshot.js";

/** How one server is measured; the same for the engine and the bare Colyseus process (the run's options, per phase). */
export type PhaseSettings = Pick<
  MemoryBenchOptions,
  "participants" | "clientProcesses" | "joinConcurrency" | "joinTimeoutMs" | "samples" | "samplePauseMs" | "stabilizeMaxMs" | "settleMs"
> & {
  rooms: number;
  /** Take a heap snapshot at each point (the breakdown stage only: a snapshot of 10,000 clients is too large). */
  snapshots: boolean;
};

/** A measurement point: the median of each figure over the last agreeing readings. */
export interface MemoryPoint extends MemorySample {
  /** RSS and heap of the readings the median came from. */
  readings: { rss: number; heap_used: number }[];
  /** Readings taken in all before they agreed. */
  attempts: number;
  stable: boolean;
}

export type PointName = "baseline" | "rooms_only" | "half" | "joined";

export interface PhaseResult {
  server: ServerUnderTest["kind"];
  rooms: number;
  clients_expected: number;
  /** baseline: started, models loaded, warm-up room joined, left and ended, no rooms. rooms_only: rooms, no clients.
   * half: the first half of every room's clients joined. joined: all of them, idle, state settled. */
  points: Record<PointName, MemoryPoint>;
  /** Clients connected at the `half` point (the first ⌈M/2⌉ of every room). */
  half_clients: number;
  join: JoinOutcome;
  /** Checked right after the `joined` readings: every connection was there while it was measured. */
  hold: HoldStatus;
  timings_ms: { warm_up: number; create_rooms: number; seats: number; join: number; settle: number };
  snapshots: PhaseSnapshots | null;
}

/** The breakdown stage's heap snapshots, reduced as soon as taken (a parsed snapshot is a few hundred MB). */
export interface PhaseSnapshots {
  /** Main thread, by category, at each point. */
  summaries: Record<PointName, SnapshotSummary>;
  /** Objects created between baseline and rooms only, by who holds them (ROOM_OWNERS). */
  room_holders: Attribution[];
  /** Objects created between half and joined, by who holds them (CLIENT_OWNERS). */
  client_holders: Attribution[];
  /** The worker thread with the most heap (the engine's inference pool), by category, before and after the rooms. */
  worker: { baseline: SnapshotSummary; rooms_only: SnapshotSummary } | null;
}

/** Takes and reduces the snapshots of one phase, point by point. */
class SnapshotRecorder {
  readonly #server: ServerUnderTest;
  readonly summaries: Partial<Record<PointName, SnapshotSummary>> = {};
  readonly worker: Partial<Record<"baseline" | "rooms_only", SnapshotSummary>> = {};
  roomHolders: Attribution[] = [];
  clientHolders: Attribution[] = [];
  #previousIds: Set<number> | null = null;

  constructor(server: ServerUnderTest) {
    this.#server = server;
  }

  async take(point: PointName): Promise<void> {
    const graph = parseHeapGraph(await this.#server.probe.heapSnapshot());
    this.summaries[point] = summarizeGraph(graph);
    if (point === "rooms_only" && this.#previousIds !== null) this.roomHolders = attributeMerged(graph, this.#previousIds, ROOM_OWNERS);
    if (point === "joined" && this.#previousIds !== null) this.clientHolders = attributeMerged(graph, this.#previousIds, CLIENT_OWNERS);
    this.#previousIds = nodeIds(graph);
    if (point === "baseline" || point === "rooms_only") {
      const worker = await this.#server.probe.largestWorker();
      if (worker !== null) this.worker[point] = summarizeGraph(parseHeapGraph(await this.#server.probe.heapSnapshot(worker)));
    }
  }

  result(): PhaseSnapshots | null {
    const { baseline, rooms_only: roomsOnly, half, joined } = this.summaries;
    if (baseline === undefined || roomsOnly === undefined || half === undefined || joined === undefined) return null;
    const w = this.worker;
    return {
      summaries: { baseline, rooms_only: roomsOnly, half, joined },
      room_holders: this.roomHolders,
      client_holders: this.clientHolders,
      worker: w.baseline !== undefined && w.rooms_only !== undefined ? { baseline: w.baseline, rooms_only: w.rooms_only } : null,
    };
  }
}

/** Readings agree when their RSS is within this many bytes (or 0.5 %), and their heap within a quarter of that. */
const RSS_TOLERANCE_BYTES = 2 * 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const spread = (values: number[]) => Math.max(...values) - Math.min(...values);

/**
 * GC'd readings until the last `samples` agree: an engine sheds several hundred MB of start-up RSS over ~20 s
 * (model loading, PGlite), and any server returns freed pages to the OS only gradually after a burst of joins.
 */
async function point(server: ServerUnderTest, settings: PhaseSettings): Promise<MemoryPoint> {
  const readings: MemorySample[] = [];
  const deadline = Date.now() + settings.stabilizeMaxMs;
  for (;;) {
    readings.push(await server.probe.sample(settings.samplePauseMs));
    const last = readings.slice(-settings.samples);
    const tolerance = Math.max(RSS_TOLERANCE_BYTES, 0.005 * (last[0]?.rss ?? 0));
    const agree =
      last.length >= settings.samples &&
      spread(last.map((s) => s.rss)) <= tolerance &&
      spread(last.map((s) => s.heap_used)) <= tolerance / 4;
    if (agree || Date.now() > deadline) {
      return {
        ...medianSample(last),
        readings: last.map((s) => ({ rss: s.rss, heap_used: s.heap_used })),
        attempts: readings.length,
        stable: agree,
      };
    }
    await sleep(settings.samplePauseMs);
  }
}

function mergeJoins(a: JoinOutcome, b: JoinOutcome): JoinOutcome {
  const failures = { ...a.failures };
  for (const [key, n] of Object.entries(b.failures)) failures[key] = (failures[key] ?? 0) + n;
  return {
    joined: a.joined + b.joined,
    failed: a.failed + b.failed,
    failures,
    join_ms_max: Math.max(a.join_ms_max, b.join_ms_max),
    elapsed_ms: a.elapsed_ms + b.elapsed_ms,
  };
}

/**
 * Warm-up, baseline, rooms, then the clients in two halves: each point read after forced GCs. The warm-up joins and
 * ends one room first, so code compiled and caches filled on first use are in the baseline. The second half joins
 * rooms already live: (joined − half) is what one more idle participant costs, without any one-time cost.
 */
export async function measureServer(
  server: ServerUnderTest,
  settings: PhaseSettings,
  progress: (line: string) => void,
): Promise<PhaseResult> {
  const pool = new ClientPool(settings.clientProcesses);
  const recorder = settings.snapshots ? new SnapshotRecorder(server) : null;
  try {
    const t0 = performance.now();
    const warmRooms = await server.createRooms(1, settings.participants);
    const warmSeats = await server.seats(warmRooms, Math.min(2, settings.participants));
    const warm = await pool.join(server.wsUrl, warmSeats, settings.joinConcurrency, settings.joinTimeoutMs);
    if (warm.failed > 0) throw new Error(`warm-up joins failed: ${JSON.stringify(warm.failures)}`);
    await pool.leave();
    await server.endRooms(warmRooms);
    await sleep(settings.settleMs);
    const warmUpMs = performance.now() - t0;

    progress(`${server.kind}: baseline`);
    const baseline = await point(server, settings);
    await recorder?.take("baseline");

    progress(`${server.kind}: creating ${settings.rooms} rooms`);
    const t1 = performance.now();
    const rooms = await server.createRooms(settings.rooms, settings.participants);
    const createMs = performance.now() - t1;
    await sleep(settings.settleMs);
    const roomsOnly = await point(server, settings);
    await recorder?.take("rooms_only");

    const t2 = performance.now();
    const seats = await server.seats(rooms, settings.participants);
    const seatsMs = performance.now() - t2;
    // Seats come room by room, participant p0 first: the first ⌈M/2⌉ of each room, then the rest.
    const firstCount = Math.ceil(settings.participants / 2);
    const halves: [Seat[], Seat[]] = [[], []];
    seats.forEach((seat, i) => halves[i % settings.participants < firstCount ? 0 : 1].push(seat));

    const joinHalf = async (half: Seat[], label: string) => {
      progress(`${server.kind}: joining ${half.length} clients (${label}) from ${settings.clientProcesses} processes`);
      const outcome = await pool.join(server.wsUrl, half, settings.joinConcurrency, settings.joinTimeoutMs);
      progress(`${server.kind}: ${outcome.joined} joined, ${outcome.failed} failed in ${(outcome.elapsed_ms / 1000).toFixed(1)} s`);
      const t = performance.now();
      // A session goes live with its first participant: all of them live means every join reached the machine.
      await server.settle(outcome.failed === 0 ? rooms.length : 0, settings.settleMs);
      return { outcome, settleMs: performance.now() - t };
    };
    const first = await joinHalf(halves[0], "first half");
    const half = await point(server, settings);
    await recorder?.take("half");
    const second = await joinHalf(halves[1], "second half");
    const joined = await point(server, settings);
    const hold = await pool.status();
    await recorder?.take("joined");

    await pool.leave();
    const join = mergeJoins(first.outcome, second.outcome);
    return {
      server: server.kind,
      rooms: settings.rooms,
      clients_expected: seats.length,
      points: { baseline, rooms_only: roomsOnly, half, joined },
      half_clients: first.outcome.joined,
      join,
      hold,
      timings_ms: {
        warm_up: Math.round(warmUpMs),
        create_rooms: Math.round(createMs),
        seats: Math.round(seatsMs),
        join: join.elapsed_ms,
        settle: Math.round(first.settleMs + second.settleMs),
      },
      snapshots: recorder?.result() ?? null,
    };
  } finally {
    await pool.stop();
  }
}
