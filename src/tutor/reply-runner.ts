import type { Logger } from "../logger.js";
import type { ReplyStopReason } from "../actors/session-events.js";
import type { RoomErrorCode } from "../protocol/error-codes.js";
import type { TutorInterruptedMessage, TutorReplyMessage } from "../protocol/server-messages.js";
import { AudioPacer, type AudioPacerOptions } from "./audio-pacer.js";
import type { ChatMessage } from "./llm/llm-client.js";
import { isLlmAborted, isLlmError, LlmError } from "./llm/llm-error.js";
import { SentenceChunker } from "./llm/sentence-chunker.js";
import { UnconfiguredLlm } from "./llm/unconfigured-llm.js";
import type { TutorInstance, TutorSpeech } from "./tutor-instances.js";

/** A knowledge-base passage retrieved for a student's turn. */
export interface RetrievedPassage {
  docId: string;
  chunkIndex: number;
  title: string | null;
  text: string;
}

/** The session's conversation, as a turn uses it (`ConversationHistory`: bounded by tokens). */
export interface TurnHistory {
  messagesFor(userText: string, passages: readonly RetrievedPassage[]): ChatMessage[];
  recordTurn(user: string, assistant: string): void;
  /** An exchange the student cut off, with what they heard of the reply. */
  recordInterruptedTurn(user: string, spoken: string): void;
}

/** Where a turn's messages and audio go (the room: to every client), and its refusals (to the student). */
export interface ReplyOutput {
  reply(message: TutorReplyMessage): void;
  audio(pcm16: Uint8Array): void;
  interrupted(message: TutorInterruptedMessage): void;
  /** The turn (or its speech) failed: `error` to the student, for the message type that started it. */
  failed(code: RoomErrorCode, message: string, cause: "audio" | "text"): void;
}

/** What the session machine hears of a turn. */
export interface ReplyProgress {
  speaking(turnId: number): void;
  finished(turnId: number): void;
  failed(turnId: number): void;
}

/** A finished, failed or interrupted turn, for the database. Times are epoch ms; timings ms from the turn's start. */
export interface TurnOutcome {
  turnId: number;
  kind: "greeting" | "answer";
  userText: string;
  /** What the tutor said: the whole reply, or up to where it was interrupted. */
  replyText: string;
  outcome: "completed" | "interrupted" | "failed";
  errorCode: RoomErrorCode | null;
  interruptReason: ReplyStopReason | null;
  playedMs: number | null;
  sources: RetrievedPassage[];
  startedAtMs: number;
  endedAtMs: number;
  timings: TurnTimings;
}

export interface TurnTimings {
  retrieval_ms?: number;
  llm_first_token_ms?: number;
  llm_first_sentence_ms?: number;
  tts_first_sentence_ms?: number;
  first_audio_ms?: number;
  audio_ms?: number;
}

export interface ReplyRunnerDeps {
  instance: TutorInstance;
  speech: TutorSpeech;
  history: TurnHistory;
  /** The session's knowledge base search; null without `kb_id`. */
  search: ((query: string) => Promise<RetrievedPassage[]>) | null;
  output: ReplyOutput;
  progress: ReplyProgress;
  record(outcome: TurnOutcome): void;
  logger: Logger;
  pacer?: Partial<AudioPacerOptions>;
}

/** Runs a session's tutor turns, one at a time: the LLM's reply streamed, spoken sentence by sentence, stoppable. */
export class ReplyRunner {
  readonly #deps: ReplyRunnerDeps;
  #current: RunningTurn | null = null;

  constructor(deps: ReplyRunnerDeps) {
    this.#deps = deps;
  }

  start(turnId: number, kind: "greeting" | "answer", userText: string, cause: "audio" | "text"): void {
    this.#current?.stop("ended");
    const turn = new RunningTurn(this.#deps, turnId, kind, userText, cause);
    this.#current = turn;
    void turn.run().finally(() => {
      if (this.#current === turn) this.#current = null;
    });
  }

  /** Stops the turn if it is the one running (a stop of a finished turn is a no-op). */
  stop(turnId: number, reason: ReplyStopReason): void {
    if (this.#current?.turnId === turnId) this.#current.stop(reason);
  }

  /** The session ends: whatever runs stops. */
  close(): void {
    this.#current?.stop("ended");
  }
}

const MAX_PASSAGES = 3;

class RunningTurn {
  readonly turnId: number;
  readonly #deps: ReplyRunnerDeps;
  readonly #kind: "greeting" | "answer";
  readonly #userText: string;
  readonly #cause: "audio" | "text";
  readonly #abort = new AbortController();
  readonly #pacer: AudioPacer;
  readonly #startedAt = performance.now();
  readonly #startedAtMs = Date.now();
  readonly #timings: TurnTimings = {};
  /** Each sentence queued for speech, and where its audio starts in the turn's audio. */
  readonly #spoken: { text: string; atMs: number }[] = [];
  #queuedMs = 0;
  #speech: Promise<void> = Promise.resolve();
  #sampleRate: number | null = null;
  #rateStated = false;
  #speechFailed = false;
  #reply = "";
  #sources: RetrievedPassage[] = [];
  #settled = false;

  constructor(deps: ReplyRunnerDeps, turnId: number, kind: "greeting" | "answer", userText: string, cause: "audio" | "text") {
    this.#deps = deps;
    this.turnId = turnId;
    this.#kind = kind;
    this.#userText = userText;
    this.#cause = cause;
    this.#pacer = new AudioPacer({ send: (pcm16) => deps.output.audio(pcm16) }, deps.pacer);
  }

  async run(): Promise<void> {
    try {
      if (this.#kind === "greeting") this.#greet();
      else await this.#answer();
      await this.#speech;
      this.#pacer.end();
      await this.#pacer.done();
      if (this.#settled) return;
      this.#settled = true;
      this.#timings.audio_ms = Math.round(this.#pacer.sentMs);
      this.#deps.progress.finished(this.turnId);
      this.#record("completed", null, null, null, this.#reply);
    } catch (error) {
      if (this.#settled) return;
      this.#settled = true;
      this.#pacer.stop();
      const code: RoomErrorCode = isLlmError(error) ? "llm_unavailable" : "internal";
      if (code === "internal") this.#deps.logger.error({ err: error, turn_id: this.turnId }, "tutor turn failed");
      this.#deps.output.failed(code, error instanceof Error ? error.message : "the reply failed", this.#cause);
      this.#deps.progress.failed(this.turnId);
      this.#record("failed", code, null, null, "");
    }
  }

  stop(reason: ReplyStopReason): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#abort.abort();
    const playedMs = this.#pacer.stop();
    const heard = this.#spoken.filter((sentence) => sentence.atMs < playedMs).map((sentence) => sentence.text).join(" ");
    this.#deps.output.interrupted({ turn_id: this.turnId, played_ms: playedMs, reason });
    if (this.#kind === "answer") this.#deps.history.recordInterruptedTurn(this.#userText, heard);
    this.#record("interrupted", null, reason, playedMs, heard);
  }

  #greet(): void {
    const text = this.#deps.instance.profile.greeting;
    this.#reply = text;
    this.#deps.output.reply({ turn_id: this.turnId, kind: "greeting", text, final: true, sample_rate: null });
    const chunker = new SentenceChunker();
    for (const sentence of [...chunker.push(text), ...chunker.flush()]) this.#say(sentence);
  }

  async #answer(): Promise<void> {
    const { instance, history, search } = this.#deps;
    if (search !== null) {
      this.#sources = (await search(this.#userText)).slice(0, MAX_PASSAGES);
      this.#timings.retrieval_ms = this.#since();
    }
    if (instance.llmSettings === null) {
      // Without LLM_URL that is the reason to give; with one, the missing model name is.
      if (instance.llm instanceof UnconfiguredLlm) throw new LlmError("unconfigured", "no language model is configured (set LLM_URL)");
      throw new LlmError("unconfigured", "no language model is named (set LLM_MODEL, or the tutor profile's llm.model)");
    }
    const messages = history.messagesFor(this.#userText, this.#sources);
    const chunker = new SentenceChunker();
    const stream = instance.llm.streamReply({ messages, settings: instance.llmSettings, signal: this.#abort.signal });
    try {
      for await (const delta of stream) {
        this.#timings.llm_first_token_ms ??= this.#since();
        this.#reply += delta;
        this.#deps.output.reply({ turn_id: this.turnId, kind: "answer", delta, final: false, sample_rate: this.#statedRate() });
        for (const sentence of chunker.push(delta)) {
          this.#timings.llm_first_sentence_ms ??= this.#since();
          this.#say(sentence);
        }
      }
    } catch (error) {
      // The abort is `stop`'s: it has told everyone already.
      if (isLlmAborted(error) || this.#settled) return;
      throw error;
    }
    if (this.#settled) return;
    for (const sentence of chunker.flush()) this.#say(sentence);
    this.#deps.output.reply({
      turn_id: this.turnId,
      kind: "answer",
      text: this.#reply,
      final: true,
      sample_rate: this.#statedRate(),
      sources: this.#sources.map((passage) => ({ doc_id: passage.docId, chunk_index: passage.chunkIndex, title: passage.title })),
    });
    history.recordTurn(this.#userText, this.#reply);
  }

  /** Queues a sentence for synthesis: one at a time, in order, the next synthesizing while the previous plays. */
  #say(sentence: string): void {
    this.#speech = this.#speech.then(() => this.#synthesize(sentence));
  }

  async #synthesize(sentence: string): Promise<void> {
    if (this.#settled || this.#speechFailed) return;
    const startedAt = performance.now();
    try {
      const continuation = this.#spoken.length > 0;
      const audio = await this.#deps.speech.synthesize(sentence, this.#deps.instance.voice, this.#abort.signal, continuation);
      if (this.#settled) return;
      this.#timings.tts_first_sentence_ms ??= Math.round(performance.now() - startedAt);
      this.#sampleRate = audio.sampleRate;
      if (!this.#rateStated) {
        // The turn's first audio: a message stating its rate goes first.
        this.#deps.output.reply({ turn_id: this.turnId, kind: this.#kind, delta: "", final: false, sample_rate: audio.sampleRate });
        this.#rateStated = true;
      }
      this.#spoken.push({ text: sentence, atMs: this.#queuedMs });
      this.#queuedMs += (audio.pcm16.byteLength / 2 / audio.sampleRate) * 1000;
      const first = this.#timings.first_audio_ms === undefined;
      this.#pacer.push(audio.pcm16, audio.sampleRate);
      if (first) {
        this.#timings.first_audio_ms = this.#since();
        this.#deps.progress.speaking(this.turnId);
      }
    } catch (error) {
      if (this.#settled) return;
      // The reply's text still reaches the student; its speech stops here, said once.
      this.#speechFailed = true;
      const code = errorCodeOf(error);
      this.#deps.logger.warn({ err: error, turn_id: this.turnId, code }, "tutor speech failed");
      this.#deps.output.failed(code, error instanceof Error ? error.message : "speech synthesis failed", this.#cause);
    }
  }

  #statedRate(): number | null {
    if (this.#sampleRate !== null) this.#rateStated = true;
    return this.#sampleRate;
  }

  #since(): number {
    return Math.round(performance.now() - this.#startedAt);
  }

  #record(outcome: TurnOutcome["outcome"], errorCode: RoomErrorCode | null, reason: ReplyStopReason | null, playedMs: number | null, replyText: string): void {
    this.#deps.record({
      turnId: this.turnId,
      kind: this.#kind,
      userText: this.#userText,
      replyText,
      outcome,
      errorCode,
      interruptReason: reason,
      playedMs,
      sources: this.#sources,
      startedAtMs: this.#startedAtMs,
      endedAtMs: Date.now(),
      timings: this.#timings,
    });
  }
}

/** A speech failure's code when it is one a room reports, else `model_unavailable`. */
function errorCodeOf(error: unknown): RoomErrorCode {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : null;
  return code === "overloaded" || code === "deadline_exceeded" || code === "internal" ? code : "model_unavailable";
}
