import { parseArgs } from "node:util";

/** Everything the memory bench can be told; quick mode is the same shape with smaller numbers. */
export interface MemoryBenchOptions {
  mode: "full" | "quick";
  jsonPath: string;
  /** Sessions (engine) and empty rooms (bare Colyseus) of the measured run. */
  sessions: number;
  /** Idle clients per session and per room. */
  participants: number;
  /** Sessions × participants of the heap-snapshot stage (by-constructor breakdown); 0 skips it. */
  breakdownSessions: number;
  /** Processes the clients are spread over (each holds sessions × participants ÷ this many connections). */
  clientProcesses: number;
  /** Joins each client process keeps in flight. */
  joinConcurrency: number;
  joinTimeoutMs: number;
  /** Consecutive GC'd readings that must agree at each measurement point; the median of each figure is reported. */
  samples: number;
  /** Pause after the forced collections of each reading (freed pages reach the OS shortly after), and between readings. */
  samplePauseMs: number;
  /** Longest a point waits for its readings to agree (the engine sheds start-up RSS for ~20 s). */
  stabilizeMaxMs: number;
  /** Wait after the last join (and, for the engine, after every session went live) before measuring. */
  settleMs: number;
  /** REST calls in flight when creating sessions and issuing tokens. */
  restConcurrency: number;
  /** Loopback source addresses the REST calls are spread over (the API allows 50 requests/s per address). */
  sourceAddresses: number;
  startTimeoutMs: number;
}

export const DEFAULT_MEMORY_OPTIONS: MemoryBenchOptions = {
  mode: "full",
  jsonPath: "bench-results/memory.json",
  sessions: 1_000,
  participants: 10,
  breakdownSessions: 100,
  clientProcesses: 4,
  joinConcurrency: 32,
  joinTimeoutMs: 60_000,
  samples: 3,
  samplePauseMs: 500,
  stabilizeMaxMs: 60_000,
  settleMs: 3_000,
  restConcurrency: 16,
  sourceAddresses: 32,
  startTimeoutMs: 180_000,
};

/** About 2 minutes on 2 cores: the same stages, small counts. */
const QUICK_OVERRIDES: Partial<MemoryBenchOptions> = {
  mode: "quick",
  sessions: 50,
  breakdownSessions: 10,
  clientProcesses: 2,
  samples: 2,
  settleMs: 1_000,
};

/** The target: an idle engine participant costs at most this many times a bare Colyseus client. */
export const MEMORY_TARGET_RATIO = 1.5;

/** Per-process descriptor limit here is 20,000: a client process holds its share, the server all of them. */
const MAX_CLIENTS = 18_000;

export const MEMORY_USAGE = `Usage: npm run bench:memory -- [--quick] [--sessions N] [--participants M] [--json PATH]
  --sessions N        sessions (engine) and empty rooms (bare Colyseus) (default ${DEFAULT_MEMORY_OPTIONS.sessions}, quick ${QUICK_OVERRIDES.sessions})
  --participants M    idle clients per session (default ${DEFAULT_MEMORY_OPTIONS.participants}, at most 100)
  --breakdown N       sessions of the heap-snapshot stage, same participants (default ${DEFAULT_MEMORY_OPTIONS.breakdownSessions}; 0 skips it)
  --client-processes P  processes holding the clients (default ${DEFAULT_MEMORY_OPTIONS.clientProcesses})
  --samples K         agreeing GC'd readings per measurement point, median reported (default ${DEFAULT_MEMORY_OPTIONS.samples})
  --quick             about 2 minutes: ${QUICK_OVERRIDES.sessions} sessions, ${QUICK_OVERRIDES.breakdownSessions} in the snapshot stage
  --json PATH         where the JSON report goes (default ${DEFAULT_MEMORY_OPTIONS.jsonPath})
  MODELS_DIR          prepared Whisper cache the engine loads (default ./data/models)`;

export class MemoryUsageError extends Error {
  override readonly name = "MemoryUsageError";
}

export function parseMemoryOptions(argv: string[]): MemoryBenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      sessions: { type: "string" },
      participants: { type: "string" },
      breakdown: { type: "string" },
      "client-processes": { type: "string" },
      samples: { type: "string" },
      json: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return "help";
  const options: MemoryBenchOptions = { ...DEFAULT_MEMORY_OPTIONS, ...(values.quick ? QUICK_OVERRIDES : {}) };
  if (values.json !== undefined) options.jsonPath = values.json;
  if (values.sessions !== undefined) options.sessions = wholeNumber(values.sessions, "--sessions", 1, 10_000);
  if (values.participants !== undefined) options.participants = wholeNumber(values.participants, "--participants", 1, 100);
  if (values.breakdown !== undefined) options.breakdownSessions = wholeNumber(values.breakdown, "--breakdown", 0, 1_000);
  if (values["client-processes"] !== undefined) {
    options.clientProcesses = wholeNumber(values["client-processes"], "--client-processes", 1, 16);
  }
  if (values.samples !== undefined) options.samples = wholeNumber(values.samples, "--samples", 1, 9);
  if (options.sessions * options.participants > MAX_CLIENTS) {
    throw new MemoryUsageError(`sessions × participants must stay within ${MAX_CLIENTS} clients (descriptor limits)`);
  }
  // Each process holds its share of sockets under the same limit.
  options.clientProcesses = Math.max(options.clientProcesses, Math.ceil((options.sessions * options.participants) / 9_000));
  return options;
}

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new MemoryUsageError(`${flag} needs a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}
