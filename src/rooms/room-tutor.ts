import type { SessionMachineEmitted, SessionMachineEvent, TutorTurnSettings } from "../actors/session-events.js";
import type { Logger } from "../logger.js";
import type { StreamVad } from "../inference/pool-types.js";
import type { TurnRecord, TurnStore } from "../persistence/turn-store.js";
import type { RoomErrorCode } from "../protocol/error-codes.js";
import type { ServerMessages } from "../protocol/server-messages.js";
import { ConversationHistory } from "../tutor/llm/conversation-history.js";
import { ReplyRunner, type RetrievedPassage, type TurnOutcome } from "../tutor/reply-runner.js";
import type { TutorInstances, TutorLease, TutorSpeech } from "../tutor/tutor-instances.js";
import type { OrderedWrites } from "./ordered-writes.js";
import type { TutorMetrics } from "../metrics/tutor-metrics.js";
import type { EventPublisher } from "../events/event-publisher.js";

/** What the room's tutor needs from its room: the room implements it. */
export interface TutorRoomPort {
  sendToAll<T extends "tutor.reply" | "tutor.interrupted">(type: T, message: ServerMessages[T]): void;
  /** Binary `tutor.audio` to every client. */
  sendAudioToAll(pcm16: Uint8Array): void;
  /** An `error` to the student's connection (if connected), for the message type that caused it. */
  rejectStudent(code: RoomErrorCode, message: string, type: string): void;
  sendToMachine(event: SessionMachineEvent): void;
}

export interface RoomTutorInput {
  sessionId: string;
  tutorId: string;
  kbId: string | null;
  tutors: TutorInstances;
  speech: TutorSpeech;
  search: ((kbId: string, query: string, limit: number) => Promise<RetrievedPassage[]>) | null;
  turns: TurnStore;
  events: EventPublisher;
  writes: OrderedWrites;
  room: TutorRoomPort;
  logger: Logger;
  metrics: TutorMetrics;
}

const PASSAGES_PER_TURN = 3;

/**
 * A tutoring session's tutor: its hold on the tutor's shared instance, its own conversation (never shared), and the
 * runner of its turns. The session machine decides when a turn starts and stops (`reply.start`, `reply.stop`); this
 * part does the work and answers with `reply.speaking` / `reply.finished` / `reply.failed`.
 */
export class RoomTutor {
  readonly #lease: TutorLease;
  readonly #runner: ReplyRunner;
  readonly #input: RoomTutorInput;

  private constructor(input: RoomTutorInput, lease: TutorLease) {
    this.#input = input;
    this.#lease = lease;
    const { profile } = lease.instance;
    // The model never sees the greeting as a turn (a reply must follow a student's words): the prompt says it.
    const prompt = profile.greeting === "" ? profile.system_prompt : `${profile.system_prompt}\n\nYou opened this session by saying: "${profile.greeting}"`;
    const history = new ConversationHistory(prompt, { replyTokens: profile.llm.max_tokens });
    const { room, kbId, search } = input;
    this.#runner = new ReplyRunner({
      instance: lease.instance,
      speech: input.speech,
      history,
      search: kbId === null || search === null ? null : (query) => search(kbId, query, PASSAGES_PER_TURN),
      output: {
        reply: (message) => room.sendToAll("tutor.reply", message),
        audio: (pcm16) => room.sendAudioToAll(pcm16),
        interrupted: (message) => room.sendToAll("tutor.interrupted", message),
        failed: (code, message, cause) => room.rejectStudent(code, message, cause),
      },
      progress: {
        speaking: (turnId) => room.sendToMachine({ type: "reply.speaking", turnId }),
        finished: (turnId) => room.sendToMachine({ type: "reply.finished", turnId }),
        failed: (turnId) => room.sendToMachine({ type: "reply.failed", turnId }),
      },
      record: (outcome) => this.#record(outcome),
      logger: input.logger,
    });
  }

  /** Takes the tutor's instance (made on its first session), for a session about to start. */
  static async open(input: RoomTutorInput): Promise<RoomTutor> {
    return new RoomTutor(input, await input.tutors.acquire(input.tutorId));
  }

  /** What the session machine's turn loop needs of the tutor's profile. */
  get turnSettings(): TutorTurnSettings {
    const { profile } = this.#lease.instance;
    return { minInterruptionMs: profile.turn.min_interruption_ms, greets: profile.greeting.trim() !== "" };
  }

  /** The student's audio stream's turn-taking, from the profile. */
  get streamVad(): StreamVad {
    const { turn } = this.#lease.instance.profile;
    return { speechThreshold: turn.vad_threshold, endOfTurnSilenceMs: turn.end_of_turn_silence_ms };
  }

  /** The machine's `reply.start` / `reply.stop`. */
  onMachine(emitted: Extract<SessionMachineEmitted, { type: "reply.start" | "reply.stop" }>): void {
    if (emitted.type === "reply.start") this.#runner.start(emitted.turnId, emitted.kind, emitted.text, emitted.cause ?? "text");
    else this.#runner.stop(emitted.turnId, emitted.reason);
  }

  /** The session ends: the running turn stops, the instance is released (once). */
  close(): void {
    this.#runner.close();
    this.#lease.release();
  }

  #record(outcome: TurnOutcome): void {
    const { sessionId, turns, writes, metrics } = this.#input;
    metrics.turn(outcome.outcome, outcome.timings);
    const startedAt = new Date(outcome.startedAtMs);
    const endedAt = new Date(outcome.endedAtMs);
    const rows: TurnRecord[] = [];
    if (outcome.kind === "answer") {
      rows.push({ sessionId, turnId: outcome.turnId, role: "student", kind: "question", text: outcome.userText, outcome: "completed", errorCode: null, details: {}, startedAt, endedAt: startedAt });
    }
    rows.push({
      sessionId,
      turnId: outcome.turnId,
      role: "tutor",
      kind: outcome.kind,
      text: outcome.replyText,
      outcome: outcome.outcome,
      errorCode: outcome.errorCode,
      details: {
        timings: outcome.timings,
        ...(outcome.interruptReason === null ? {} : { interrupt_reason: outcome.interruptReason, played_ms: outcome.playedMs }),
        sources: outcome.sources.map((passage) => ({ doc_id: passage.docId, chunk_index: passage.chunkIndex, title: passage.title })),
      },
      startedAt,
      endedAt,
    });
    writes.enqueue("tutor.turn", () => turns.saveTurns(rows));
    this.#input.events.publish("tutor.turn.completed", sessionId, { turn_id: outcome.turnId, kind: outcome.kind, outcome: outcome.outcome });
  }
}
