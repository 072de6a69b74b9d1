import type { ErrorMessage, TutorInterruptedMessage, TutorReplyMessage } from "../../src/protocol/server-messages.js";
import { tutorErrorText } from "./error-text.js";
import { TutorAudio } from "./tutor-audio.js";
import { ReplyLog, type TutorReply } from "./tutor-replies.js";
import type { TutorView } from "./view.js";

/** The room state's `tutorState`, in words ("" outside a live tutoring session). */
const STATE_TEXT: Partial<Record<string, string>> = { listening: "Listening", thinking: "Thinking…", speaking: "Speaking" };

const INTERRUPTED_TEXT: Record<TutorInterruptedMessage["reason"], string> = {
  barge_in: "interrupted: you spoke",
  text: "interrupted: you asked something else",
  ended: "interrupted: the session ended",
};

/**
 * The tutor panel of a tutoring session: the tutor's turn state (from the room state), its replies as they stream
 * with their sources, its speech played through Web Audio, and what went wrong with a turn. The question box is a
 * chat form (a student's `text` is both chat and a question) attached by the page. The player's counters are
 * mirrored on the panel as data attributes: what tests (and a curious user) read of the audio.
 */
export class TutorPanel {
  readonly #view: TutorView;
  readonly #log = new ReplyLog();
  /** Made for a tutoring session only: a meeting's page holds no AudioContext of the tutor's. */
  #audio: TutorAudio | null = null;

  constructor(view: TutorView) {
    this.#view = view;
    // Browsers hold audio until a gesture: any click or key press on the page (asking a question) resumes it.
    const resume = () => void this.#audio?.resume();
    document.addEventListener("click", resume);
    document.addEventListener("keydown", resume);
  }

  /** The room state: the panel shows in tutoring sessions only. */
  render(kind: string, tutorState: string, turnId: number): void {
    const tutoring = kind === "tutoring";
    this.#view.panel.hidden = !tutoring;
    if (!tutoring) return;
    this.#player();
    this.#view.state.dataset["state"] = tutorState;
    this.#view.state.dataset["turn"] = String(turnId);
    this.#view.state.textContent = STATE_TEXT[tutorState] ?? "—";
  }

  reply(message: TutorReplyMessage): void {
    if (message.sample_rate !== null) this.#player().startTurn(message.turn_id, message.sample_rate);
    const changed = this.#log.apply(message);
    if (changed === null) return;
    // A new reply: the last turn's failure is old news.
    this.#view.problem.textContent = "";
    this.#draw(changed);
  }

  audio(pcm16: Uint8Array): void {
    this.#player().play(pcm16);
  }

  interrupted(message: TutorInterruptedMessage): void {
    this.#player().stop();
    const changed = this.#log.interrupt(message);
    if (changed !== null) this.#draw(changed);
  }

  /** An `error` of the tutor's (e.g. `llm_unavailable`): shown in the panel, the reply it cut marked failed. */
  failed(error: ErrorMessage): void {
    this.#view.problem.textContent = tutorErrorText(error);
    const changed = this.#log.fail();
    if (changed !== null) this.#draw(changed);
  }

  /** The page left the session: silence, and no state shown any more. */
  close(): void {
    this.#view.state.dataset["state"] = "";
    this.#view.state.textContent = "—";
    void this.#audio?.close().then(() => this.#mirror());
  }

  #player(): TutorAudio {
    if (this.#audio === null) {
      this.#audio = new TutorAudio(() => this.#mirror());
      this.#view.audio.addEventListener("click", () => void this.#audio?.resume());
      this.#mirror();
    }
    return this.#audio;
  }

  #mirror(): void {
    if (this.#audio === null) return;
    const stats = this.#audio.stats();
    const data = this.#view.panel.dataset;
    data["audioState"] = stats.state;
    data["sampleRate"] = String(stats.sampleRate ?? "");
    data["chunksScheduled"] = String(stats.scheduled);
    data["chunksPlayed"] = String(stats.played);
    data["chunksStopped"] = String(stats.stopped);
    data["chunksDropped"] = String(stats.dropped);
    data["scheduledMs"] = String(Math.round(stats.scheduledMs));
    data["activeSources"] = String(stats.active);
    data["gaps"] = String(stats.gaps);
    this.#view.audio.hidden = stats.state !== "suspended";
  }

  /** Redraws one reply's entry (added in turn order), and drops entries the log no longer keeps. */
  #draw(reply: TutorReply): void {
    const list = this.#view.replies;
    const entry = list.querySelector<HTMLLIElement>(`li[data-turn="${reply.turnId}"]`) ?? document.createElement("li");
    entry.dataset["testid"] = "tutor-reply";
    entry.dataset["turn"] = String(reply.turnId);
    entry.dataset["kind"] = reply.kind;
    entry.dataset["final"] = String(reply.final);
    entry.dataset["interrupted"] = reply.interrupted ?? "";
    entry.dataset["failed"] = String(reply.failed);
    entry.replaceChildren(...replyContent(reply));
    if (!entry.isConnected) {
      const next = [...list.children].find((item) => Number((item as HTMLElement).dataset["turn"]) > reply.turnId) ?? null;
      list.insertBefore(entry, next);
    }
    const kept = new Set(this.#log.replies.map((r) => String(r.turnId)));
    for (const item of [...list.children]) if (!kept.has((item as HTMLElement).dataset["turn"] ?? "")) item.remove();
    list.scrollTop = list.scrollHeight;
  }
}

function replyContent(reply: TutorReply): Node[] {
  const who = document.createElement("strong");
  who.textContent = "Tutor: ";
  const text = document.createElement("span");
  text.dataset["testid"] = "tutor-reply-text";
  text.textContent = reply.text;
  const nodes: Node[] = [who, text];
  const status = reply.interrupted !== null ? INTERRUPTED_TEXT[reply.interrupted] : reply.failed ? "no answer" : reply.final ? "" : "…";
  if (status !== "") {
    const note = document.createElement("em");
    note.dataset["testid"] = "tutor-reply-status";
    note.textContent = status === "…" ? " …" : ` (${status})`;
    nodes.push(note);
  }
  if (reply.sources.length > 0) {
    const sources = document.createElement("p");
    sources.dataset["testid"] = "tutor-sources";
    sources.className = "sources";
    sources.textContent = `Sources: ${reply.sources.join(", ")}`;
    nodes.push(sources);
  }
  return nodes;
}
