import { Client, type Room } from "@colyseus/sdk";
import { MISSING_LINK_TEXT, joinErrorText, microphoneErrorText } from "./error-text.js";
import { openMicrophone, type Microphone } from "./microphone.js";
import { PeerMesh, type IncomingSignal } from "./peers.js";
import { appendSegment, findView, renderParticipants, renderPeers, type ParticipantView, type View } from "./view.js";
import type { ErrorMessage, SessionEndedMessage, SessionJoinedMessage, TranscriptMessage } from "../../src/protocol/server-messages.js";

/** The slice of the synchronised room state the page reads (see src/rooms/session-state.ts). */
interface RoomState {
  status: string;
  endReason: string;
  participants: { forEach(cb: (p: ParticipantView, id: string) => void): void };
}

function participantsOf(state: RoomState): ParticipantView[] {
  const list: ParticipantView[] = [];
  state.participants.forEach((p) => list.push({ id: p.id, name: p.name, role: p.role, connected: p.connected, speaking: p.speaking }));
  return list;
}

function setStatus(view: View, text: string): void {
  view.status.textContent = text;
}

function showProblem(view: View, text: string): void {
  view.problem.textContent = text;
}

async function start(view: View): Promise<void> {
  const params = new URLSearchParams(location.search);
  const sessionId = params.get("session");
  const token = params.get("token");
  if (!sessionId || !token) {
    setStatus(view, "error: no meeting link");
    showProblem(view, MISSING_LINK_TEXT);
    return;
  }

  // The microphone opens first so every call carries it; frames wait for the room (dropped until joined).
  let room: Room | null = null;
  let muted = false;
  let mic: Microphone | null = null;
  try {
    mic = await openMicrophone(new URL("./capture-worklet.js", import.meta.url).href, (frame) => {
      if (!muted && room !== null && room.connection.isOpen) room.sendBytes("audio", frame);
    });
  } catch (error) {
    showProblem(view, microphoneErrorText(error));
  }

  const client = new Client(location.origin.replace(/^http/, "ws"));
  client.auth.token = token;
  let joined: Room;
  try {
    joined = await client.joinById(sessionId, { sample_rate: 16_000 });
  } catch (error) {
    const code = error instanceof Error ? error.message : String(error);
    setStatus(view, `error: ${code}`);
    showProblem(view, joinErrorText(code));
    await mic?.stop();
    return;
  }
  room = joined;
  setStatus(view, "connected");

  let selfId = "";
  let participants: ParticipantView[] = [];
  const nameOf = (id: string) => participants.find((p) => p.id === id)?.name || id;

  const mesh = new PeerMesh({
    get selfId() {
      return selfId;
    },
    localStream: mic?.stream ?? null,
    send: (signal) => joined.send("signal", signal),
    onRemoteStream(peerId, stream) {
      let audio = view.remoteAudio.querySelector<HTMLAudioElement>(`audio[data-peer="${CSS.escape(peerId)}"]`);
      if (audio === null) {
        audio = document.createElement("audio");
        audio.autoplay = true;
        audio.dataset["peer"] = peerId;
        view.remoteAudio.append(audio);
      }
      audio.srcObject = stream;
    },
    onChange: () => renderPeers(view.peers, mesh.states(), nameOf),
  });

  joined.onMessage("session.joined", (message: SessionJoinedMessage) => {
    selfId = message.participant_id;
    renderParticipants(view.participants, participants, selfId);
    mesh.sync(participants);
  });
  joined.onMessage("signal", (message: IncomingSignal) => {
    void mesh.receive(message).catch((error: unknown) => console.warn("signal failed", error));
  });
  joined.onMessage("transcript", (message: TranscriptMessage) => {
    if (message.final && message.text.trim() !== "") appendSegment(view.transcript, nameOf(message.participant_id), message.text.trim());
  });
  joined.onMessage("session.ended", (message: SessionEndedMessage) => {
    view.lifecycle.textContent = `ended (${message.reason ?? "ended"})`;
  });
  joined.onMessage("session.replaced", () => {
    showProblem(view, "You joined this meeting from another tab or device; this page was disconnected.");
  });
  joined.onMessage("error", (message: ErrorMessage) => {
    console.warn("engine error", message.code, message.message);
  });
  joined.onStateChange((state: RoomState) => {
    view.lifecycle.textContent = state.endReason ? `${state.status} (${state.endReason})` : state.status;
    participants = participantsOf(state);
    renderParticipants(view.participants, participants, selfId);
    if (selfId !== "") mesh.sync(participants);
  });
  joined.onDrop(() => setStatus(view, "reconnecting"));
  joined.onReconnect(() => setStatus(view, "connected"));
  joined.onLeave(() => {
    setStatus(view, "left");
    mesh.close();
    void mic?.stop();
    view.mic.disabled = true;
    view.leave.disabled = true;
  });

  view.leave.disabled = false;
  view.leave.addEventListener("click", () => void joined.leave(true));

  if (mic !== null) {
    const opened = mic;
    // Browsers may hold audio until the first gesture; any click or key press resumes it.
    const resume = () => void opened.resume();
    document.addEventListener("click", resume, { once: true });
    document.addEventListener("keydown", resume, { once: true });
    view.mic.disabled = false;
    view.mic.addEventListener("click", () => {
      muted = !muted;
      for (const track of opened.stream.getAudioTracks()) track.enabled = !muted;
      view.mic.textContent = muted ? "Unmute microphone" : "Mute microphone";
      view.mic.setAttribute("aria-pressed", String(muted));
    });
  }
}

const view = findView();
start(view).catch((error: unknown) => {
  setStatus(view, "error");
  showProblem(view, `Something went wrong: ${error instanceof Error ? error.message : String(error)}`);
});
