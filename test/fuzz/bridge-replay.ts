import { Protocol } from "@colyseus/core";
import { BRIDGE_OUT_MESSAGES, type BridgeOutType } from "../../src/protocol/tutor-bridge-messages.js";
import type { BridgeConnect, BridgeFuzzEntry } from "./bridge-entry.js";
import { wireFrame } from "./bridge-entry.js";
import { openRaw, openWs, type BridgeSocket, type Closed, type Received } from "./bridge-sockets.js";

/**
 * Replays bridge corpus entries against a real engine, one at a time, each on a connection of its own (its budgets
 * fresh, so each input is judged alone), and names what each got back: `error:<code>` for each `error` (checked
 * against the bridge's schema), `reply:<type>` for a transcription, text or audio, `close:<code>[:<reason>]` when the
 * server closed, `refused:<status>` when the upgrade was refused, `colyseus_probe` / `colyseus_error` when a path
 * that is not the bridge's reached Colyseus' transport (its latency probe pinged back; it refused a socket naming no
 * seat), `dropped` for a client that hung up at once, and `accepted` when nothing came back.
 *
 * An input is settled when the bridge has handled all of it: a WebSocket ping's pong follows every reply the bridge
 * gave synchronously, and a second one, sent after the first came back, follows those given once a recording's bytes
 * and header were checked (promise callbacks run before the next read). A recording with a valid header is then
 * decoded on the bridge's thread and streamed into the room: accepted, and not waited for. A student's one text
 * message (`awaits: "room"`) is forwarded to the room, which always answers it (`llm_unavailable` without an LLM).
 */

export interface BridgeSession {
  id: string;
  /** Its engine_token: the student's (a meeting's: the host's). */
  token: string;
  /** Resolves once an SDK client of the session has seen another seat taken (the room has sent it a state patch). */
  seatSeen?: () => Promise<void>;
}

/** What the replayer connects to and with; the test provides it over the engine's real API. */
export interface BridgeFixtures {
  port: number;
  /** The live tutoring session most inputs connect to (its observer watches it: see the test). */
  tutoring: BridgeSession;
  meeting: BridgeSession;
  ended: BridgeSession;
  /** A student's token of another live tutoring session. */
  otherSessionToken: string;
  /** A new tutoring session (of that student) with `seatSeen`, for inputs that may leave it unusable; `endFresh` ends it. */
  fresh(studentId?: string): Promise<BridgeSession>;
  endFresh(session: BridgeSession): Promise<void>;
  /** A token for a new participant of `role` in the session, from the management API. */
  roleToken(sessionId: string, role: "observer" | "tutor"): Promise<string>;
  /** Claims signed with the engine's token secret (`ttlMs` < 0: already expired), or with another secret. */
  sign(claims: { sid: string; sub: string; kind: string; role: string; name: string }, ttlMs: number, secret: "engine" | "other"): Promise<string>;
}

/** One entry may take this long before the replay calls it a hang. */
const ENTRY_TIMEOUT_MS = 15_000;

function bounded<T>(promise: Promise<T>, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what}: not settled in ${ENTRY_TIMEOUT_MS} ms`));
    }, ENTRY_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Every byte of the string's UTF-8 as %XX. */
const everyBytePercentEncoded = (text: string): string => [...Buffer.from(text, "utf8")].map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("");

function sessionOf(fixtures: BridgeFixtures, kind: BridgeConnect["session"]): BridgeSession | null {
  if (kind === "tutoring") return fixtures.tutoring;
  if (kind === "meeting") return fixtures.meeting;
  if (kind === "ended") return fixtures.ended;
  return null;
}

async function tokenFor(fixtures: BridgeFixtures, connect: BridgeConnect, session: BridgeSession | null): Promise<string> {
  const sid = session?.id ?? "none";
  const student = { sid, sub: "fuzz-student", kind: "tutoring", role: "student", name: "Fuzz" };
  switch (connect.token) {
    case "student":
      return session?.token ?? "";
    case "observer":
    case "tutor":
      return session === null ? "" : fixtures.roleToken(session.id, connect.token);
    case "expired":
      return fixtures.sign(student, -60_000, "engine");
    case "other_session":
      return fixtures.otherSessionToken;
    case "forged":
      return fixtures.sign(student, 60_000, "other");
    case "minted": {
      const claims = connect.claims ?? student;
      return fixtures.sign({ ...claims, sid: claims.sid.replaceAll("{session}", sid) }, 60_000, "engine");
    }
    case "text":
      return connect.tokenText ?? "";
  }
}

function targetOf(connect: BridgeConnect, session: BridgeSession | null, token: string): string {
  const id = session?.id ?? "none";
  return connect.target
    .replaceAll("{session_pct}", everyBytePercentEncoded(id))
    .replaceAll("{session}", encodeURIComponent(id))
    .replaceAll("{token}", encodeURIComponent(token));
}

/** The label of one frame the server sent. */
function labelOf(frame: Received): string {
  if (frame.kind === "binary") {
    if (frame.bytes[0] === Protocol.PING) return "colyseus_probe";
    return frame.bytes[0] === Protocol.ERROR ? "colyseus_error" : `colyseus:${frame.bytes[0] ?? "empty"}`;
  }
  let json: unknown;
  try {
    json = JSON.parse(frame.text);
  } catch {
    return `malformed:${frame.text.slice(0, 60)}`;
  }
  const type = typeof json === "object" && json !== null && "type" in json && typeof json.type === "string" ? json.type : "";
  const schema = Object.hasOwn(BRIDGE_OUT_MESSAGES, type) ? BRIDGE_OUT_MESSAGES[type as BridgeOutType] : null;
  const parsed = schema?.safeParse(json);
  if (parsed === undefined || !parsed.success) return `malformed:${frame.text.slice(0, 60)}`;
  return parsed.data.type === "error" ? `error:${parsed.data.code}` : `reply:${parsed.data.type}`;
}

/** The close's label: the reason is a stable code for 1008 and 1000; for the others the code says it all. */
function closeLabel({ code, reason }: Closed): string {
  return code === 1008 || code === 1000 || code === 1001 ? `close:${code}:${reason}` : `close:${code}`;
}

export class BridgeReplayer {
  readonly #fixtures: BridgeFixtures;

  constructor(fixtures: BridgeFixtures) {
    this.#fixtures = fixtures;
  }

  /** The entry's distinct answers, in the order first seen. */
  async replay(entry: BridgeFuzzEntry): Promise<string[]> {
    let fresh: BridgeSession | null = null;
    try {
      fresh = entry.connect.session === "fresh" ? await this.#fixtures.fresh(entry.connect.studentId) : null;
    } catch (error) {
      if (error instanceof SessionRefused) return [`create_refused:${error.status}`];
      throw error;
    }
    try {
      return await this.#replay(entry, fresh ?? sessionOf(this.#fixtures, entry.connect.session));
    } finally {
      if (fresh !== null) await this.#fixtures.endFresh(fresh);
    }
  }

  async #replay(entry: BridgeFuzzEntry, session: BridgeSession | null): Promise<string[]> {
    const { connect } = entry;
    const target = targetOf(connect, session, await tokenFor(this.#fixtures, connect, session));
    let socket: BridgeSocket | null = null;
    const run = async (): Promise<string[]> => {
      const opened = connect.raw ? await openRaw(this.#fixtures.port, target) : await openWs(`ws://127.0.0.1:${this.#fixtures.port}${target}`);
      if ("refused" in opened) return [opened.refused];
      socket = opened.socket;
      for (let round = 0; round < entry.repeat; round += 1) {
        for (const frame of entry.frames) socket.send(wireFrame(frame));
      }
      if (entry.hangUp === true) {
        await socket.hangUp();
        await socket.closed;
        return ["dropped"];
      }
      await socket.roundTrip();
      await socket.roundTrip();
      if (entry.awaits === "room") await socket.receivedAtLeast(1);
      // A fresh session's seat is held until the room has sent its state with it: what a seat id does to the state.
      if (socket.isOpen()) await session?.seatSeen?.();
      const serverClosed = !socket.isOpen();
      const closed = serverClosed ? await socket.closed : await socket.close();
      const labels = socket.received.map(labelOf);
      if (serverClosed) labels.push(closeLabel(closed));
      return labels.length === 0 ? ["accepted"] : [...new Set(labels)];
    };
    try {
      return await bounded(run(), entry.id, () => socket?.terminate());
    } catch (error) {
      // The input is reported; its socket does not outlive it.
      (socket as BridgeSocket | null)?.terminate();
      throw error;
    }
  }
}

/** The API refused to create the entry's session (its student id): the answer of that input. */
export class SessionRefused extends Error {
  constructor(readonly status: number) {
    super(`session creation refused: ${status}`);
  }
}
