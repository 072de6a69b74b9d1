import { MAX_VIDEO_MESSAGE_BYTES } from "../../src/protocol/client-messages.js";
import { fitFrame, frameIntervalMs } from "./frame-size.js";

/** What the page asks of the camera: a modest size is plenty for expression analysis and cheap to encode. */
const CAMERA_CONSTRAINTS: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" };

/** Encodings tried in turn until a frame fits MAX_VIDEO_MESSAGE_BYTES (the first almost always does). */
const ENCODINGS: readonly { scale: number; quality: number }[] = [
  { scale: 1, quality: 0.8 },
  { scale: 1, quality: 0.6 },
  { scale: 0.75, quality: 0.6 },
  { scale: 0.5, quality: 0.5 },
];

/** A drawing surface that encodes JPEG: an OffscreenCanvas where the browser has one, else a detached canvas. */
interface Surface {
  draw(source: HTMLVideoElement, width: number, height: number): void;
  jpeg(quality: number): Promise<Blob>;
}

function createSurface(): Surface {
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(1, 1);
    const context = canvas.getContext("2d");
    if (context !== null) {
      return {
        draw(source, width, height) {
          canvas.width = width;
          canvas.height = height;
          context.drawImage(source, 0, 0, width, height);
        },
        jpeg: (quality) => canvas.convertToBlob({ type: "image/jpeg", quality }),
      };
    }
  }
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d");
  if (context === null) throw new Error("no 2D canvas to encode camera frames");
  return {
    draw(source, width, height) {
      canvas.width = width;
      canvas.height = height;
      context.drawImage(source, 0, 0, width, height);
    },
    jpeg: (quality) =>
      new Promise((resolve, reject) =>
        canvas.toBlob((blob) => (blob === null ? reject(new Error("the canvas encoded no JPEG")) : resolve(blob)), "image/jpeg", quality),
      ),
  };
}

export interface CameraOptions {
  /** Frames a second to send (clamped to 1…MAX_VIDEO_FPS, paced a little under). */
  fps: number;
  /** One JPEG frame, at most MAX_VIDEO_MESSAGE_BYTES and within the frame limit. */
  onFrame(jpeg: Uint8Array): void;
}

export interface Camera {
  /** The camera's stream (one video track): the local preview and the WebRTC calls show it. */
  readonly stream: MediaStream;
  readonly track: MediaStreamTrack;
  /** The rate frames are sent at now. */
  readonly fps: number;
  setFps(fps: number): void;
  /** Stops the track and the frame loop; no frame is handed over after it. */
  stop(): void;
}

/** Opens the camera and hands JPEG frames of it to `onFrame` at `fps`, until stopped (or the track ends). */
export async function openCamera(options: CameraOptions): Promise<Camera> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: CAMERA_CONSTRAINTS, audio: false });
  const track = stream.getVideoTracks()[0];
  if (track === undefined) {
    for (const other of stream.getTracks()) other.stop();
    throw new DOMException("the camera gave no video track", "NotFoundError");
  }
  // A detached, muted element the frames are drawn from: the preview tile may be re-rendered or hidden.
  const source = document.createElement("video");
  source.muted = true;
  source.playsInline = true;
  source.srcObject = stream;
  try {
    await source.play();
  } catch (error) {
    track.stop();
    throw error;
  }
  return new CameraCapture(stream, track, source, options);
}

class CameraCapture implements Camera {
  readonly stream: MediaStream;
  readonly track: MediaStreamTrack;
  readonly #source: HTMLVideoElement;
  readonly #surface = createSurface();
  readonly #onFrame: (jpeg: Uint8Array) => void;
  #fps: number;
  #lastSentMs = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(stream: MediaStream, track: MediaStreamTrack, source: HTMLVideoElement, options: CameraOptions) {
    this.stream = stream;
    this.track = track;
    this.#source = source;
    this.#onFrame = options.onFrame;
    this.#fps = options.fps;
    track.addEventListener("ended", () => this.stop());
    this.#schedule(0);
  }

  get fps(): number {
    return this.#fps;
  }

  setFps(fps: number): void {
    this.#fps = fps;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.track.stop();
    this.#source.srcObject = null;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), delayMs);
  }

  /** One frame, then the next no sooner than one interval after the last one sent (encoding time included). */
  async #tick(): Promise<void> {
    try {
      const jpeg = await this.#capture();
      if (jpeg !== null && !this.#stopped) {
        this.#lastSentMs = performance.now();
        this.#onFrame(jpeg);
      }
    } catch (error) {
      console.warn("camera frame not captured", error);
    }
    const interval = frameIntervalMs(this.#fps);
    this.#schedule(Math.max(0, this.#lastSentMs + interval - performance.now()));
  }

  /** The current picture as a JPEG within the limits, or null when there is none yet (or it cannot be made small). */
  async #capture(): Promise<Uint8Array | null> {
    const video = this.#source;
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || video.videoWidth === 0 || video.videoHeight === 0) return null;
    const fitted = fitFrame(video.videoWidth, video.videoHeight);
    for (const { scale, quality } of ENCODINGS) {
      const width = Math.max(1, Math.round(fitted.width * scale));
      const height = Math.max(1, Math.round(fitted.height * scale));
      this.#surface.draw(video, width, height);
      const blob = await this.#surface.jpeg(quality);
      if (blob.size <= MAX_VIDEO_MESSAGE_BYTES) return new Uint8Array(await blob.arrayBuffer());
    }
    console.warn("camera frame skipped: over the size limit at every encoding");
    return null;
  }
}
