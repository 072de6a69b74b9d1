import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { clientReply, IpcChannel, type ClientReply, type ClientRequest, type Seat } from "./memory-protocol.js";

const ENTRY = fileURLToPath(new URL("./memory-clients.ts", import.meta.url));

export interface JoinOutcome {
  joined: number;
  failed: number;
  failures: Record<string, number>;
  /** Slowest single join (HTTP seat reservation + WebSocket + first state). */
  join_ms_max: number;
  elapsed_ms: number;
}

export interface HoldStatus {
  /** Connections still open. */
  open: number;
  /** Rooms that left or dropped while they should have stayed, by close code. */
  closed: Record<string, number>;
}

interface ClientProcess {
  child: ChildProcess;
  channel: IpcChannel<ClientRequest, ClientReply>;
  exited: Promise<void>;
}

function merge(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

/** The client processes of one server's phase: seats dealt out round-robin by room, joined and held, then left. */
export class ClientPool {
  readonly #processes: ClientProcess[];

  constructor(count: number) {
    this.#processes = Array.from({ length: Math.max(1, count) }, () => {
      const child = fork(ENTRY, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
      return {
        child,
        channel: new IpcChannel<ClientRequest, ClientReply>(child, clientReply, "a client process"),
        exited: new Promise<void>((resolve) => child.once("exit", () => resolve())),
      };
    });
  }

  async join(url: string, seats: readonly Seat[], concurrencyPerProcess: number, timeoutMs: number): Promise<JoinOutcome> {
    const shares: Seat[][] = this.#processes.map(() => []);
    // Whole rooms per process, as the load generator deals them out.
    const rooms = [...new Set(seats.map((s) => s.roomId))];
    const processOf = new Map(rooms.map((roomId, i) => [roomId, i % shares.length]));
    for (const seat of seats) shares[processOf.get(seat.roomId) ?? 0]?.push(seat);
    const startedMs = performance.now();
    const replies = await Promise.all(
      this.#processes.map((p, i) =>
        p.channel.request({ type: "join", url, seats: shares[i] ?? [], concurrency: concurrencyPerProcess, timeoutMs }, "joined"),
      ),
    );
    const outcome: JoinOutcome = { joined: 0, failed: 0, failures: {}, join_ms_max: 0, elapsed_ms: Math.round(performance.now() - startedMs) };
    for (const reply of replies) {
      outcome.joined += reply.joined;
      outcome.failed += reply.failed;
      outcome.join_ms_max = Math.max(outcome.join_ms_max, reply.join_ms_max);
      merge(outcome.failures, reply.failures);
    }
    return outcome;
  }

  async status(): Promise<HoldStatus> {
    const replies = await Promise.all(this.#processes.map((p) => p.channel.request({ type: "status" }, "status")));
    const status: HoldStatus = { open: 0, closed: {} };
    for (const reply of replies) {
      status.open += reply.open;
      merge(status.closed, reply.closed);
    }
    return status;
  }

  async leave(): Promise<number> {
    const replies = await Promise.all(this.#processes.map((p) => p.channel.request({ type: "leave" }, "left")));
    return replies.reduce((sum, reply) => sum + reply.left, 0);
  }

  /** Closing the IPC channel makes each process exit; one that does not within 5 s is killed. */
  async stop(): Promise<void> {
    for (const p of this.#processes) if (p.child.connected) p.child.disconnect();
    const killer = setTimeout(() => {
      for (const p of this.#processes) p.child.kill("SIGKILL");
    }, 5_000);
    await Promise.all(this.#processes.map((p) => p.exited));
    clearTimeout(killer);
  }
}
