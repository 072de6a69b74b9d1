/** The page's elements, looked up once; a missing one is a build mistake, reported loudly. */
function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} missing from index.html`);
  return element as T;
}

export interface View {
  status: HTMLElement;
  lifecycle: HTMLElement;
  problem: HTMLElement;
  participants: HTMLUListElement;
  peers: HTMLUListElement;
  transcript: HTMLOListElement;
  mic: HTMLButtonElement;
  leave: HTMLButtonElement;
  remoteAudio: HTMLElement;
}

export function findView(): View {
  return {
    status: byId("status"),
    lifecycle: byId("lifecycle"),
    problem: byId("problem"),
    participants: byId("participants"),
    peers: byId("peers"),
    transcript: byId("transcript"),
    mic: byId("mic"),
    leave: byId("leave"),
    remoteAudio: byId("remote-audio"),
  };
}

export interface ParticipantView {
  id: string;
  name: string;
  role: string;
  connected: boolean;
  speaking: boolean;
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

/** Appends a final segment at the bottom and keeps it in view. */
export function appendSegment(list: HTMLOListElement, speaker: string, text: string): void {
  const item = document.createElement("li");
  item.dataset["testid"] = "transcript-segment";
  const who = document.createElement("strong");
  who.textContent = `${speaker}: `;
  item.append(who, text);
  list.append(item);
  list.scrollTop = list.scrollHeight;
}
