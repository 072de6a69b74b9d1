import type { PhaseResult } from "./memory-phase.js";
import { categoryDelta, perUnit, type Delta } from "./memory-snapshot.js";

/** One line of the breakdown: bytes (heap snapshot self sizes) per participant or per session, engine beside bare. */
export interface BreakdownRow {
  item: string;
  engine_bytes: number;
  bare_bytes: number;
  /** engine − bare: what the engine costs beyond a bare Colyseus client (or room) on this line. */
  extra_bytes: number;
  engine_count: number;
  bare_count: number;
}

export interface Breakdown {
  sessions: number;
  participants: number;
  /** One more idle participant of a live session: objects created between `half` and `joined` ÷ second-half clients. */
  per_participant: {
    /** By who holds them (the client's fields, the schema instance's, or the pre-existing object they hang from). */
    by_holder: BreakdownRow[];
    /** Net growth by constructor (DevTools' Comparison view). */
    by_class: BreakdownRow[];
  };
  /** One session (room) before anyone joins: baseline → rooms only ÷ rooms. */
  per_session: {
    by_holder: BreakdownRow[];
    by_class: BreakdownRow[];
    /** The worker thread with the most heap (the engine's inference pool: each room's gRPC stream is served there). */
    pool_worker_by_class: BreakdownRow[];
  };
}

/** Lines whose engine or bare figure reaches this many bytes are kept (the rest is noise in a table). */
const PARTICIPANT_FLOOR_BYTES = 8;
const SESSION_FLOOR_BYTES = 64;

function joinRows(engine: readonly Delta[], bare: readonly Delta[], floor: number): BreakdownRow[] {
  const e = new Map(engine.map((d) => [d.key, d]));
  const b = new Map(bare.map((d) => [d.key, d]));
  const rows: BreakdownRow[] = [];
  for (const key of new Set([...e.keys(), ...b.keys()])) {
    const x = e.get(key);
    const y = b.get(key);
    const row: BreakdownRow = {
      item: key,
      engine_bytes: Math.round(x?.bytes_per ?? 0),
      bare_bytes: Math.round(y?.bytes_per ?? 0),
      extra_bytes: Math.round((x?.bytes_per ?? 0) - (y?.bytes_per ?? 0)),
      engine_count: Math.round((x?.count_per ?? 0) * 100) / 100,
      bare_count: Math.round((y?.count_per ?? 0) * 100) / 100,
    };
    if (Math.max(Math.abs(row.engine_bytes), Math.abs(row.bare_bytes)) >= floor) rows.push(row);
  }
  return rows.sort((p, q) => q.extra_bytes - p.extra_bytes || q.engine_bytes - p.engine_bytes);
}

const secondHalf = (phase: PhaseResult) => Math.max(1, phase.join.joined - phase.half_clients);

/** Both servers' snapshots of the breakdown stage, side by side; null when either has none. */
export function breakdownOf(engine: PhaseResult, bare: PhaseResult, sessions: number, participants: number): Breakdown | null {
  const e = engine.snapshots;
  const b = bare.snapshots;
  if (e === null || b === null) return null;
  const [ce, cb] = [secondHalf(engine), secondHalf(bare)];
  const [re, rb] = [Math.max(1, engine.rooms), Math.max(1, bare.rooms)];
  const workerDelta = (phase: PhaseResult, per: number) => {
    const w = phase.snapshots?.worker;
    return w === null || w === undefined ? [] : categoryDelta(w.baseline, w.rooms_only, per);
  };
  return {
    sessions,
    participants,
    per_participant: {
      by_holder: joinRows(perUnit(e.client_holders, ce), perUnit(b.client_holders, cb), PARTICIPANT_FLOOR_BYTES),
      by_class: joinRows(
        categoryDelta(e.summaries.half, e.summaries.joined, ce),
        categoryDelta(b.summaries.half, b.summaries.joined, cb),
        PARTICIPANT_FLOOR_BYTES,
      ),
    },
    per_session: {
      by_holder: joinRows(perUnit(e.room_holders, re), perUnit(b.room_holders, rb), SESSION_FLOOR_BYTES),
      by_class: joinRows(
        categoryDelta(e.summaries.baseline, e.summaries.rooms_only, re),
        categoryDelta(b.summaries.baseline, b.summaries.rooms_only, rb),
        SESSION_FLOOR_BYTES,
      ),
      pool_worker_by_class: joinRows(workerDelta(engine, re), workerDelta(bare, rb), SESSION_FLOOR_BYTES),
    },
  };
}
