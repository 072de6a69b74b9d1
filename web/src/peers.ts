import type { SignalMessage } from "../../src/protocol/client-messages.js";
import type { RelayedSignalMessage } from "../../src/protocol/server-messages.js";

/** A `signal` as the engine delivers it (`from` set by the server). */
export type IncomingSignal = RelayedSignalMessage;
export type OutgoingSignal = SignalMessage;

interface Peer {
  connection: RTCPeerConnection;
  /** Candidates that arrived before the remote description. */
  pending: RTCIceCandidateInit[];
}

export interface PeerMeshOptions {
  selfId: string;
  localStream: MediaStream | null;
  send(signal: OutgoingSignal): void;
  onRemoteStream(peerId: string, stream: MediaStream): void;
  onChange(): void;
}

/**
 * One RTCPeerConnection per other participant, signalled through the engine's `signal` relay. The participant with the
 * lexicographically smaller id offers, so exactly one side starts each call. No STUN/TURN: host candidates only.
 */
export class PeerMesh {
  readonly #peers = new Map<string, Peer>();

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
        peer?.connection.close();
        this.#peers.delete(id);
      } else if (peer === undefined && this.options.selfId < id) {
        void this.#offer(id, this.#open(id));
      }
    }
    this.options.onChange();
  }

  states(): { id: string; state: RTCPeerConnectionState }[] {
    return [...this.#peers].map(([id, peer]) => ({ id, state: peer.connection.connectionState }));
  }

  async receive(signal: IncomingSignal): Promise<void> {
    if (signal.type === "offer" && signal.sdp !== undefined) {
      // A renewed offer (the other side reconnected) replaces the old call.
      this.#peers.get(signal.from)?.connection.close();
      this.#peers.delete(signal.from);
      const peer = this.#open(signal.from);
      await peer.connection.setRemoteDescription({ type: "offer", sdp: signal.sdp });
      await this.#flush(peer);
      const answer = await peer.connection.createAnswer();
      await peer.connection.setLocalDescription(answer);
      this.options.send({ to: signal.from, type: "answer", sdp: answer.sdp ?? "" });
      return;
    }
    const peer = this.#peers.get(signal.from);
    if (peer === undefined) return;
    if (signal.type === "answer" && signal.sdp !== undefined) {
      await peer.connection.setRemoteDescription({ type: "answer", sdp: signal.sdp });
      await this.#flush(peer);
    } else if (signal.type === "ice_candidate" && signal.candidate !== undefined) {
      if (peer.connection.remoteDescription === null) peer.pending.push(signal.candidate);
      else await peer.connection.addIceCandidate(signal.candidate);
    }
  }

  close(): void {
    for (const peer of this.#peers.values()) peer.connection.close();
    this.#peers.clear();
    this.options.onChange();
  }

  #open(id: string): Peer {
    const connection = new RTCPeerConnection({ iceServers: [] });
    const peer: Peer = { connection, pending: [] };
    this.#peers.set(id, peer);
    const stream = this.options.localStream;
    const track = stream?.getAudioTracks()[0];
    if (stream && track) connection.addTrack(track, stream);
    else connection.addTransceiver("audio", { direction: "recvonly" });
    connection.onicecandidate = (event) => {
      if (event.candidate) this.options.send({ to: id, type: "ice_candidate", candidate: event.candidate.toJSON() });
    };
    connection.ontrack = (event) => {
      this.options.onRemoteStream(id, event.streams[0] ?? new MediaStream([event.track]));
    };
    connection.onconnectionstatechange = () => this.options.onChange();
    return peer;
  }

  async #offer(to: string, peer: Peer): Promise<void> {
    const offer = await peer.connection.createOffer();
    await peer.connection.setLocalDescription(offer);
    this.options.send({ to, type: "offer", sdp: offer.sdp ?? "" });
  }

  async #flush(peer: Peer): Promise<void> {
    for (const candidate of peer.pending.splice(0)) await peer.connection.addIceCandidate(candidate);
  }
}
