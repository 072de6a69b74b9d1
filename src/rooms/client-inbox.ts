import type { z } from "zod";
import type { EngineMetrics } from "../metrics/engine-metrics.js";
import {
  audioMessageMs,
  audioMessageProblem,
  inspectControlMessage,
  MIN_AUDIO_MESSAGE_MS,
  signalMessage,
  textMessage,
  type SignalMessage,
  videoMessageProblem,
} from "../protocol/client-messages.js";
import type { RoomErrorCode } from "../protocol/error-codes.js";
import type { ErrorMessage, ServerMessages, ServerMessageType } from "../protocol/server-messages.js";
import type { RoomConnections, SessionClient } from "./room-connections.js";

/** Longest client-chosen message type echoed in a reply, and most field issues listed. */
const MAX_ECHOED_TYPE_CHARS = 64;
const MAX_REPLY_ISSUES = 20;

/** What the inbox needs of its room: the room itself implements it (no closures made per session). */
export interface InboxRoom {
  sendTo<T extends ServerMessageType>(client: SessionClient, type: T, message: ServerMessages[T]): void;
  sendToAll<T extends ServerMessageType>(type: T, message: ServerMessages[T]): void;
  /** Accepted audio, for the session machine (`audio.chunk`). */
  audioAccepted(participantId: string, pcm16: Uint8Array): void;
  /** An accepted text message, for the session machine (`text.received`: a tutor answers it). */
  textAccepted(participantId: string, text: string): void;
  /** An accepted camera frame, for the session machine (`video.frame`). */
  videoAccepted(participantId: string, jpeg: Uint8Array): void;
  /** A signal relayed: who to whom and its kind (for `signaling_events`; never its SDP or candidate). */
  signalRelayed(from: string, to: string, kind: SignalMessage["type"]): void;
}

/** Per connection limits the inbox applies beyond the message budget. */
export interface InboxLimits {
  messagesPerSecond: number;
  /** Camera frames a second each participant may send (the session's `video_fps`). */
  videoFps: number;
}

/**
 * A room's client messages: each is charged to its sender's budget first, then checked for size and shape (a check
 * that cannot throw on any decoded value), then by its wire-protocol schema. A bad one gets an `error` reply — itself
 * budgeted — and the client stays connected.
 */
export class ClientInbox {
  readonly #room: InboxRoom;
  readonly #connections: RoomConnections;
  readonly #metrics: EngineMetrics;
  readonly #limits: InboxLimits;

  constructor(room: InboxRoom, connections: RoomConnections, metrics: EngineMetrics, limits: InboxLimits) {
    this.#room = room;
    this.#connections = connections;
    this.#metrics = metrics;
    this.#limits = limits;
  }

  /** Validates a JSON message; null (and a reply sent) when it is refused. */
  parse<T>(client: SessionClient, type: string, schema: z.ZodType<T>, message: unknown): T | null {
    if (!this.admit(client, type)) return null;
    const shape = inspectControlMessage(message);
    if (!shape.ok) {
      const code = shape.problem === "too_large" ? "message_too_large" : "invalid_message";
      this.reject(client, type, code, `a ${type} message: ${shape.detail}`);
      return null;
    }
    const parsed = schema.safeParse(message);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
      this.reject(client, type, "invalid_message", `invalid ${type} message`, issues);
      return null;
    }
    return parsed.data;
  }

  /** Rate limit: a client over its budget gets `rate_limited` and the message is refused. */
  admit(client: SessionClient, type: string): boolean {
    if (this.#connections.takeMessage(client)) return true;
    this.reject(client, type, "rate_limited", `more than ${this.#limits.messagesPerSecond} messages per second`);
    return false;
  }

  /** Refuses a client message. Counted always; answered while the connection's error-reply budget lasts. */
  reject(client: SessionClient, type: string, code: RoomErrorCode, message: string, issues?: ErrorMessage["issues"]): void {
    this.#metrics.error("room", code);
    if (!this.#connections.takeErrorReply(client)) {
      this.#metrics.errorReplySuppressed();
      return;
    }
    // The type is the client's choice: bounded before it is echoed.
    const reply: ErrorMessage = { code, message, type: type.slice(0, MAX_ECHOED_TYPE_CHARS) };
    if (issues !== undefined) reply.issues = issues.slice(0, MAX_REPLY_ISSUES);
    this.#room.sendTo(client, "error", reply);
  }

  signal(client: SessionClient, raw: unknown): void {
    const message = this.parse(client, "signal", signalMessage, raw);
    if (message === null) return;
    const from = this.#connections.authOf(client).participantId;
    const target = message.to === from ? undefined : this.#connections.clientOf(message.to);
    if (target === undefined) {
      this.reject(client, "signal", "participant_not_found", "no other connected participant has that id");
      return;
    }
    // `from` is set here, never taken from the client, so it cannot be spoofed.
    this.#room.sendTo(target, "signal", { from, type: message.type, sdp: message.sdp, candidate: message.candidate });
    this.#room.signalRelayed(from, message.to, message.type);
  }

  text(client: SessionClient, raw: unknown): void {
    const message = this.parse(client, "text", textMessage, raw);
    if (message === null) return;
    const { participantId, name } = this.#connections.authOf(client);
    this.#room.sendToAll("text", { from: participantId, name, content: message.content, at: Date.now() });
    this.#room.textAccepted(participantId, message.content);
  }

  /** Binary `audio`: 16-bit mono PCM at the participant's join `sample_rate`, 10–100 ms per message. */
  audio(client: SessionClient, bytes: Uint8Array): void {
    const { participantId, sampleRate, role } = this.#connections.authOf(client);
    const durationMs = audioMessageMs(bytes, sampleRate);
    // Charged before any check: a refused frame costs its sender as much as an accepted one (at least 10 ms).
    if (!this.#connections.takeAudio(client, Math.max(MIN_AUDIO_MESSAGE_MS, durationMs))) {
      this.reject(client, "audio", "rate_limited", "audio arrives faster than 1.5× real time");
      return;
    }
    if (role === "observer") {
      this.reject(client, "audio", "invalid_audio", "observers do not send audio");
      return;
    }
    const problem = audioMessageProblem(bytes, sampleRate);
    if (problem !== null) {
      this.reject(client, "audio", "invalid_audio", problem);
      return;
    }
    this.#metrics.audioReceived(durationMs);
    this.#room.audioAccepted(participantId, bytes);
  }

  /** Binary `video`: one JPEG camera frame, at most the session's `video_fps` a second. */
  video(client: SessionClient, bytes: Uint8Array): void {
    const { participantId, role } = this.#connections.authOf(client);
    // Charged before any check, as audio is.
    if (!this.#connections.takeVideoFrame(client, this.#limits.videoFps)) {
      this.#metrics.videoFrame("refused");
      this.reject(client, "video", "rate_limited", `more than ${this.#limits.videoFps} camera frames per second`);
      return;
    }
    const problem = role === "observer" ? "observers do not send video" : videoMessageProblem(bytes);
    if (problem !== null) {
      this.#metrics.videoFrame("refused");
      this.reject(client, "video", "invalid_video", problem);
      return;
    }
    this.#metrics.videoFrame("received");
    this.#room.videoAccepted(participantId, bytes);
  }
}
