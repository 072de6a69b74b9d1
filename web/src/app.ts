import { Client, type Room } from "@colyseus/sdk";
import { CameraToggle } from "./camera-toggle.js";
import { Chat } from "./chat.js";
import { MISSING_LINK_TEXT, isTutorError, joinErrorText, microphoneErrorText } from "./error-text.js";
import { openMicrophone, type Microphone } from "./microphone.js";
import { departureText, kindLabel, type Departure } from "./notice-text.js";
import { connectionLost, rejoin } from "./rejoin.js";
import { PeerMesh, type IncomingSignal } from "./peers.js";
import { Tiles } from "./tiles.js";
import { TutorPanel } from "./tutor-panel.js";
import { TranscriptLines } from "./transcript-lines.js";
import { findView, showSegment, renderParticipants, renderPeers, renderTitle, type ParticipantView, type View } from "./view.js";
import type {
  ErrorMessage,
  ExpressionMessage,
  NoFaceMessage,
  SessionEndedMessage,
  SessionJoinedMessage,
  TextBroadcastMessage,
  TranscriptMessage,
  TutorInterruptedMessage,
  TutorReplyMessage,
} from "../../src/protocol/server-messages.js";

/** The slice of the synchronised room state the page reads (see src/rooms/session-state.ts). */
interface RoomState {
  kind: string;
  title: string;
  status: string;
  endReason: string;
  participants: { forEach(cb: (p: ParticipantView, id: string) => void): void };
  /** A live tutoring session's turn state ("" otherwise) and its tutor's current or last turn. */
  tutorState: string;
  turnId: number;
}

/**
 * After Mute, frames (silence: the track is disabled) still go out this long, so the engine hears the utterance end
 * (its VAD waits 400 ms) instead of showing the participant speaking until they unmute.
 */
const MUTE_TAIL_MS = 800;

function participantsOf(state: RoomState): ParticipantView[] {
  const list: ParticipantView[] = [];
  state.participants.forEach((p) =>
    list.push({ id: p.id, name: p.name, role: p.role, connected: p.connected, speaking: p.speaking, faces: p.faces, expression: p.expression }),
  );
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

  // The microphone opens first so every call carries it and the join says its rate; frames wait for the room.
  let room: Room | null = null;
  /** Frames go out once the engine has said who this page is, unless that is an observer. */
  let sending = false;
  let observer = false;
  let mutedAtMs: number | null = null;
  let mic: Microphone | null = null;
  try {
    mic = await openMicrophone(new URL("./capture-worklet.js", import.meta.url).href, (frame) => {
      if (!sending || room === null || !room.connection.isOpen) return;
      if (mutedAtMs !== null && performance.now() - mutedAtMs > MUTE_TAIL_MS) return;
      room.sendBytes("audio", frame);
    });
    view.mic.dataset["captureRate"] = String(mic.captureRate);
    view.mic.dataset["sendRate"] = String(mic.sendRate);
  } catch (error) {
    showProblem(view, microphoneErrorText(error));
  }

  const client = new Client(location.origin.replace(/^http/, "ws"));
  client.auth.token = token;
  const joinOptions = { sample_rate: mic?.sendRate ?? 16_000 };
  // The room in use: a rejoin after the engine restarted replaces it (every handler below reads it when it runs).
  let joined: Room;
  try {
    joined = await client.joinById(sessionId, joinOptions);
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
  let kind = "meeting";
  let endReason: string | null = null;
  let departure: Departure | null = null;
  let participants: ParticipantView[] = [];
  const nameOf = (id: string) => participants.find((p) => p.id === id)?.name || id;
  // While this page gets no state (reconnecting, gone) nobody is shown speaking: it would be a stale guess.
  const clearSpeaking = () => {
    participants = participants.map((p) => ({ ...p, speaking: false }));
    renderParticipants(view.participants, participants, selfId);
  };
  const tiles = new Tiles(view.tiles);

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
    onRemoteVideo: (peerId, track) => tiles.setRemoteVideo(peerId, track),
    onChange: () => renderPeers(view.peers, mesh.states(), nameOf),
  });
  const chat = new Chat(view, (message) => joined.send("text", message));
  const tutor = new TutorPanel(view.tutor);
  // Across rejoins: a segment's final may come after one, and must replace its interim line.
  const transcriptLines = new TranscriptLines();
  // The question box sends `text`, which is chat too: the tutor answers the student's messages.
  chat.attach(view.tutor);
  const camera = new CameraToggle({
    button: view.camera,
    problem: view.cameraProblem,
    send(jpeg) {
      if (sending && joined.connection.isOpen) joined.sendBytes("video", jpeg);
    },
    onCamera(opened) {
      tiles.setLocalVideo(opened?.stream ?? null);
      mesh.setCamera(opened);
    },
  });

  /** Out of the session for good: the page says why and stops its media. */
  const leaveFor = (why: Departure) => {
    setStatus(view, why);
    view.notice.textContent = departureText(why, kind, endReason);
    clearSpeaking();
    camera.enable(false, !observer);
    mesh.close();
    tutor.close();
    void mic?.stop();
    view.mic.disabled = true;
    view.leave.disabled = true;
    chat.enable(false);
  };
  // Colyseus' own reconnection failed (the engine process died): join again with the token, which the engine that
  // restored the session knows the seat by.
  const recover = async () => {
    setStatus(view, "reconnecting");
    clearSpeaking();
    const result = await rejoin(client, sessionId, joinOptions);
    if ("error" in result) {
      console.warn("rejoin failed", result.error);
      leaveFor(departure ?? "disconnected");
      return;
    }
    if (departure !== null) {
      // Left (the button) while rejoining.
      void result.room.leave(true);
      leaveFor(departure);
      return;
    }
    joined = result.room;
    room = result.room;
    attach(result.room);
    setStatus(view, "connected");
  };

  const attach = (current: Room) => {
    current.onMessage("session.joined", (message: SessionJoinedMessage) => {
      selfId = message.participant_id;
      // Observers listen only: the engine refuses their audio.
      observer = message.role === "observer";
      sending = !observer;
      if (observer) view.mic.disabled = true;
      // Observers get no camera: the engine refuses their video.
      camera.enable(!observer, !observer);
      renderParticipants(view.participants, participants, selfId);
      tiles.sync(participants, selfId);
      mesh.sync(participants);
    });
    current.onMessage("signal", (message: IncomingSignal) => {
      void mesh.receive(message).catch((error: unknown) => console.warn("signal failed", error));
    });
    current.onMessage("transcript", (message: TranscriptMessage) => {
      const change = transcriptLines.apply(message);
      if (change !== null) showSegment(view.transcript, change, nameOf(message.participant_id));
    });
    current.onMessage("text", (message: TextBroadcastMessage) => chat.receive(message, selfId));
    current.onMessage("expression", (message: ExpressionMessage) => {
      tiles.expression(message);
      if (message.participant_id === selfId) camera.analysed();
    });
    current.onMessage("no_face", (message: NoFaceMessage) => tiles.noFace(message));
    current.onMessage("tutor.reply", (message: TutorReplyMessage) => tutor.reply(message));
    current.onMessage("tutor.audio", (bytes: Uint8Array) => tutor.audio(bytes));
    current.onMessage("tutor.interrupted", (message: TutorInterruptedMessage) => tutor.interrupted(message));
    current.onMessage("session.ended", (message: SessionEndedMessage) => {
      departure ??= "ended";
      endReason = message.reason;
      view.lifecycle.textContent = `ended (${message.reason ?? "ended"})`;
    });
    current.onMessage("session.replaced", () => {
      departure ??= "replaced";
    });
    current.onMessage("error", (message: ErrorMessage) => {
      // The tutor's failures come for the message that asked (`text` or `audio`), but were not a refusal of it.
      if (isTutorError(message)) tutor.failed(message);
      else if (message.type === "text") chat.refused(message);
      else if (message.type === "video") camera.refused(message);
      else console.warn("engine error", message.code, message.message);
    });
    current.onStateChange((state: RoomState) => {
      kind = state.kind;
      renderTitle(view, state.title, kindLabel(state.kind));
      tutor.render(state.kind, state.tutorState, state.turnId);
      view.leave.textContent = `Leave ${kind === "tutoring" ? "session" : "meeting"}`;
      view.lifecycle.textContent = state.endReason ? `${state.status} (${state.endReason})` : state.status;
      participants = participantsOf(state);
      renderParticipants(view.participants, participants, selfId);
      if (selfId !== "") {
        tiles.sync(participants, selfId);
        mesh.sync(participants);
      }
    });
    current.onDrop(() => {
      setStatus(view, "reconnecting");
      clearSpeaking();
    });
    current.onReconnect(() => setStatus(view, "connected"));
    current.onLeave((code: number) => {
      if (current !== joined) return;
      if (departure === null && connectionLost(code)) void recover();
      else leaveFor(departure ?? "disconnected");
    });
  };
  attach(joined);

  view.leave.disabled = false;
  view.leave.addEventListener("click", () => {
    departure ??= "left";
    void joined.leave(true);
  });
  chat.enable(true);

  if (mic !== null) {
    const opened = mic;
    // Browsers may hold audio until the first gesture; any click or key press resumes it.
    const resume = () => void opened.resume();
    document.addEventListener("click", resume, { once: true });
    document.addEventListener("keydown", resume, { once: true });
    view.mic.disabled = observer;
    view.mic.addEventListener("click", () => {
      const muted = mutedAtMs === null;
      mutedAtMs = muted ? performance.now() : null;
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
