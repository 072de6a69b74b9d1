import type { ExpressionMessage, NoFaceMessage } from "../../src/protocol/server-messages.js";
import { badgeText, isExpressionName, type Analysis } from "./badge-text.js";

/** What a tile shows of its participant (the room state's slice; `faces` is absent until a first analysed frame). */
export interface TileParticipant {
  id: string;
  name: string;
  role: string;
  connected: boolean;
  faces?: number | undefined;
  expression?: string | undefined;
}

interface Tile {
  element: HTMLElement;
  video: HTMLVideoElement;
  name: HTMLElement;
  off: HTMLElement;
  badge: HTMLElement;
  noFace: HTMLElement;
  /** The video shown: the local camera for this page's own tile, the call's remote track for the others. */
  track: MediaStreamTrack | null;
  /** The remote track once seen live: its muting then means the camera was turned off (before, it may still start). */
  seenLive: boolean;
  /** Removes the listeners on `track`. */
  detach: AbortController | null;
  analysis: Analysis | null;
  /** A `no_face` came and no face has been seen since. */
  absent: boolean;
}

/**
 * One video tile per participant who may film (observers do not): their camera (this page's own preview, or the
 * WebRTC call's video track), "Camera off" without one, and the expression badge and "no face" notice of the engine's
 * analysis, from the room state and the `expression` and `no_face` messages.
 */
export class Tiles {
  readonly #container: HTMLElement;
  readonly #tiles = new Map<string, Tile>();
  /** Remote tracks by participant: a track can arrive before the state patch that lists its participant. */
  readonly #remote = new Map<string, MediaStreamTrack>();
  #selfId = "";
  #local: MediaStream | null = null;

  constructor(container: HTMLElement) {
    this.#container = container;
  }

  /** Adds, renames and removes tiles to match the participants; the analysis in the state updates each badge. */
  sync(participants: readonly TileParticipant[], selfId: string): void {
    this.#selfId = selfId;
    const shown = participants.filter((p) => p.connected && p.role !== "observer");
    const ids = new Set(shown.map((p) => p.id));
    for (const [id, tile] of this.#tiles) {
      if (!ids.has(id)) {
        tile.detach?.abort();
        tile.video.srcObject = null;
        tile.element.remove();
        this.#tiles.delete(id);
      }
    }
    shown.forEach((participant, index) => {
      const tile = this.#tiles.get(participant.id) ?? this.#create(participant.id);
      tile.name.textContent = `${participant.name || participant.id}${participant.id === selfId ? " (you)" : ""}`;
      if (participant.faces !== undefined) {
        const expression = participant.expression !== undefined && isExpressionName(participant.expression) ? participant.expression : null;
        this.#analysed(tile, { faces: participant.faces, expression });
      }
      // In the participants' order, moving only a tile out of place (a moved video element may pause).
      const here = this.#container.children[index] ?? null;
      if (here !== tile.element) {
        this.#container.insertBefore(tile.element, here);
        if (tile.video.srcObject !== null) void tile.video.play().catch(() => {});
      }
      this.#render(participant.id, tile);
    });
  }

  /** This page's camera preview (null: camera off). */
  setLocalVideo(stream: MediaStream | null): void {
    this.#local = stream;
    const tile = this.#tiles.get(this.#selfId);
    if (tile !== undefined) {
      if (stream === null) tile.absent = false;
      this.#render(this.#selfId, tile);
    }
  }

  /** A participant's video track from the call, or null when the call is gone. */
  setRemoteVideo(participantId: string, track: MediaStreamTrack | null): void {
    if (track === null) this.#remote.delete(participantId);
    else this.#remote.set(participantId, track);
    const tile = this.#tiles.get(participantId);
    if (tile !== undefined) this.#render(participantId, tile);
  }

  expression(message: ExpressionMessage): void {
    const tile = this.#tiles.get(message.participant_id);
    if (tile === undefined) return;
    this.#analysed(tile, { faces: message.faces, expression: message.expression });
    this.#render(message.participant_id, tile);
  }

  noFace(message: NoFaceMessage): void {
    const tile = this.#tiles.get(message.participant_id);
    if (tile === undefined) return;
    tile.absent = true;
    this.#render(message.participant_id, tile);
  }

  #analysed(tile: Tile, analysis: Analysis): void {
    tile.analysis = analysis;
    if (analysis.faces > 0) tile.absent = false;
  }

  #create(id: string): Tile {
    const element = document.createElement("figure");
    element.className = "tile";
    element.dataset["testid"] = "video-tile";
    element.dataset["id"] = id;
    const video = document.createElement("video");
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    const off = document.createElement("p");
    off.className = "camera-off";
    off.dataset["testid"] = "camera-off";
    off.textContent = "Camera off";
    const caption = document.createElement("figcaption");
    const name = document.createElement("span");
    name.dataset["testid"] = "tile-name";
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.dataset["testid"] = "expression-badge";
    caption.append(name, " ", badge);
    const noFace = document.createElement("p");
    noFace.className = "no-face";
    noFace.dataset["testid"] = "no-face";
    noFace.setAttribute("role", "status");
    element.append(video, off, caption, noFace);
    const tile: Tile = { element, video, name, off, badge, noFace, track: null, seenLive: false, detach: null, analysis: null, absent: false };
    this.#tiles.set(id, tile);
    return tile;
  }

  /** Shows the tile's video (or "Camera off"), its badge and its notice as they now stand. */
  #render(id: string, tile: Tile): void {
    const self = id === this.#selfId;
    tile.element.toggleAttribute("data-self", self);
    const track = self ? (this.#local?.getVideoTracks()[0] ?? null) : (this.#remote.get(id) ?? null);
    if (track !== tile.track) this.#attach(id, tile, track);
    const live = track !== null && track.readyState === "live" && (self || !track.muted);
    if (live) tile.seenLive = true;
    // Known off: this page's camera is off, or a remote camera that was on is muted or ended (the call turned it off).
    const knownOff = self ? track === null : track !== null ? !live && tile.seenLive : false;
    tile.element.dataset["video"] = live ? "on" : "off";
    tile.video.hidden = !live;
    tile.off.hidden = live;
    tile.video.setAttribute("aria-label", `${tile.name.textContent ?? id}: camera`);
    const analysis = knownOff ? null : tile.analysis;
    tile.badge.hidden = analysis === null;
    if (analysis === null) {
      tile.badge.replaceChildren();
      delete tile.badge.dataset["faces"];
      delete tile.badge.dataset["expression"];
    } else {
      tile.badge.textContent = badgeText(analysis);
      tile.badge.dataset["faces"] = String(analysis.faces);
      tile.badge.dataset["expression"] = analysis.expression ?? "";
    }
    const absent = tile.absent && !knownOff;
    tile.noFace.hidden = !absent;
    tile.noFace.textContent = absent ? (self ? "No face in view: move into the camera's view." : "No face in view") : "";
  }

  #attach(id: string, tile: Tile, track: MediaStreamTrack | null): void {
    tile.detach?.abort();
    tile.detach = null;
    tile.track = track;
    tile.seenLive = false;
    tile.video.srcObject = track === null ? null : new MediaStream([track]);
    if (track === null) return;
    const rerender = () => {
      const current = this.#tiles.get(id);
      if (current !== undefined) this.#render(id, current);
    };
    tile.detach = new AbortController();
    for (const event of ["mute", "unmute", "ended"]) track.addEventListener(event, rerender, { signal: tile.detach.signal });
    void tile.video.play().catch(() => {});
  }
}
