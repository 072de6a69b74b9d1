import type { MachineInfo } from "./machine-info.js";
import type { HoldStatus } from "./memory-client-pool.js";
import type { MemoryBenchOptions } from "./memory-options.js";
import type { MemoryPoint, PhaseResult } from "./memory-phase.js";
import type { Breakdown, BreakdownRow } from "./memory-breakdown.js";
import { formatTable } from "./report-table.js";

/**
 * Bytes of each figure: RSS (whole process); V8 heap used on every thread, of which worker threads' (the engine's
 * pool) and the main thread's code space (machine code the JIT made: a one-time cost that only looks per-client when
 * divided); external (C++ memory bound to main-thread JS objects).
 */
export interface Figures {
  rss: number;
  heap_used: number;
  workers_heap_used: number;
  code_space: number;
  external: number;
}

export interface ServerSummary {
  rooms: number;
  clients_joined: number;
  clients_failed: number;
  join_failures: Record<string, number>;
  join_ms_max: number;
  hold: HoldStatus;
  timings_ms: PhaseResult["timings_ms"];
  points: PhaseResult["points"];
  half_clients: number;
  /** (rooms only − baseline) ÷ rooms: what a room (session) costs before anyone joins. */
  per_room_bytes: Figures;
  /** (joined − baseline) ÷ clients: the figure, the room's own cost shared among its clients. */
  per_client_bytes: Figures;
  /** (joined − rooms only) ÷ clients: what the clients add to rooms that already exist. */
  per_client_beyond_room_bytes: Figures;
  /** (joined − half) ÷ second-half clients: one more idle client in a live room, no one-time cost. */
  marginal_client_bytes: Figures | null;
}

export interface MemoryReport {
  schema: "bench-memory/1";
  started_at: string;
  finished_at: string;
  duration_ms: number;
  mode: MemoryBenchOptions["mode"];
  ok: boolean;
  /** Both ratios within the target (null when a server was not measured). */
  pass: boolean | null;
  machine: MachineInfo & { load_average_1m_end: number };
  parameters: Record<string, unknown>;
  target: { max_ratio: number; figures: string };
  engine: ServerSummary | null;
  bare: ServerSummary | null;
  /** Engine per-participant ÷ bare per-client, (joined − baseline) ÷ clients on both sides. */
  ratio: { heap_used: number | null; rss: number | null };
  /** The same ratio for one more idle client of a live room ((joined − half) on both sides). */
  marginal_ratio: { heap_used: number | null; rss: number | null };
  /** The heap-snapshot stage: its own readings (a smaller run) and what the objects added were. */
  breakdown: (Breakdown & { engine: ServerSummary; bare: ServerSummary; note: string }) | null;
  errors: { stage: string; message: string }[];
  notes: string[];
}

const codeOf = (p: MemoryPoint) => (p.spaces["code_space"] ?? 0) + (p.spaces["code_large_object_space"] ?? 0);

const diff = (a: MemoryPoint, b: MemoryPoint, per: number): Figures => ({
  rss: Math.round((a.rss - b.rss) / Math.max(1, per)),
  heap_used: Math.round((a.heap_used + a.workers_heap_used - b.heap_used - b.workers_heap_used) / Math.max(1, per)),
  workers_heap_used: Math.round((a.workers_heap_used - b.workers_heap_used) / Math.max(1, per)),
  code_space: Math.round((codeOf(a) - codeOf(b)) / Math.max(1, per)),
  external: Math.round((a.external - b.external) / Math.max(1, per)),
});

export function summarizePhase(phase: PhaseResult): ServerSummary {
  const clients = phase.join.joined;
  const p = phase.points;
  const secondHalf = clients - phase.half_clients;
  return {
    rooms: phase.rooms,
    clients_joined: clients,
    clients_failed: phase.join.failed,
    join_failures: phase.join.failures,
    join_ms_max: phase.join.join_ms_max,
    hold: phase.hold,
    timings_ms: phase.timings_ms,
    points: p,
    half_clients: phase.half_clients,
    per_room_bytes: diff(p.rooms_only, p.baseline, phase.rooms),
    per_client_bytes: diff(p.joined, p.baseline, clients),
    per_client_beyond_room_bytes: diff(p.joined, p.rooms_only, clients),
    marginal_client_bytes: secondHalf > 0 ? diff(p.joined, p.half, secondHalf) : null,
  };
}

export function ratioOf(engine: number | undefined, bare: number | undefined): number | null {
  if (engine === undefined || bare === undefined || bare <= 0) return null;
  return Math.round((engine / bare) * 100) / 100;
}

const kib = (bytes: number) => Math.round((bytes / 1024) * 100) / 100;
const mib = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;

function serverRow(label: string, s: ServerSummary): (string | number | null)[] {
  const m = s.marginal_client_bytes;
  return [
    label,
    s.rooms,
    s.clients_joined,
    s.clients_failed,
    mib(s.points.baseline.rss),
    mib(s.points.joined.rss),
    mib(s.points.baseline.heap_used + s.points.baseline.workers_heap_used),
    mib(s.points.joined.heap_used + s.points.joined.workers_heap_used),
    kib(s.per_room_bytes.rss),
    kib(s.per_room_bytes.heap_used),
    kib(s.per_client_bytes.rss),
    kib(s.per_client_bytes.heap_used),
    kib(s.per_client_bytes.workers_heap_used),
    kib(s.per_client_bytes.code_space),
    m === null ? null : kib(m.rss),
    m === null ? null : kib(m.heap_used),
  ];
}

const SERVER_HEADERS = [
  "server",
  "rooms",
  "clients",
  "failed",
  "RSS base MiB",
  "RSS joined MiB",
  "heap base MiB",
  "heap joined MiB",
  "RSS/room KiB",
  "heap/room KiB",
  "RSS/client KiB",
  "heap/client KiB",
  "of it workers KiB",
  "of it code KiB",
  "marginal RSS KiB",
  "marginal heap KiB",
];

export function renderMemoryReport(report: MemoryReport, jsonPath: string, topRows: number): string {
  const m = report.machine;
  const out: string[] = [
    `Memory bench (${report.mode}) — ${m.cpus} CPUs (${m.cpu_model}), Node ${m.node_version}; ` +
      `load ${m.load_average_1m} → ${m.load_average_1m_end}`,
    `per client = (joined − baseline) ÷ clients; marginal = (joined − half joined) ÷ second-half clients; ` +
      `heap = all threads; each point the median of ${String(report.parameters["samples"])} agreeing readings after forced GC`,
    "",
  ];
  const rows: (string | number | null)[][] = [];
  if (report.bare !== null) rows.push(serverRow("bare Colyseus", report.bare));
  if (report.engine !== null) rows.push(serverRow("engine", report.engine));
  out.push(formatTable(SERVER_HEADERS, rows), "");
  const verdict = (r: number | null) => (r === null ? "n/a" : r <= report.target.max_ratio ? "PASS" : "FAIL");
  const max = report.target.max_ratio;
  out.push(
    formatTable(
      ["figure (engine ÷ bare)", "ratio", "max", "result"],
      [
        ["heap used per participant", report.ratio.heap_used, max, verdict(report.ratio.heap_used)],
        ["RSS per participant", report.ratio.rss, max, verdict(report.ratio.rss)],
        ["heap, marginal participant", report.marginal_ratio.heap_used, null, "info"],
        ["RSS, marginal participant", report.marginal_ratio.rss, null, "info"],
      ],
    ),
  );
  const b = report.breakdown;
  if (b !== null) {
    const table = (list: BreakdownRow[]) =>
      formatTable(
        ["item", "engine B", "bare B", "extra B", "engine n", "bare n"],
        list.slice(0, topRows).map((r) => [r.item, r.engine_bytes, r.bare_bytes, r.extra_bytes, r.engine_count, r.bare_count]),
      );
    const of = `${b.sessions} sessions × ${b.participants}`;
    out.push(
      "",
      `Breakdown (${of}, heap snapshot self bytes; n = objects): one more idle participant (joined − half), by holder`,
      table(b.per_participant.by_holder),
      "",
      `One session before anyone joins (rooms only − baseline), by holder`,
      table(b.per_session.by_holder),
      "",
      `One session, inference pool worker thread, by class`,
      table(b.per_session.pool_worker_by_class),
    );
  }
  for (const error of report.errors) out.push(`stage ${error.stage} failed: ${error.message}`);
  out.push("", `JSON: ${jsonPath} (${(report.duration_ms / 1000).toFixed(1)} s)`);
  return out.join("\n");
}
