import type { Room } from "@colyseus/sdk";
import type { TurnTimings } from "../../src/tutor/reply-runner.js";
import { joinRoom } from "../../test/support/join-room.js";
import { listenToRoom, StudentInbox, type StudentEvent } from "./tutor-inbox.js";
import { Microphone, type MicUtterance, type SentUtterance } from "./tutor-microphone.js";
import type { PlannedQuestion } from "./tutor-script.js";
import { scrapeStages, singleUtterance, stageDelta, type StageSnapshot, type UtteranceStages } from "./tutor-stage-metrics.js";

/** The engine's management API as the bench calls it: JSON in and out, the admin key. */
export interface BenchApi {
  httpUrl: string;
  engineUrl: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

/** One spoken question and the tutor's answer to it, on the student's clock (ms after t0 = the question's end). */
export interface TurnSample {
  session: number;
  index: number;
  text: string;
  voice: string;
  longReply: boolean;
  interrupting: boolean;
  /** First to last voiced frame sent. */
  speechMs: number;
  turnId: number | null;
  /** The student's final transcript as the engine broadcast it. */
  transcript: string | null;
  transcriptAfterMs: number | null;
  firstAudioAfterMs: number | null;
  /** The pool's figures for this utterance, when no other utterance fell between the scrapes around it. */
  pool: UtteranceStages | null;
  /** The tutor turn's record (`GET /sessions/{id}/turns`: `details.timings`, ms from the turn's start). */
  timings: TurnTimings | null;
  outcome: string | null;
  /** Why the turn is not measured (a timeout, an error, a question heard as two), or null. */
  problem: string | null;
}

/** Speech start (first voiced frame sent) → `tutor.interrupted` received, for the reply spoken over. */
export interface BargeInSample {
  session: number;
  turnId: number;
  latencyMs: number;
  playedMs: number;
  reason: string;
}

export interface StudentResult {
  session: number;
  sessionId: string;
  turns: TurnSample[];
  bargeIns: BargeInSample[];
  micMaxLagMs: number;
  problems: string[];
}

export interface StudentSettings {
  session: number;
  /** The bench tutor this session uses: also the marker the stand-in LLM finds in the system prompt. */
  tutorId: string;
  plan: PlannedQuestion[];
  audio: (question: PlannedQuestion) => MicUtterance;
  /** Tells the stand-in LLM what this session's next request is answered with. */
  setReply: (reply: string) => void;
  startDelayMs: number;
  thinkMs: number;
  bargeInAfterMs: number;
  waitMs: number;
}

const now = () => performance.now();
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** A long reply plays for ~40 s: what a turn that went wrong may take to be heard out before the next question. */
const RECOVERY_MS = 60_000;
const TURNS_RECORDED_MS = 10_000;

/**
 * One student's tutoring session: joins, keeps a live microphone open (silence between questions, as a browser's
 * does), asks its questions in order, and measures each turn on its own clock. A question after a long reply is
 * spoken `bargeInAfterMs` after that reply's first audio, over it; any other waits until the reply has been heard.
 */
export class Student {
  readonly #api: BenchApi;
  readonly #s: StudentSettings;
  readonly #inbox = new StudentInbox();
  readonly #turns: TurnSample[] = [];
  readonly #bargeIns: BargeInSample[] = [];
  readonly #problems: string[] = [];
  #room: Room | null = null;
  #mic: Microphone | null = null;
  #sessionId = "";
  #lastTurnId = 0;

  constructor(api: BenchApi, settings: StudentSettings) {
    this.#api = api;
    this.#s = settings;
  }

  /** Creates the session and joins it, microphone on (before any question: joins are not what is measured). */
  async join(): Promise<void> {
    const created = await this.#api.call("POST", "/api/v1/sessions", { kind: "tutoring", tutor_id: this.#s.tutorId });
    const body = created.body as { session_id?: string; engine_token?: string };
    if (created.status !== 201 || body.session_id === undefined || body.engine_token === undefined) {
      throw new Error(`session create answered ${created.status}: ${JSON.stringify(created.body)}`);
    }
    this.#sessionId = body.session_id;
    const room = await joinRoom(this.#api.engineUrl, body.session_id, body.engine_token);
    this.#room = room;
    listenToRoom(room, this.#inbox, now);
    this.#mic = new Microphone((frame) => room.sendBytes("audio", frame));
    this.#mic.start();
  }

  async run(): Promise<StudentResult> {
    await this.#inbox.waitFor("state", 0, (e) => e.tutorState === "listening", this.#s.waitMs, "listening tutor").catch(() => undefined);
    await pause(this.#s.startDelayMs);
    for (const question of this.#s.plan) {
      const sample = await this.#ask(question).catch((error: unknown) => this.#failed(question, error));
      this.#turns.push(sample);
      if (sample.problem !== null) await this.#recover();
    }
    await this.#inbox.waitFor("state", this.#inbox.size - 1, (e) => e.tutorState === "listening", RECOVERY_MS, "last reply heard").catch(() => undefined);
    this.#mic?.stop();
    await this.#attachRecords();
    return {
      session: this.#s.session,
      sessionId: this.#sessionId,
      turns: this.#turns,
      bargeIns: this.#bargeIns,
      micMaxLagMs: Math.round(this.#mic?.maxLagMs ?? 0),
      problems: this.#problems,
    };
  }

  /** Leaves and ends the session (its records stay readable). */
  async close(): Promise<void> {
    this.#mic?.stop();
    if (this.#room?.connection.isOpen) await this.#room.leave(true).catch(() => undefined);
    if (this.#sessionId !== "") await this.#api.call("DELETE", `/api/v1/sessions/${this.#sessionId}`).catch(() => undefined);
  }

  async #ask(question: PlannedQuestion): Promise<TurnSample> {
    const mic = this.#mic;
    if (mic === null) throw new Error("not joined");
    const mark = this.#inbox.size;
    this.#s.setReply(question.reply);
    const sent = await mic.say(this.#s.audio(question));
    const t0 = sent.lastVoicedAtMs;
    // Taken before this utterance's end of turn can have been decided (≥ the end-of-turn silence after t0).
    const before = await scrapeStages(this.#api.httpUrl).catch(() => null);
    if (question.interrupting) await this.#measureBargeIn(mark, sent);

    const wait = this.#s.waitMs;
    // The student is the session's only participant: every transcript is its own.
    const transcript = await this.#inbox.waitFor("transcript", mark, (e) => e.final, wait, "final transcript");
    const after = before === null ? null : await scrapeStages(this.#api.httpUrl).catch(() => null);
    const pool = before === null || after === null ? null : singleUtterance(stageDelta(before, after));
    const sample: TurnSample = {
      ...this.#describe(question, sent),
      transcript: transcript.event.text,
      transcriptAfterMs: round(transcript.event.atMs - t0),
      pool,
    };
    if (transcript.event.atMs < t0) return { ...sample, problem: "the question was heard as two utterances" };

    // A refusal (`llm_unavailable`, a failed synthesis) ends the wait as much as the reply or its audio does.
    const turn = await this.#inbox.waitForAny(mark, (e) => (e.kind === "reply" && e.turnId > this.#lastTurnId) || e.kind === "error", wait, "reply to the question");
    if (turn.event.kind !== "reply") throw new Error(`the question was answered ${describeEvent(turn.event)}`);
    const turnId = turn.event.turnId;
    this.#lastTurnId = turnId;
    const audio = await this.#inbox.waitForAny(turn.index, (e) => e.kind === "audio" || e.kind === "error", wait, "first tutor audio");
    if (audio.event.kind !== "audio") throw new Error(`the reply was ${describeEvent(audio.event)}`);
    const measured: TurnSample = { ...sample, turnId, firstAudioAfterMs: round(audio.event.atMs - t0) };

    if (question.longReply && question.index < this.#s.plan.length - 1) {
      // The next question is spoken over this reply.
      await pause(Math.max(0, audio.event.atMs + this.#s.bargeInAfterMs - now()));
    } else {
      await this.#inbox.waitFor("state", audio.index, (e) => e.tutorState === "listening", RECOVERY_MS, "reply heard");
      await pause(this.#s.thinkMs);
    }
    return measured;
  }

  async #measureBargeIn(mark: number, sent: SentUtterance): Promise<void> {
    const spokenOver = this.#lastTurnId;
    try {
      const { event } = await this.#inbox.waitFor("interrupted", mark, (e) => e.turnId === spokenOver, this.#s.waitMs, "tutor.interrupted");
      this.#bargeIns.push({ session: this.#s.session, turnId: spokenOver, latencyMs: round(event.atMs - sent.firstVoicedAtMs), playedMs: event.playedMs, reason: event.reason });
    } catch (error) {
      this.#problems.push(`turn ${spokenOver}: not interrupted (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  #describe(question: PlannedQuestion, sent: SentUtterance): TurnSample {
    return {
      session: this.#s.session,
      index: question.index,
      text: question.text,
      voice: question.voice,
      longReply: question.longReply,
      interrupting: question.interrupting,
      speechMs: round(sent.lastVoicedAtMs - sent.firstVoicedAtMs),
      turnId: null,
      transcript: null,
      transcriptAfterMs: null,
      firstAudioAfterMs: null,
      pool: null,
      timings: null,
      outcome: null,
      problem: null,
    };
  }

  #failed(question: PlannedQuestion, error: unknown): TurnSample {
    const message = error instanceof Error ? error.message : String(error);
    this.#problems.push(`question ${question.index}: ${message}`);
    const blank: SentUtterance = { firstVoicedAtMs: 0, lastVoicedAtMs: 0, endedAtMs: 0 };
    return { ...this.#describe(question, blank), speechMs: 0, problem: message };
  }

  /** After a turn that went wrong: wait until the tutor listens again, so the next question starts clean. */
  async #recover(): Promise<void> {
    await this.#inbox.waitFor("state", Math.max(0, this.#inbox.size - 1), (e) => e.tutorState === "listening", RECOVERY_MS, "listening").catch(() => undefined);
    const lastReply = this.#inbox.events.findLast((e) => e.kind === "reply");
    if (lastReply?.kind === "reply") this.#lastTurnId = Math.max(this.#lastTurnId, lastReply.turnId);
    await pause(this.#s.thinkMs);
  }

  /** Each measured turn's tutor record, once the room's ordered writes have stored them all. */
  async #attachRecords(): Promise<void> {
    const wanted = new Set(this.#turns.flatMap((t) => (t.turnId === null ? [] : [t.turnId])));
    const deadline = now() + TURNS_RECORDED_MS;
    let records = new Map<number, { outcome: string; timings: TurnTimings }>();
    while (now() < deadline) {
      records = await this.#tutorRecords();
      if ([...wanted].every((id) => records.has(id))) break;
      // The writes are queued behind the turn's end (the reply heard out); a short retry, bounded by the deadline.
      await pause(100);
    }
    for (const turn of this.#turns) {
      const record = turn.turnId === null ? undefined : records.get(turn.turnId);
      if (record === undefined) continue;
      turn.timings = record.timings;
      turn.outcome = record.outcome;
    }
  }

  async #tutorRecords(): Promise<Map<number, { outcome: string; timings: TurnTimings }>> {
    const response = await this.#api.call("GET", `/api/v1/sessions/${this.#sessionId}/turns?limit=1000`);
    const items = (response.body as { items?: { turn_id: number; role: string; outcome: string; details: { timings?: TurnTimings } }[] }).items ?? [];
    return new Map(items.filter((item) => item.role === "tutor").map((item) => [item.turn_id, { outcome: item.outcome, timings: item.details.timings ?? {} }]));
  }
}

function describeEvent(event: StudentEvent): string {
  return event.kind === "error" ? `error ${event.code}: ${event.message}` : event.kind;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
