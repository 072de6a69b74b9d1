import { fork, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { debuggerUrlFrom, MemoryProbe } from "./memory-probe.js";
import { bareReply, IpcChannel, type BareReply, type BareRequest, type Seat } from "./memory-protocol.js";
import { inParallel, ManagementApi } from "./memory-rest.js";

/** One server of the comparison, measured the same way whichever it is. */
export interface ServerUnderTest {
  kind: "engine" | "bare";
  pid: number;
  wsUrl: string;
  probe: MemoryProbe;
  /** Sessions (engine, over REST) or empty rooms (bare, over IPC), created ahead of their clients. */
  createRooms(count: number, participants: number): Promise<string[]>;
  /** What each client needs to join: the room id, and for the engine a token issued for that participant. */
  seats(roomIds: readonly string[], participants: number): Promise<Seat[]>;
  /** Ends rooms (engine: DELETE, the session drains and its room is disposed). */
  endRooms(roomIds: readonly string[]): Promise<void>;
  /** Resolves once what joins set off has finished (engine: every session live, so its writes were made). */
  settle(liveSessions: number, settleMs: number): Promise<void>;
  /** The process's last output lines and exit status, for a failure's report. */
  tail(): string;
  stop(): Promise<void>;
}

export interface EngineSettings {
  maxSessions: number;
  /** Loopback source addresses the REST calls are spread over (each has its own 50 requests/s budget). */
  sourceAddresses: number;
  restConcurrency: number;
  startTimeoutMs: number;
}

/** Long enough that no session of a run drains or ends on its own (the run takes minutes). */
const SESSION_LIFETIME_MS = 6 * 60 * 60_000;
const INSPECT = "--inspect=127.0.0.1:0";
const BARE_ENTRY = fileURLToPath(new URL("./memory-bare-server.ts", import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Servers started and not yet stopped, with their data folder: the engine has no IPC channel, so it would outlive a
 * bench that died.
 */
const running = new Map<ChildProcess, string | null>();

/** Kills every server still running and removes its data folder (synchronous, for `exit` and signal handlers). */
export function killRunningServers(): void {
  for (const [child, dataDir] of running) {
    child.kill("SIGKILL");
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
  }
  running.clear();
}

async function waitFor<T>(probe: () => T | null, timeoutMs: number, what: string, output: readonly string[]): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what} not seen in ${timeoutMs} ms:\n${output.slice(-20).join("\n")}`);
    await sleep(100);
  }
}

/** Keeps the last lines a process printed (bounded): a join log line each would otherwise pile up for 10,000 joins. */
function keepTail(child: ChildProcess, lines = 40): () => string {
  const kept: string[] = [];
  let status = "running";
  const push = (chunk: string) => {
    for (const line of chunk.split("\n")) if (line.trim() !== "") kept.push(line.slice(0, 400));
    kept.splice(0, Math.max(0, kept.length - lines));
  };
  child.stdout?.removeAllListeners("data").setEncoding("utf8").on("data", push);
  child.stderr?.removeAllListeners("data").setEncoding("utf8").on("data", push);
  child.once("exit", (code, signal) => (status = `exited (${code ?? signal})`));
  return () => `${status}; last output:\n${kept.join("\n")}`;
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(killer);
  running.delete(child);
}

interface EngineChild {
  child: ChildProcess;
  /** stdout lines and stderr chunks until it was ready. */
  output: string[];
  exited: Promise<void>;
}

/**
 * `src/main.ts` in its own process, as test/support/engine-process.ts starts it (tsx, NODE_ENV=production: no demo
 * meeting; one Whisper lane; loopback, a free port), registered in `running` at once so that an interrupted bench
 * never leaves it behind.
 */
function spawnEngineProcess(env: Record<string, string>, dataDir: string): EngineChild {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: process.cwd(),
    env: { ...process.env, NODE_ENV: "production", PORT: "0", HOST: "127.0.0.1", ASR_LANES: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.set(child, dataDir);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const output: string[] = [];
  let buffered = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    output.push(...lines);
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => output.push(chunk));
  return { child, output, exited };
}

/** The URL of the engine's "engine listening" log line, once it is printed. */
function listeningUrl(engine: EngineChild): string | null {
  for (const line of engine.output) {
    if (!line.includes('"msg":"engine listening"')) continue;
    const url = /"url":"([^"]+)"/.exec(line)?.[1];
    if (url !== undefined) return url;
  }
  if (engine.child.exitCode !== null) throw new Error(`the engine exited (${engine.child.exitCode}) before it listened`);
  return null;
}

/** Waits for the models (a load failure is an error, not a baseline) and connects the probe. */
async function engineReady(output: readonly string[], timeoutMs: number): Promise<MemoryProbe> {
  const loaded = (line: string) => line.includes('"msg":"whisper loaded"') || line.includes('"msg":"model unavailable"');
  await waitFor(() => (output.some(loaded) ? true : null), timeoutMs, "whisper loaded", output);
  const failed = output.filter((line) => line.includes('"msg":"model unavailable"'));
  if (failed.length > 0) throw new Error(`a model did not load:\n${failed.join("\n")}`);
  return MemoryProbe.connect(await waitFor(() => debuggerUrlFrom(output), 5_000, "the debugger URL", output));
}

/**
 * The engine as `npm start` runs it (src/main.ts through tsx, embedded PGlite and in-process inference pool, fresh
 * data folder), with the inspector on for the probe. Returned once the models are loaded: they are part of the
 * baseline, never of a participant's cost.
 */
export async function startEngineServer(settings: EngineSettings): Promise<ServerUnderTest> {
  const dataDir = await mkdtemp(join(tmpdir(), "bench-memory-engine-"));
  const adminKey = randomBytes(24).toString("hex");
  const env = {
    DATA_DIR: dataDir,
    ADMIN_API_KEY: adminKey,
    MAX_SESSIONS: String(settings.maxSessions),
    MODELS_DIR: process.env["MODELS_DIR"] ?? join(process.cwd(), "data", "models"),
    LOG_LEVEL: "info",
    NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} ${INSPECT}`.trim(),
  };
  const engine = spawnEngineProcess(env, dataDir);
  let httpUrl: string;
  let probe: MemoryProbe;
  try {
    httpUrl = await waitFor(() => listeningUrl(engine), settings.startTimeoutMs, "engine listening", engine.output);
    probe = await engineReady(engine.output, settings.startTimeoutMs);
  } catch (error) {
    await stopChild(engine.child, engine.exited);
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const tail = keepTail(engine.child);
  const api = new ManagementApi(httpUrl, adminKey, settings.sourceAddresses);
  const pid = engine.child.pid;
  if (pid === undefined) throw new Error("the engine process has no pid");

  return {
    kind: "engine",
    pid,
    wsUrl: httpUrl.replace(/^http/, "ws"),
    probe,
    async createRooms(count, participants) {
      const ids: string[] = new Array<string>(count);
      const spec = { participants, idleTimeoutMs: SESSION_LIFETIME_MS, maxDurationMs: SESSION_LIFETIME_MS };
      await inParallel(count, settings.restConcurrency, async (i) => {
        ids[i] = await api.createSession(spec);
      });
      return ids;
    },
    seats: (roomIds, participants) => api.seats(roomIds, participants, SESSION_LIFETIME_MS, settings.restConcurrency),
    async endRooms(roomIds) {
      await inParallel(roomIds.length, settings.restConcurrency, async (i) => {
        const id = roomIds[i];
        if (id !== undefined) await api.endSession(id);
      });
    },
    async settle(liveSessions, settleMs) {
      const deadline = Date.now() + 60_000;
      while ((await api.countSessions("live")) < liveSessions) {
        if (Date.now() > deadline) throw new Error(`fewer than ${liveSessions} sessions went live in 60 s`);
        await sleep(250);
      }
      await sleep(settleMs);
    },
    tail,
    async stop() {
      probe.close();
      api.close();
      await stopChild(engine.child, engine.exited);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The bare Colyseus process (memory-bare-server.ts), under tsx like the engine, inspector on. */
export async function startBareServer(startTimeoutMs: number): Promise<ServerUnderTest> {
  const child = fork(BARE_ENTRY, [], { execArgv: ["--import", "tsx", INSPECT], stdio: ["ignore", "pipe", "pipe", "ipc"] });
  running.set(child, null);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const channel = new IpcChannel<BareRequest, BareReply>(child, bareReply, "the bare Colyseus server");
  const output: string[] = [];
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => output.push(chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => output.push(chunk));
  const listening = (): string | null => {
    for (const chunk of output) {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(chunk);
      if (match?.[1] !== undefined) return match[1];
    }
    return null;
  };
  const httpUrl = await waitFor(listening, startTimeoutMs, "bare listening", output);
  const debuggerUrl = await waitFor(() => debuggerUrlFrom(output), 5_000, "the debugger URL", output);
  const tail = keepTail(child);
  const probe = await MemoryProbe.connect(debuggerUrl);
  const pid = child.pid;
  if (pid === undefined) throw new Error("the bare server has no pid");

  return {
    kind: "bare",
    pid,
    wsUrl: httpUrl.replace(/^http/, "ws"),
    probe,
    async createRooms(count) {
      return (await channel.request({ type: "create", count }, "created")).roomIds;
    },
    async seats(roomIds, participants) {
      return roomIds.flatMap((roomId) => Array.from({ length: participants }, () => ({ roomId, token: null })));
    },
    async endRooms(roomIds) {
      await channel.request({ type: "dispose", roomIds: [...roomIds] }, "disposed");
    },
    async settle(_liveSessions, settleMs) {
      await sleep(settleMs);
    },
    tail,
    async stop() {
      probe.close();
      if (child.connected) child.disconnect();
      await stopChild(child, exited);
    },
  };
}
