/**
 * Memory per idle participant: the engine (`src/main.ts`, embedded defaults) beside a bare Colyseus 0.18 process,
 * with the same clients in the same run.
 *   1. Each server: warm-up, baseline (models loaded, no rooms), N rooms (sessions over REST / empty rooms), then
 *      N × M idle @colyseus/sdk clients from separate processes. RSS and V8 heap read after forced GC at each point.
 *   2. A smaller run (breakdown sessions × M) on fresh servers with heap snapshots: bytes per participant by
 *      constructor, engine beside bare, to say what an engine participant costs beyond a Colyseus client.
 * Writes JSON (default bench-results/memory.json) and prints a table.
 * Usage: npm run bench:memory -- [--quick] [--sessions N] [--participants M] (see --help)
 */
import { parseBenchCli, runBenchMain } from "./bench/bench-cli.js";
import { mkdir, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { machineInfo } from "./bench/machine-info.js";
import { MEMORY_TARGET_RATIO, MEMORY_USAGE, MemoryUsageError, parseMemoryOptions, type MemoryBenchOptions } from "./bench/memory-options.js";
import { measureServer, type PhaseResult, type PhaseSettings } from "./bench/memory-phase.js";
import { breakdownOf } from "./bench/memory-breakdown.js";
import { ratioOf, renderMemoryReport, summarizePhase, type MemoryReport } from "./bench/memory-report.js";
import { killRunningServers, startBareServer, startEngineServer, type ServerUnderTest } from "./bench/memory-servers.js";

/** Breakdown rows printed on stdout (the JSON keeps every category above its floor). */
const TOP_ROWS = 20;

interface Stage {
  bare: PhaseResult | null;
  engine: PhaseResult | null;
}

function log(line: string): void {
  process.stderr.write(`[bench:memory] ${line}\n`);
}

function settingsFor(options: MemoryBenchOptions, rooms: number, snapshots: boolean): PhaseSettings {
  return {
    rooms,
    participants: options.participants,
    clientProcesses: snapshots ? Math.min(2, options.clientProcesses) : options.clientProcesses,
    joinConcurrency: options.joinConcurrency,
    joinTimeoutMs: options.joinTimeoutMs,
    samples: options.samples,
    samplePauseMs: options.samplePauseMs,
    stabilizeMaxMs: options.stabilizeMaxMs,
    settleMs: options.settleMs,
    snapshots,
  };
}

/** Bare first, then the engine, one at a time: neither's clients or start-up share the CPUs with the other's readings. */
async function runStage(
  name: string,
  options: MemoryBenchOptions,
  rooms: number,
  snapshots: boolean,
  errors: MemoryReport["errors"],
): Promise<Stage> {
  const stage: Stage = { bare: null, engine: null };
  const starters: { kind: "bare" | "engine"; start: () => Promise<ServerUnderTest> }[] = [
    { kind: "bare", start: () => startBareServer(options.startTimeoutMs) },
    {
      kind: "engine",
      start: () =>
        startEngineServer({
          // The warm-up session is ended but counted until its room is gone; a margin keeps 503s away.
          maxSessions: rooms + 10,
          sourceAddresses: options.sourceAddresses,
          restConcurrency: options.restConcurrency,
          startTimeoutMs: options.startTimeoutMs,
        }),
    },
  ];
  for (const { kind, start } of starters) {
    let server: ServerUnderTest | null = null;
    try {
      log(`${name}: starting ${kind}`);
      server = await start();
      stage[kind] = await measureServer(server, settingsFor(options, rooms, snapshots), (line) => log(`${name}: ${line}`));
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      const message = server === null ? why : `${why}\n${kind} ${server.tail()}`;
      log(`${name}: ${kind} failed: ${message}`);
      errors.push({ stage: `${name}.${kind}`, message });
    } finally {
      await server?.stop().catch((error: unknown) => errors.push({ stage: `${name}.${kind}.stop`, message: String(error) }));
    }
  }
  return stage;
}

function parameters(options: MemoryBenchOptions): Record<string, unknown> {
  return {
    sessions: options.sessions,
    participants: options.participants,
    clients: options.sessions * options.participants,
    breakdown_sessions: options.breakdownSessions,
    client_processes: options.clientProcesses,
    join_concurrency_per_process: options.joinConcurrency,
    samples: options.samples,
    sample_pause_ms: options.samplePauseMs,
    stabilize_max_ms: options.stabilizeMaxMs,
    settle_ms: options.settleMs,
    rest_concurrency: options.restConcurrency,
    rest_source_addresses: options.sourceAddresses,
    engine: "src/main.ts via tsx, NODE_ENV=production, embedded PGlite, in-process inference pool (ASR_LANES=1), LOG_LEVEL=info",
    engine_sessions: "meeting, one token per participant (role participant) over REST, idle and duration timeouts 6 h",
    bare: "scripts/bench/memory-bare-server.ts: same @colyseus/core, ws-transport (maxPayload as the engine), local presence and driver; Room with no state",
    client_kind: "@colyseus/sdk Client.joinById, idle (no messages sent), in separate processes",
    measurement:
      "inspector HeapProfiler.collectGarbage ×2 on the main thread and every worker thread, pause, process.memoryUsage() " +
      "in the server; repeated until `samples` consecutive readings agree (RSS within 2 MiB or 0.5 %), median per figure",
  };
}

const NOTES = [
  "per_client_bytes = (joined − baseline) ÷ clients joined: a room's own cost is shared among its clients. " +
    "per_room_bytes = (rooms only − baseline) ÷ rooms; per_client_beyond_room_bytes = (joined − rooms only) ÷ clients; " +
    "marginal_client_bytes = (joined − half) ÷ second-half clients (one more idle client of a live room).",
  "Baseline comes after a warm-up (one room joined by two clients, left and ended), so first-use compilation and caches are not charged to participants.",
  "heap_used is V8 heap on every thread (main + workers: the engine's inference pool serves each room's gRPC stream on its worker); " +
    "RSS is the whole process (the engine's includes PGlite's WASM memory and onnxruntime).",
  "Breakdown (a smaller run): heap snapshot self sizes of the objects created between two points (ids the earlier " +
    "snapshot lacks), by holder (a room's or client's field, or the pre-existing object they hang from) and by " +
    "constructor; it attributes heap (and ArrayBuffer backing stores), not RSS.",
];

function breakdownStage(stage: Stage | null, options: MemoryBenchOptions): MemoryReport["breakdown"] {
  if (stage === null || stage.engine === null || stage.bare === null) return null;
  const breakdown = breakdownOf(stage.engine, stage.bare, options.breakdownSessions, options.participants);
  if (breakdown === null) return null;
  const note =
    "Heap figures only: this stage's RSS includes the native memory each heap snapshot leaves in the measured " +
    "process, and its per-room figures include first-use JIT code (fewer rooms to spread it over).";
  return { ...breakdown, engine: summarizePhase(stage.engine), bare: summarizePhase(stage.bare), note };
}

async function main(): Promise<number> {
  const cli = parseBenchCli((argv) => parseMemoryOptions(argv), MEMORY_USAGE, MemoryUsageError);
  if ("exitCode" in cli) return cli.exitCode;
  const options: MemoryBenchOptions = cli.options;
  const startedAt = new Date();
  const startedMs = performance.now();
  const machine = machineInfo();
  const errors: MemoryReport["errors"] = [];

  log(`mode ${options.mode}: ${options.sessions} sessions × ${options.participants} participants`);
  const main = await runStage("main", options, options.sessions, false, errors);
  const small =
    options.breakdownSessions > 0 ? await runStage("breakdown", options, options.breakdownSessions, true, errors) : null;

  const engine = main.engine === null ? null : summarizePhase(main.engine);
  const bare = main.bare === null ? null : summarizePhase(main.bare);
  const ratio = {
    heap_used: ratioOf(engine?.per_client_bytes.heap_used, bare?.per_client_bytes.heap_used),
    rss: ratioOf(engine?.per_client_bytes.rss, bare?.per_client_bytes.rss),
  };
  const marginalRatio = {
    heap_used: ratioOf(engine?.marginal_client_bytes?.heap_used, bare?.marginal_client_bytes?.heap_used),
    rss: ratioOf(engine?.marginal_client_bytes?.rss, bare?.marginal_client_bytes?.rss),
  };
  const complete = engine !== null && bare !== null && engine.clients_failed === 0 && bare.clients_failed === 0;
  const report: MemoryReport = {
    schema: "bench-memory/1",
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    duration_ms: Math.round(performance.now() - startedMs),
    mode: options.mode,
    ok: errors.length === 0 && complete,
    pass:
      ratio.heap_used === null || ratio.rss === null
        ? null
        : complete && ratio.heap_used <= MEMORY_TARGET_RATIO && ratio.rss <= MEMORY_TARGET_RATIO,
    machine: { ...machine, load_average_1m_end: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
    parameters: parameters(options),
    target: { max_ratio: MEMORY_TARGET_RATIO, figures: "heap_used and rss per participant, engine ÷ bare Colyseus" },
    engine,
    bare,
    ratio,
    marginal_ratio: marginalRatio,
    breakdown: breakdownStage(small, options),
    errors,
    notes: NOTES,
  };

  const jsonPath = resolve(options.jsonPath);
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${renderMemoryReport(report, options.jsonPath, TOP_ROWS)}\n`);
  return report.ok ? 0 : 1;
}

// A bench that dies or is interrupted must not leave a ~1 GB engine behind (client processes exit on their own).
process.once("exit", killRunningServers);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killRunningServers();
    process.exit(130);
  });
}

runBenchMain("bench:memory", main);
