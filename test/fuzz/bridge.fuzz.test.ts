import { SessionRefused } from "./bridge-replay.js";
import { Session } from "node:inspector/promises";
import type { Room } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { JoinTokens } from "../../src/auth/join-tokens.js";
import type { ParticipantRole, SessionKind } from "../../src/domain.js";
import { isErrorCode } from "../../src/protocol/error-codes.js";
import { collect, eventually, expectModelsLoaded, startTestEngine, TOKEN_SECRET, type TestEngine } from "../support/engine.js";
import type { BridgeFuzzEntry } from "./bridge-entry.js";
import { BridgeReplayer, type BridgeFixtures, type BridgeSession } from "./bridge-replay.js";
import { openWs } from "./bridge-sockets.js";
import { BRIDGE_CORPUS_ENTRIES, bridgeSurface } from "./bridge-surface.js";
import { readCorpus } from "./corpus.js";

/**
 * The bridge corpus (test/fuzz/corpus/bridge.jsonl, `npm run fuzz:corpus -- --surface bridge`) replayed against one
 * real engine (no LLM: a text question's stable answer is `llm_unavailable`). For every input: a stable answer (an
 * `error` with a code of the error table, never `internal`; a documented close; accepted), no uncaught exception or
 * unhandled rejection, `/health` answering, no bridge connection left open and no seat left in the room (its SDK
 * observer sees it empty again). Every 50 inputs and at the end a well-behaved client of that server still gets its
 * answer and an SDK client of the same session sees its text; the heap after a full GC comes back within bounds.
 */

/** The student of the replay's sessions, as that server's clients send it (`POST /v1/sessions`, integer ids kept as text). */
const STUDENT_ID = "42";
/** Closes the WebSocket layer answers on its own (RFC 6455): a text frame that is not UTF-8, a frame breaking the protocol, a frame over the limit. */
const WEBSOCKET_CLOSES = new Set(["close:1002", "close:1007", "close:1009"]);
/** Reasons the bridge closes a session's socket with (1000): the session ended, the room let the seat go (replaced). */
const NORMAL_REASONS = new Set(["session_ended", "left"]);
/** Answers of paths that are not the bridge's: Colyseus' transport (its latency probe, its ERROR frame, 4002 protocol_violation). */
const COLYSEUS = new Set(["colyseus_probe", "colyseus_error", "close:4002"]);
/** The upgrade refused by node:http: a malformed request line (400), a target or headers too long (414, 431). */
const REFUSED = /^refused:(400|414|431)$/;
/** How much the heap, after a full collection, may stay above its level before the replay (as the socket fuzz allows). */
const HEAP_SLACK_BYTES = 8 * 1024 * 1024;
/** A seat or socket still there this long after an input is a leak, not a slow close. */
const SETTLE_MS = 5_000;
const CHECK_EVERY = 50;

function documented(label: string): boolean {
  const [kind, code = "", ...rest] = label.split(":");
  const reason = rest.join(":");
  if (kind === "error") return isErrorCode(code) && code !== "internal";
  if (kind === "reply") return ["transcription", "text", "audio"].includes(code);
  if (label === "create_refused:400") return true;
  if (label === "accepted" || label === "dropped" || COLYSEUS.has(label) || WEBSOCKET_CLOSES.has(label) || REFUSED.test(label)) return true;
  if (code === "1008") return reason === "too many bad messages" || (isErrorCode(reason) && reason !== "internal");
  if (code === "1000") return NORMAL_REASONS.has(reason);
  return code === "1001" && reason === "shutdown";
}

let t: TestEngine;
const sessions: Record<"tutoring" | "other" | "meeting" | "ended" | "check", BridgeSession> = {
  tutoring: { id: "", token: "" },
  other: { id: "", token: "" },
  meeting: { id: "", token: "" },
  ended: { id: "", token: "" },
  check: { id: "", token: "" },
};
/** SDK observers of the replay's tutoring session and of the checks' session. */
let laneObserver: Room;
let checkObserver: Room;
let checkTexts: { content: string }[] = [];
let current = "setup";
/** Uncaught exceptions and unhandled rejections, by the input being replayed and the fault's first lines (and how often). */
const faults = new Map<string, number>();
const onFault = (kind: string) => (error: unknown) => {
  const what = `${current}: ${kind}: ${error instanceof Error ? (error.stack ?? error.message).split("\n").slice(0, 3).join(" | ") : String(error)}`;
  faults.set(what, (faults.get(what) ?? 0) + 1);
};
const uncaught = onFault("uncaught exception");
const unhandled = onFault("unhandled rejection");

async function tutoringSession(studentId = STUDENT_ID): Promise<BridgeSession> {
  const created = await t.api("POST", "/v1/sessions", { tutor_id: 7, student_id: studentId });
  // A student id the API refuses (one JavaScript objects reserve, such as toString) never reaches a room.
  if (created.status !== 201) throw new SessionRefused(created.status);
  const body = z.object({ session_id: z.string(), engine_token: z.string() }).parse(created.body);
  return { id: body.session_id, token: body.engine_token };
}

let participants = 0;
const freshObservers = new Map<string, Room>();
const fixtures = (): BridgeFixtures => ({
  port: t.engine.port,
  tutoring: sessions.tutoring,
  meeting: sessions.meeting,
  ended: sessions.ended,
  otherSessionToken: sessions.other.token,
  async fresh(studentId) {
    const session = await tutoringSession(studentId);
    const observer = await t.join(session.id, await t.token(session.id, "fresh-observer", "observer"));
    freshObservers.set(session.id, observer);
    return { ...session, seatSeen: () => seatSeen(observer, "fresh-observer") };
  },
  async endFresh(session) {
    await freshObservers.get(session.id)?.leave();
    freshObservers.delete(session.id);
    await t.api("DELETE", `/v1/sessions/${session.id}`);
  },
  roleToken: (sessionId, role) => t.token(sessionId, `fuzz-${role}-${(participants += 1)}`, role),
  async sign(claims, ttlMs, secret) {
    const tokens = new JoinTokens(secret === "engine" ? TOKEN_SECRET : "another-secret-0123456789-0123456789-abcdef");
    // Claims the engine never issues (a kind or role outside its enums) are the point: only the signature is real.
    const issued = await tokens.issue({ sessionId: claims.sid, kind: claims.kind as SessionKind, participantId: claims.sub, role: claims.role as ParticipantRole, name: claims.name, ttlMs });
    return issued.token;
  },
});

interface RoomView {
  tutorState?: unknown;
  participants?: { size: number; has(key: string): boolean };
}

/** Resolves once the observer's view of its room satisfies `done`; rejects after SETTLE_MS with `what`. */
function roomView(observer: Room, done: (state: RoomView) => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      observer.onStateChange.remove(check);
      reject(new Error(`${current}: ${what} ${SETTLE_MS} ms after the input`));
    }, SETTLE_MS);
    const check = () => {
      if (!done(observer.state as RoomView)) return;
      clearTimeout(timer);
      observer.onStateChange.remove(check);
      resolve();
    };
    observer.onStateChange(check);
    check();
  });
}

/** The room holds only its observer again and no tutor turn runs: what the last input did is over. */
const quiet = (observer: Room, observerId: string) =>
  roomView(
    observer,
    (state) => state.participants?.size === 1 && state.participants.has(observerId) && (state.tutorState === "listening" || state.tutorState === ""),
    "the room still holds a seat (or a turn)",
  );

/** The observer sees a seat besides its own. */
const seatSeen = (observer: Room, observerId: string) =>
  roomView(observer, (state) => (state.participants?.size ?? 0) > (state.participants?.has(observerId) === true ? 1 : 0), "no SDK client has seen the seat");

/** A client written to that server's documentation still gets its answer, and the session's SDK client sees its text. */
async function wellBehavedClient(): Promise<void> {
  const question = `Is the engine still there? (${current})`;
  const opened = await openWs(`ws://127.0.0.1:${t.engine.port}/ws/${sessions.check.id}?token=${encodeURIComponent(sessions.check.token)}`);
  if ("refused" in opened) throw new Error(`${current}: a good bridge client was refused: ${opened.refused}`);
  const { socket } = opened;
  socket.send({ kind: "text", data: JSON.stringify({ type: "text", content: question, tutor_id: 7, session_id: 59 }) });
  await socket.receivedAtLeast(1);
  const answer = socket.received[0];
  const parsed = z.object({ type: z.literal("error"), code: z.literal("llm_unavailable") }).safeParse(answer?.kind === "text" ? JSON.parse(answer.text) : null);
  expect(parsed.success, `${current}: a good bridge client got ${JSON.stringify(answer)}`).toBe(true);
  await eventually(() => (checkTexts.some((text) => text.content === question) ? true : undefined), SETTLE_MS);
  await socket.close();
  await quiet(checkObserver, "check-observer");
}

async function heapAfterGc(): Promise<number> {
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.collectGarbage");
  session.disconnect();
  return process.memoryUsage().heapUsed;
}

beforeAll(async () => {
  process.on("uncaughtException", uncaught);
  process.on("unhandledRejection", unhandled);
  // No greeting: a turn starts only when the student says something.
  t = await startTestEngine({ defaultTutor: { greeting: "" }, maxSessions: 200 });
  await expectModelsLoaded(t);
  sessions.tutoring = await tutoringSession();
  sessions.other = await tutoringSession();
  sessions.check = await tutoringSession();
  sessions.ended = await tutoringSession();
  await t.api("DELETE", `/v1/sessions/${sessions.ended.id}`);
  const meeting = await t.createSession({ kind: "meeting" });
  sessions.meeting = { id: meeting.id, token: meeting.token };
  laneObserver = await t.join(sessions.tutoring.id, await t.token(sessions.tutoring.id, "lane-observer", "observer"));
  checkObserver = await t.join(sessions.check.id, await t.token(sessions.check.id, "check-observer", "observer"));
  checkTexts = collect<{ content: string }>(checkObserver, "text");
}, 120_000);

afterAll(async () => {
  await t?.close();
  process.off("uncaughtException", uncaught);
  process.off("unhandledRejection", unhandled);
});

const usesLane = (entry: BridgeFuzzEntry) => entry.connect.session === "tutoring";

describe("the plain-WebSocket bridge, replayed from the committed corpus", () => {
  it("a stable answer for each input, the engine up and serving, nothing left open, the heap back", async () => {
    const entries = readCorpus(bridgeSurface);
    expect(entries.length).toBeGreaterThanOrEqual(BRIDGE_CORPUS_ENTRIES);
    await wellBehavedClient();
    const heapBefore = await heapAfterGc();
    const replayer = new BridgeReplayer(fixtures());
    const counts = new Map<string, number>();
    const byFamily = new Map<string, Map<string, number>>();
    const problems: string[] = [];
    const startedAt = Date.now();
    for (const [index, entry] of entries.entries()) {
      current = `${entry.id} (${entry.note})`;
      let outcomes: string[];
      try {
        outcomes = await replayer.replay(entry);
      } catch (error) {
        outcomes = [`problem: ${error instanceof Error ? error.message : String(error)}`];
      }
      for (const outcome of outcomes) {
        if (!documented(outcome)) problems.push(`${current}: ${outcome}`);
        counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
        const family = byFamily.get(entry.note) ?? new Map<string, number>();
        family.set(outcome, (family.get(outcome) ?? 0) + 1);
        byFamily.set(entry.note, family);
      }
      expect((await fetch(`${t.engine.httpUrl}/health`)).status, `the engine stopped answering after ${current}`).toBe(200);
      await eventually(() => (t.engine.bridge.size === 0 ? true : undefined), SETTLE_MS).catch(() => problems.push(`${current}: ${t.engine.bridge.size} bridge connection(s) left open`));
      if (usesLane(entry)) await quiet(laneObserver, "lane-observer").catch((error: unknown) => problems.push(String(error)));
      if (index % CHECK_EVERY === CHECK_EVERY - 1) await wellBehavedClient();
    }
    const replayMs = Date.now() - startedAt;
    current = "after the replay";
    await wellBehavedClient();
    const heapAfter = await heapAfterGc();
    console.log(`bridge: ${entries.length} inputs in ${(replayMs / 1000).toFixed(1)} s →`, JSON.stringify(Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)))));
    console.log(`bridge answers by family:\n${JSON.stringify(Object.fromEntries([...byFamily].map(([note, family]) => [note, Object.fromEntries(family)])), null, 2)}`);
    console.log(`bridge: heap after a full GC ${(heapBefore / 2 ** 20).toFixed(1)} → ${(heapAfter / 2 ** 20).toFixed(1)} MiB`);
    expect(Object.fromEntries(faults)).toEqual({});
    expect(problems).toEqual([]);
    expect(t.engine.bridge.size).toBe(0);
    expect(heapAfter).toBeLessThan(heapBefore + HEAP_SLACK_BYTES);
  }, 300_000);
});
