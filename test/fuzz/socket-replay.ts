import { Protocol } from "@colyseus/core";
import { decode } from "@colyseus/schema";
import { unpack } from "msgpackr";
import WebSocket from "ws";
import { errorMessage } from "../../src/protocol/server-messages.js";
import { openRawConnection, reserveSeat, type RawConnection } from "../support/raw-room-client.js";
import { frameBytes, type SocketFuzzEntry } from "./frames.js";

/**
 * Replays room and WebSocket corpus entries over raw connections to a real engine, one at a time, and names what each
 * got back: `error:<code>` for each `error` reply (checked against the wire protocol's schema), `close:<code>` when
 * the server closed the connection, `refused:<status>` when the upgrade itself was refused, `ping_only` for a socket
 * that names no room (Colyseus' latency probe), `response` for the request/response form, `accepted` when nothing
 * came back. Messages relayed from other participants are traffic, not answers, and are not counted.
 */

export interface ReplayTarget {
  httpUrl: string;
  engineUrl: string;
  sessionId: string;
  /** A fresh join token for a new participant of `role` in the session. */
  token(role: SocketFuzzEntry["role"]): Promise<string>;
}

/** How long one entry may take to be answered before the replay calls it unanswered (a failure). */
const ENTRY_TIMEOUT_MS = 10_000;
/** A connection is replaced after this many entries, so its budgets stay fresh and each input is judged alone. */
const ENTRIES_PER_CONNECTION = 25;

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ENTRY_TIMEOUT_MS} ms`)), ENTRY_TIMEOUT_MS)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The outcome a server frame stands for, or null for frames that are not answers (state patches, pings). */
function outcomeOf(frame: Uint8Array): string | null {
  if (frame[0] === Protocol.ROOM_RESPONSE) return "response";
  if (frame[0] !== Protocol.ROOM_DATA) return null;
  const it = { offset: 1 };
  const type = decode.stringCheck(frame, it) ? decode.string(frame, it) : String(decode.number(frame, it));
  // Other participants' relayed messages (texts, signals, transcripts) are traffic, not answers.
  if (type !== "error") return null;
  const parsed = errorMessage.safeParse(unpack(frame.subarray(it.offset)));
  return parsed.success ? `error:${parsed.data.code}` : "malformed_error";
}

export class SocketReplayer {
  readonly #target: ReplayTarget;
  readonly #open = new Map<SocketFuzzEntry["role"], { connection: RawConnection; used: number; closeCode: number | null }>();

  constructor(target: ReplayTarget) {
    this.#target = target;
  }

  async replay(entry: SocketFuzzEntry): Promise<string[]> {
    if (entry.path !== undefined) return bounded(this.#withoutSeat(entry, entry.path), entry.id);
    if (entry.stage === "before_ack") return bounded(this.#beforeAck(entry), entry.id);
    return bounded(this.#joined(entry), entry.id);
  }

  close(): void {
    for (const { connection } of this.#open.values()) connection.socket.terminate();
    this.#open.clear();
  }

  async #connection(role: SocketFuzzEntry["role"]) {
    const current = this.#open.get(role);
    if (current !== undefined && current.closeCode === null && current.used < ENTRIES_PER_CONNECTION) return current;
    current?.connection.socket.terminate();
    const url = await reserveSeat(this.#target.httpUrl, this.#target.sessionId, await this.#target.token(role));
    const connection = await openRawConnection(url);
    const record = { connection, used: 0, closeCode: null as number | null };
    void connection.closed.then((code) => (record.closeCode = code));
    this.#open.set(role, record);
    return record;
  }

  async #joined(entry: SocketFuzzEntry): Promise<string[]> {
    const record = await this.#connection(entry.role);
    record.used += 1;
    const { connection } = record;
    const before = connection.frames.length;
    for (const spec of entry.frames) connection.socket.send(frameBytes(spec), () => {});
    // A ping after the input: its answer means every frame before it has been handled.
    connection.socket.send(Uint8Array.of(Protocol.PING), () => {});
    let check = () => {};
    const pong = new Promise<void>((resolve) => {
      check = () => (connection.frames.slice(before).some((f) => f[0] === Protocol.PING && f.byteLength === 1) ? resolve() : undefined);
      connection.socket.on("message", check);
      check();
    });
    const ended = await Promise.race([pong.then(() => null), connection.closed]).finally(() => connection.socket.off("message", check));
    const outcomes = connection.frames.slice(before).map(outcomeOf).filter((o): o is string => o !== null);
    if (ended !== null) outcomes.push(`close:${ended}`);
    return outcomes.length === 0 ? ["accepted"] : [...new Set(outcomes)];
  }

  async #beforeAck(entry: SocketFuzzEntry): Promise<string[]> {
    const url = await reserveSeat(this.#target.httpUrl, this.#target.sessionId, await this.#target.token(entry.role));
    const connection = await openRawConnection(url, { acknowledge: false });
    for (const spec of entry.frames) connection.socket.send(frameBytes(spec), () => {});
    // Dropped before the acknowledgement, as a flaky network does.
    connection.socket.terminate();
    await connection.closed;
    return ["dropped_before_ack"];
  }

  async #withoutSeat(entry: SocketFuzzEntry, path: string): Promise<string[]> {
    const socket = new WebSocket(`${this.#target.engineUrl}${path}`);
    return new Promise<string[]>((resolve) => {
      socket.once("unexpected-response", (_req, res) => {
        resolve([`refused:${res.statusCode ?? 0}`]);
        socket.terminate();
      });
      socket.once("error", () => resolve(["refused:error"]));
      socket.once("open", () => {
        for (const spec of entry.frames) socket.send(frameBytes(spec), () => {});
        socket.send(Uint8Array.of(Protocol.PING), () => {});
      });
      // A socket naming no room is Colyseus' latency probe: it echoes pings and closes (1000) after a second.
      socket.on("message", (data: Buffer) => {
        if (data[0] !== Protocol.PING) return;
        resolve(["ping_only"]);
        socket.terminate();
      });
      socket.once("close", (code) => resolve([`close:${code}`]));
    });
  }
}
