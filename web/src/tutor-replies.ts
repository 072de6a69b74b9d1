import type { TutorInterruptedMessage, TutorReplyMessage } from "../../src/protocol/server-messages.js";

/** One turn of the tutor as the panel shows it. */
export interface TutorReply {
  turnId: number;
  kind: TutorReplyMessage["kind"];
  /** The deltas so far, then the final text. */
  text: string;
  final: boolean;
  /** Why the tutor stopped mid-turn, or null. */
  interrupted: TutorInterruptedMessage["reason"] | null;
  /** The turn failed (an `error` came, e.g. `llm_unavailable`) before its final text. */
  failed: boolean;
  /** The titles of the passages the reply drew on (each once). */
  sources: string[];
}

export interface ReplyLogOptions {
  /** Replies kept (the oldest are dropped), so a long session does not grow the page without bound. */
  maxReplies: number;
}

export const DEFAULT_REPLY_LOG_OPTIONS: ReplyLogOptions = { maxReplies: 50 };

/**
 * What a reply drew on, by title: the document's title and the passage's heading path (`Biology › Cells`), the
 * document's id without one; each once, in the order given (passages of one section share a title).
 */
export function sourceTitles(sources: TutorReplyMessage["sources"]): string[] {
  return [...new Set((sources ?? []).map((source) => source.title || source.doc_id))];
}

/**
 * The tutor's replies assembled from `tutor.reply` messages: deltas appended in order, then replaced by the final
 * text. A reply's text is closed once final, interrupted or failed: anything later for its turn is ignored. Pure; each
 * change returns the reply it changed (a new object) so the panel redraws only that one.
 */
export class ReplyLog {
  readonly #options: ReplyLogOptions;
  #replies: TutorReply[] = [];

  constructor(options: Partial<ReplyLogOptions> = {}) {
    this.#options = { ...DEFAULT_REPLY_LOG_OPTIONS, ...options };
  }

  /** Oldest first. */
  get replies(): readonly TutorReply[] {
    return this.#replies;
  }

  /** Applies one `tutor.reply`; null when it changes nothing shown (a rate statement, a closed turn). */
  apply(message: TutorReplyMessage): TutorReply | null {
    const existing = this.#find(message.turn_id);
    if (existing !== undefined && closed(existing)) return null;
    const delta = message.delta ?? "";
    if (existing === undefined && !message.final && delta === "") return null;
    const before = existing ?? { turnId: message.turn_id, kind: message.kind, text: "", final: false, interrupted: null, failed: false, sources: [] };
    const reply: TutorReply = message.final
      ? { ...before, text: message.text ?? before.text + delta, final: true, sources: sourceTitles(message.sources) }
      : { ...before, text: before.text + delta };
    this.#put(reply);
    return reply;
  }

  /**
   * The turn was cut short: its text so far stays, marked with why. A turn cut before its first word shows nothing.
   */
  interrupt(message: TutorInterruptedMessage): TutorReply | null {
    const existing = this.#find(message.turn_id);
    // A final reply can still be cut: its text comes whole before its speech has played.
    if (existing === undefined || existing.interrupted !== null || existing.failed) return null;
    const reply = { ...existing, interrupted: message.reason };
    this.#put(reply);
    return reply;
  }

  /** The tutor failed to answer: the latest reply still streaming, if any, is marked failed. */
  fail(): TutorReply | null {
    const last = this.#replies.at(-1);
    if (last === undefined || closed(last)) return null;
    const reply = { ...last, failed: true };
    this.#put(reply);
    return reply;
  }

  #find(turnId: number): TutorReply | undefined {
    return this.#replies.find((reply) => reply.turnId === turnId);
  }

  /** Replaces the turn's reply, or adds it in turn order, dropping the oldest beyond the limit. */
  #put(reply: TutorReply): void {
    const others = this.#replies.filter((r) => r.turnId !== reply.turnId);
    const at = others.findIndex((r) => r.turnId > reply.turnId);
    others.splice(at === -1 ? others.length : at, 0, reply);
    this.#replies = others.slice(-this.#options.maxReplies);
  }
}

function closed(reply: TutorReply): boolean {
  return reply.final || reply.interrupted !== null || reply.failed;
}
