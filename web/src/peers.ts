import type { SignalMessage } from "../../src/protocol/client-messages.js";
import type { RelayedSignalMessage } from "../../src/protocol/server-messages.js";

/** A `signal` as the engine delivers it (`from` set by the server). */
export type IncomingSignal = RelayedSignalMessage;
export type OutgoingSignal = SignalMessage;

type MediaKind = "audio" | "video";

interface Peer {
  connection: RTCPeerConnection;
  /** Candidates that arrived before the remote description. */
  pending: RTCIceCandidateInit[];
  /** The larger id is polite: on glare (both offered at once) it rolls its own offer back and answers. */
  polite: boolean;
  /** An offer of ours is being made (between createOffer and its setLocalDescription). */
  makingOffer: boolean;
  /** The last offer received collided with ours and was ignored (impolite side): its candidates may fail. */
  ignoreOffer: boolean;
  /** The call's one transceiver of each kind, once created (offerer) or negotiated (answerer). */
  transceivers: Partial<Record<MediaKind, RTCRtpTransceiver>>;
}

export interface PeerMeshOptions {
  selfId: string;
  /** The microphone's stream, or null without one: the calls then only listen. */
  localStream: MediaStream | null;
  send(signal: OutgoingSignal): void;
  onRemoteStream(peerId: string, stream: MediaStream): void;
  /** A participant's camera track arrived (it may be muted until frames come), or their call is gone (null). */
  onRemoteVideo(peerId: string, track: MediaStreamTrack | null): void;
  onChange(): void;
}

/** The SDP session id (`o=` line): the same across one connection's renegotiations, new for a new connection. */
function sdpSessionId(sdp: string | undefined): string | null {
  return sdp === undefined ? null : (/^o=\S+ (\S+) /m.exec(sdp)?.[1] ?? null);
}

/**
 * One RTCPeerConnection per other participant, signalled through the engine's `signal` relay. The participant with the
 * lexicographically smaller id opens each call, so exactly one side starts it. No STUN/TURN: host candidates only.
 *
 * Every call carries one audio and one video transceiver from its first offer. Turning the camera on or off swaps the
 * video sender's track and its direction (send and receive, or receive only), which renegotiates the call: the side
 * that toggled offers ("perfect negotiation": when both offer at once, the smaller id's offer wins and the larger id
 * rolls its own back, then offers again). The other side's video track is then added (`track`) or muted.
 */
export class PeerMesh {
  readonly #peers = new Map<string, Peer>();
  #camera: { track: MediaStreamTrack; stream: MediaStream } | null = null;
  /** Signals are handled one at a time, in the order the relay delivered them. */
  #inbox: Promise<void> = Promise.resolve();

  constructor(private readonly options: PeerMeshOptions) {}

  /**
   * Opens calls to connected participants and closes calls to those shown disconnected. A participant not yet in this
   * page's state keeps its call: its offer can arrive before the state patch that lists it.
   */
  sync(participants: Iterable<{ id: string; connected: boolean }>): void {
    for (const { id, connected } of participants) {
      if (id === this.options.selfId) continue;
      const peer = this.#peers.get(id);
      if (!connected) {
        if (peer !== undefined) this.#drop(id, peer);
      } else if (peer === undefined && this.options.selfId < id) {
        this.#open(id, true);
      }
    }
    this.options.onChange();
  }

  states(): { id: string; state: RTCPeerConnectionState }[] {
    return [...this.#peers].map(([id, peer]) => ({ id, state: peer.connection.connectionState }));
  }

  /** Sends the camera on every call (null: stops sending video); each call renegotiates. */
  setCamera(camera: { track: MediaStreamTrack; stream: MediaStream } | null): void {
    this.#camera = camera;
    for (const [id, peer] of this.#peers) {
      void this.#applyCamera(peer).catch((error: unknown) => console.warn(`camera not applied to the call with ${id}`, error));
    }
  }

  receive(signal: IncomingSignal): Promise<void> {
    const handled = this.#inbox.then(() => this.#handle(signal));
    this.#inbox = handled.catch(() => {});
    return handled;
  }

  close(): void {
    for (const [id, peer] of [...this.#peers]) this.#drop(id, peer);
    this.options.onChange();
  }

  async #handle(signal: IncomingSignal): Promise<void> {
    if ((signal.type === "offer" || signal.type === "answer") && signal.sdp !== undefined) {
      await this.#description(signal.from, signal.type, signal.sdp);
      return;
    }
    const peer = this.#peers.get(signal.from);
    if (peer === undefined || signal.type !== "ice_candidate" || signal.candidate === undefined) return;
    if (peer.connection.remoteDescription === null) {
      peer.pending.push(signal.candidate);
      return;
    }
    try {
      await peer.connection.addIceCandidate(signal.candidate);
    } catch (error) {
      if (!peer.ignoreOffer) throw error;
    }
  }

  async #description(from: string, type: "offer" | "answer", sdp: string): Promise<void> {
    let peer = this.#peers.get(from);
    if (type === "offer" && peer !== undefined) {
      // An offer of another connection (the other side reloaded, or joined from a new tab) replaces the old call;
      // one of the same connection renegotiates it.
      const current = sdpSessionId(peer.connection.remoteDescription?.sdp);
      if (current === null || current !== sdpSessionId(sdp)) {
        this.#drop(from, peer);
        peer = undefined;
      }
    }
    if (type === "offer" && peer === undefined) peer = this.#open(from, false);
    if (peer === undefined) return;
    const connection = peer.connection;
    const collision = type === "offer" && (peer.makingOffer || connection.signalingState !== "stable");
    peer.ignoreOffer = !peer.polite && collision;
    if (peer.ignoreOffer) return;
    // On glare the polite side's own offer is rolled back by this (implicit rollback).
    await connection.setRemoteDescription({ type, sdp });
    for (const candidate of peer.pending.splice(0)) await connection.addIceCandidate(candidate);
    if (type !== "offer") return;
    await this.#adoptTransceivers(peer);
    const answer = await connection.createAnswer();
    await connection.setLocalDescription(answer);
    this.options.send({ to: from, type: "answer", sdp: answer.sdp ?? "" });
  }

  #open(id: string, offerer: boolean): Peer {
    const connection = new RTCPeerConnection({ iceServers: [] });
    const peer: Peer = { connection, pending: [], polite: this.options.selfId > id, makingOffer: false, ignoreOffer: false, transceivers: {} };
    this.#peers.set(id, peer);
    if (offerer) {
      // The offer carries both kinds whatever this side sends now, so the other side can answer with its own.
      const mic = this.options.localStream;
      const micTrack = mic?.getAudioTracks()[0];
      peer.transceivers.audio =
        mic && micTrack
          ? connection.addTransceiver(micTrack, { direction: "sendrecv", streams: [mic] })
          : connection.addTransceiver("audio", { direction: "recvonly" });
      const camera = this.#camera;
      peer.transceivers.video = camera
        ? connection.addTransceiver(camera.track, { direction: "sendrecv", streams: [camera.stream] })
        : connection.addTransceiver("video", { direction: "recvonly" });
    }
    connection.onnegotiationneeded = () => {
      void this.#offer(id, peer).catch((error: unknown) => console.warn(`offer to ${id} failed`, error));
    };
    connection.onicecandidate = (event) => {
      if (event.candidate && this.#peers.get(id) === peer) this.options.send({ to: id, type: "ice_candidate", candidate: event.candidate.toJSON() });
    };
    connection.ontrack = (event) => {
      if (this.#peers.get(id) !== peer) return;
      if (event.track.kind === "video") this.options.onRemoteVideo(id, event.track);
      else this.options.onRemoteStream(id, event.streams[0] ?? new MediaStream([event.track]));
    };
    connection.onconnectionstatechange = () => this.options.onChange();
    return peer;
  }

  /** Offers (a new call, or a renegotiation); a state that is not stable means an exchange is under way: it re-fires. */
  async #offer(id: string, peer: Peer): Promise<void> {
    const connection = peer.connection;
    if (this.#peers.get(id) !== peer || connection.signalingState !== "stable") return;
    try {
      peer.makingOffer = true;
      const offer = await connection.createOffer();
      if (connection.signalingState !== "stable") return;
      await connection.setLocalDescription(offer);
      this.options.send({ to: id, type: "offer", sdp: offer.sdp ?? "" });
    } finally {
      peer.makingOffer = false;
    }
  }

  /** The answering side: takes the offered audio and video transceivers as its own and sends on them what it has. */
  async #adoptTransceivers(peer: Peer): Promise<void> {
    for (const transceiver of peer.connection.getTransceivers()) {
      const kind = transceiver.receiver.track.kind;
      if ((kind !== "audio" && kind !== "video") || transceiver.mid === null || transceiver.currentDirection === "stopped") continue;
      if (peer.transceivers[kind] !== undefined) continue;
      peer.transceivers[kind] = transceiver;
      if (kind === "audio") {
        const mic = this.options.localStream;
        const micTrack = mic?.getAudioTracks()[0];
        if (mic && micTrack) {
          await transceiver.sender.replaceTrack(micTrack);
          transceiver.sender.setStreams?.(mic);
          transceiver.direction = "sendrecv";
        } else {
          transceiver.direction = "recvonly";
        }
      }
    }
    await this.#applyCamera(peer);
  }

  /** Puts the camera (or none) on the call's video sender; a changed direction renegotiates the call. */
  async #applyCamera(peer: Peer): Promise<void> {
    const transceiver = peer.transceivers.video;
    if (transceiver === undefined || peer.connection.signalingState === "closed") return;
    const camera = this.#camera;
    await transceiver.sender.replaceTrack(camera?.track ?? null);
    if (camera !== null) transceiver.sender.setStreams?.(camera.stream);
    const direction: RTCRtpTransceiverDirection = camera === null ? "recvonly" : "sendrecv";
    if (transceiver.direction !== direction) transceiver.direction = direction;
  }

  #drop(id: string, peer: Peer): void {
    peer.connection.close();
    this.#peers.delete(id);
    this.options.onRemoteVideo(id, null);
  }
}
