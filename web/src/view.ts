import type { TranscriptChange } from "./transcript-lines.js";

/** The page's elements, looked up once; a missing one is a build mistake, reported loudly. */
function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} missing from index.html`);
  return element as T;
}

export interface View {
  title: HTMLElement;
  kind: HTMLElement;
  status: HTMLElement;
  lifecycle: HTMLElement;
  problem: HTMLElement;
  notice: HTMLElement;
  participants: HTMLUListElement;
  peers: HTMLUListElement;
  transcript: HTMLOListElement;
  mic: HTMLButtonElement;
  camera: HTMLButtonElement;
  cameraProblem: HTMLElement;
  tiles: HTMLElement;
  leave: HTMLButtonElement;
  remoteAudio: HTMLElement;
  chat: HTMLOListElement;
  chatForm: HTMLFormElement;
  chatInput: HTMLInputElement;
  chatSend: HTMLButtonElement;
  chatError: HTMLElement;
  tutor: TutorView;
}

/** The tutor panel (shown in tutoring sessions). */
export interface TutorView {
  panel: HTMLElement;
  state: HTMLElement;
  audio: HTMLButtonElement;
  replies: HTMLOListElement;
  problem: HTMLElement;
  form: HTMLFormElement;
  input: HTMLInputElement;
  send: HTMLButtonElement;
  error: HTMLElement;
}

export function findView(): View {
  return {
    title: byId("title"),
    kind: byId("kind"),
    status: byId("status"),
    lifecycle: byId("lifecycle"),
    problem: byId("problem"),
    notice: byId("notice"),
    participants: byId("participants"),
    peers: byId("peers"),
    transcript: byId("transcript"),
    mic: byId("mic"),
    camera: byId("camera"),
    cameraProblem: byId("camera-problem"),
    tiles: byId("tiles"),
    leave: byId("leave"),
    remoteAudio: byId("remote-audio"),
    chat: byId("chat"),
    chatForm: byId("chat-form"),
    chatInput: byId("chat-input"),
    chatSend: byId("chat-send"),
    chatError: byId("chat-error"),
    tutor: {
      panel: byId("tutor"),
      state: byId("tutor-state"),
      audio: byId("tutor-audio"),
      replies: byId("tutor-replies"),
      problem: byId("tutor-problem"),
      form: byId("tutor-form"),
      input: byId("tutor-input"),
      send: byId("tutor-send"),
      error: byId("tutor-error"),
    },
  };
}

export interface ParticipantView {
  id: string;
  name: string;
  role: string;
  connected: boolean;
  speaking: boolean;
  /** The camera analysis (faces in view, dominant expression or ""): absent until a first analysed frame. */
  faces?: number | undefined;
  expression?: string | undefined;
}

export function renderParticipants(list: HTMLUListElement, participants: ParticipantView[], selfId: string): void {
  list.replaceChildren(
    ...participants.map((p) => {
      const item = document.createElement("li");
      item.dataset["testid"] = "participant";
      item.dataset["id"] = p.id;
      const label = `${p.name || p.id}${p.id === selfId ? " (you)" : ""} — ${p.role}${p.connected ? "" : ", away"}`;
      item.append(label);
      if (p.speaking) {
        const speaking = document.createElement("span");
        speaking.dataset["testid"] = "speaking";
        speaking.textContent = " ● speaking";
        item.append(speaking);
      }
      return item;
    }),
  );
}

/** The session's title in the heading and the tab, and its kind; a session without a title is named by its kind. */
export function renderTitle(view: View, title: string, kindLabel: string): void {
  view.title.textContent = title || kindLabel;
  view.kind.textContent = kindLabel;
  document.title = title ? `${title} · ${kindLabel}` : kindLabel;
}

export function renderPeers(list: HTMLUListElement, peers: { id: string; state: string }[], nameOf: (id: string) => string): void {
  list.replaceChildren(
    ...peers.map(({ id, state }) => {
      const item = document.createElement("li");
      item.dataset["testid"] = "peer";
      item.dataset["peer"] = id;
      item.dataset["state"] = state;
      item.textContent = `${nameOf(id)}: ${state}`;
      return item;
    }),
  );
}

/** Appends an entry at the bottom of a list and keeps it in view. */
function appendEntry(list: HTMLOListElement, testId: string, speaker: string, text: string, extra: Node[] = []): HTMLLIElement {
  const item = document.createElement("li");
  item.dataset["testid"] = testId;
  const who = document.createElement("strong");
  who.textContent = `${speaker}: `;
  item.append(...extra, who, text);
  list.append(item);
  list.scrollTop = list.scrollHeight;
  return item;
}

/**
 * A transcript line (transcript-lines.ts): appended when new, else its text replaced where it stands. An interim
 * line has the `interim` class (grey) until its final replaces it, or is removed when its final heard nothing.
 */
export function showSegment(list: HTMLOListElement, change: TranscriptChange, speaker: string): void {
  const { line } = change;
  const shown = change.added ? undefined : [...list.children].find((item) => item instanceof HTMLLIElement && item.dataset["segment"] === line.segmentId);
  if (change.removed) {
    shown?.remove();
    return;
  }
  let item: HTMLLIElement;
  if (shown instanceof HTMLLIElement) {
    item = shown;
    item.lastChild?.replaceWith(line.text);
  } else {
    item = appendEntry(list, "transcript-segment", speaker, line.text);
    item.dataset["segment"] = line.segmentId;
  }
  item.classList.toggle("interim", !line.final);
  item.dataset["final"] = String(line.final);
}

/** A chat message with the time the engine relayed it. */
export function appendChatMessage(list: HTMLOListElement, speaker: string, text: string, atMs: number): void {
  const time = document.createElement("time");
  const at = new Date(atMs);
  time.dateTime = at.toISOString();
  time.textContent = `${at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })} `;
  appendEntry(list, "chat-message", speaker, text, [time]);
}
