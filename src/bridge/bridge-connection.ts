import type { Room } from "@colyseus/sdk";
import type { WebSocket } from "ws";
import type { Logger } from "../logger.js";
import { onServerMessages } from "../protocol/server-message-handlers.js";
import type { ServerMessages } from "../protocol/server-messages.js";
import {
  BRIDGE_CLOSE,
  bridgeAudioIn,
  bridgeEnvelope,
  bridgeTextIn,
  type BridgeOutMessage,
} from "../protocol/tutor-bridge-messages.js";
import { TokenBucket } from "../token-bucket.js";
import { BridgeAudioError, type BridgeAudio } from "./bridge-audio.js";
import { pcm16ChunksToWav } from "../inference/audio/wav.js";
import { AudioStreamer } from "./audio-streamer.js";

export interface BridgeConnectionOptions {
  /** Messages a second the client may send, and in a burst. */
  messagesPerSecond: number;
  messageBurst: number;
  /** `error` replies a second, and in a burst: past them a refusal is counted but not answered. */
  errorRepliesPerSecond: number;
  errorReplyBurst: number;
  /** Refusals within `misbehaviourWindowMs` after which the socket is closed (policy). */
  maxErrors: number;
  misbehaviourWindowMs: number;
  /** Audio messages waiting to be streamed while one streams. */
  maxQueuedAudio: number;
  /** Longest tutor reply kept for its WAV (16-bit mono at the tutor's rate). */
  maxReplyAudioMs: number;
}

/** Who a bridged socket is in its room: its participant id, and whether its seat may send audio (not an observer). */
export interface BridgeSeat {
  participantId: string;
  speaks: boolean;
}

/** JSON nested deeper than this is refused before it is parsed (the rooms' own limit): parsing it costs the loop. */
const MAX_JSON_DEPTH = 32;

export const DEFAULT_BRIDGE_CONNECTION_OPTIONS: BridgeConnectionOptions = {
  messagesPerSecond: 5,
  messageBurst: 20,
  errorRepliesPerSecond: 20,
  errorReplyBurst: 40,
  maxErrors: 50,
  misbehaviourWindowMs: 10_000,
  maxQueuedAudio: 2,
  maxReplyAudioMs: 120_000,
};

/**
 * One client of the virtual tutor server, bridged: its plain WebSocket on one side, its seat in the session's room on
 * the other, joined through the Colyseus SDK like any client (the room cannot tell them apart). It translates that
 * server's JSON into room messages and the room's messages back: the student's own transcripts, the tutor's replies
 * (text, then the reply's audio as one WAV once it has all been said), errors.
 */
export class BridgeConnection {
  readonly #socket: WebSocket;
  readonly #room: Room;
  readonly #participantId: string;
  readonly #audio: BridgeAudio;
  readonly #log: Logger;
  readonly #options: BridgeConnectionOptions;
  readonly #budget: TokenBucket;
  readonly #replies: TokenBucket;
  readonly #streamer: AudioStreamer;
  #errors: number[] = [];
  /** The reply being said: its text (once final) and the audio received so far. */
  #reply: { turnId: number; text: string | null; chunks: Uint8Array[]; bytes: number; sampleRate: number | null } | null = null;
  #lastTurnState = "";
  #closed = false;

  readonly #speaks: boolean;

  constructor(socket: WebSocket, room: Room, seat: BridgeSeat, audio: BridgeAudio, log: Logger, options: Partial<BridgeConnectionOptions> = {}) {
    this.#socket = socket;
    this.#room = room;
    this.#participantId = seat.participantId;
    this.#speaks = seat.speaks;
    this.#audio = audio;
    this.#log = log;
    this.#options = { ...DEFAULT_BRIDGE_CONNECTION_OPTIONS, ...options };
    this.#budget = new TokenBucket({ ratePerSecond: this.#options.messagesPerSecond, burst: this.#options.messageBurst });
    this.#replies = new TokenBucket({ ratePerSecond: this.#options.errorRepliesPerSecond, burst: this.#options.errorReplyBurst });
    this.#streamer = new AudioStreamer((pcm16) => this.#room.sendBytes("audio", pcm16), this.#options.maxQueuedAudio);
    onServerMessages(room, {
      transcript: (message) => this.#onTranscript(message),
      "tutor.reply": (message) => this.#onReply(message),
      "tutor.audio": (bytes) => this.#onAudio(bytes),
      "tutor.interrupted": (message) => this.#onInterrupted(message),
      error: (message) => this.#onRoomError(message),
      "session.ended": () => this.close(BRIDGE_CLOSE.normal, "session_ended"),
    });
    room.onStateChange((state: { tutorState?: unknown; turnId?: unknown }) => this.#onState(state));
    room.onLeave(() => this.close(BRIDGE_CLOSE.normal, "left"));
    socket.on("message", (data, isBinary) => this.#onMessage(data, isBinary));
    socket.on("close", () => this.close(BRIDGE_CLOSE.normal, "client closed"));
    socket.on("error", (error) => this.#log.debug({ err: error }, "bridge socket error"));
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#streamer.stop();
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.close(code, reason);
    this.#room.leave(true).catch((error: unknown) => this.#log.debug({ err: error }, "bridge leave failed"));
  }

  #onMessage(data: unknown, isBinary: boolean): void {
    if (this.#closed) return;
    if (!this.#budget.take(1)) {
      this.#refuse("rate_limited", `at most ${this.#options.messagesPerSecond} messages a second`);
      return;
    }
    if (isBinary) {
      this.#refuse("invalid_message", "messages are JSON text frames");
      return;
    }
    const text = String(data);
    if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
      this.#refuse("message_too_large", `a message is nested at most ${MAX_JSON_DEPTH} levels deep`);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.#refuse("invalid_message", "Invalid message format: not JSON");
      return;
    }
    const envelope = bridgeEnvelope.safeParse(json);
    if (!envelope.success) {
      this.#refuse("invalid_message", "a message is a JSON object with a string `type`");
      return;
    }
    if (envelope.data.type === "text") {
      const text = bridgeTextIn.safeParse(json);
      if (text.success) this.#room.send("text", { content: text.data.content });
      else this.#refuse("invalid_message", `text: ${text.error.issues[0]?.message ?? "bad content"}`);
      return;
    }
    if (envelope.data.type === "audio") {
      const audio = bridgeAudioIn.safeParse(json);
      if (audio.success) this.#takeAudio(audio.data.data);
      else this.#refuse("invalid_message", `audio: ${audio.error.issues[0]?.message ?? "bad data"}`);
      return;
    }
    this.#refuse("unknown_message_type", `Unsupported message type: ${envelope.data.type.slice(0, 64)}`);
  }

  #takeAudio(base64: string): void {
    if (!this.#speaks) {
      this.#refuse("invalid_audio", "observers do not send audio");
      return;
    }
    if (!this.#streamer.hasRoom()) {
      this.#refuse("rate_limited", "an utterance is already being heard; send the next one after it");
      return;
    }
    this.#audio.toPcm16(base64).then(
      (pcm16) => {
        if (!this.#closed && !this.#streamer.enqueue(pcm16)) this.#refuse("rate_limited", "an utterance is already being heard; send the next one after it");
      },
      (error: unknown) => {
        if (error instanceof BridgeAudioError) this.#refuse(error.code, error.message);
        else {
          this.#log.error({ err: error }, "bridge audio failed");
          this.#refuse("internal", "the audio could not be handled");
        }
      },
    );
  }

  /** The room refused something of ours. Refused audio stops the recordings being streamed: one error, not one a chunk. */
  #onRoomError(message: ServerMessages["error"]): void {
    if (message.type === "audio") {
      if (!this.#streamer.streaming) return;
      this.#streamer.stop();
    }
    this.#refuse(message.code, message.message);
  }

  #onTranscript(message: ServerMessages["transcript"]): void {
    // That server's clients heard only their own words back.
    if (!message.final || message.participant_id !== this.#participantId) return;
    this.#send({ type: "transcription", content: message.text, role: "user", timestamp: now() });
  }

  #onReply(message: ServerMessages["tutor.reply"]): void {
    if (this.#reply?.turnId !== message.turn_id) this.#reply = { turnId: message.turn_id, text: null, chunks: [], bytes: 0, sampleRate: null };
    if (message.sample_rate !== null) this.#reply.sampleRate = message.sample_rate;
    if (!message.final) return;
    this.#reply.text = message.text ?? "";
    this.#send({ type: "text", content: this.#reply.text, role: "assistant", timestamp: now() });
  }

  #onAudio(bytes: Uint8Array): void {
    const reply = this.#reply;
    if (reply === null || reply.sampleRate === null) return;
    if (reply.bytes + bytes.byteLength > (reply.sampleRate * 2 * this.#options.maxReplyAudioMs) / 1000) return;
    reply.chunks.push(new Uint8Array(bytes));
    reply.bytes += bytes.byteLength;
  }

  #onInterrupted(message: ServerMessages["tutor.interrupted"]): void {
    // What was cut off is not sent: the student stopped it.
    if (this.#reply?.turnId === message.turn_id) this.#reply = null;
  }

  /** The turn loop back to listening after a reply: everything it said has arrived, as one WAV. */
  #onState(state: { tutorState?: unknown; turnId?: unknown }): void {
    const turnState = typeof state.tutorState === "string" ? state.tutorState : "";
    const previous = this.#lastTurnState;
    this.#lastTurnState = turnState;
    const reply = this.#reply;
    if (turnState !== "listening" || previous === "listening" || reply === null || reply.turnId !== state.turnId) return;
    this.#reply = null;
    if (reply.bytes === 0 || reply.sampleRate === null) return;
    const wav = Buffer.from(pcm16ChunksToWav(reply.chunks, reply.bytes, reply.sampleRate)).toString("base64");
    this.#send({ type: "audio", content: reply.text ?? "", audio: wav, data: wav, role: "assistant", timestamp: now() });
  }

  #refuse(code: string, content: string): void {
    // A flood of bad input gets no flood of replies.
    if (this.#replies.take(1)) this.#send({ type: "error", content, code, timestamp: now() });
    const nowMs = Date.now();
    this.#errors = this.#errors.filter((at) => nowMs - at < this.#options.misbehaviourWindowMs);
    this.#errors.push(nowMs);
    if (this.#errors.length > this.#options.maxErrors) this.close(BRIDGE_CLOSE.policy, "too many bad messages");
  }

  #send(message: BridgeOutMessage): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(JSON.stringify(message));
  }
}

/** The ISO 8601 time that server stamped every message with. */
function now(): string {
  return new Date().toISOString();
}

/** Whether JSON text opens more than `limit` arrays or objects at once (strings skipped): a scan, not a parse. */
export function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth -= 1;
  }
  return false;
}
