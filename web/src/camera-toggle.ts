import { DEFAULT_VIDEO_FPS } from "../../src/protocol/client-messages.js";
import type { ErrorMessage } from "../../src/protocol/server-messages.js";
import { openCamera, type Camera } from "./camera.js";
import { cameraErrorText, videoErrorText } from "./error-text.js";

export interface CameraToggleOptions {
  button: HTMLButtonElement;
  /** Where a refused camera and the engine's refusals of frames are explained. */
  problem: HTMLElement;
  /** Sends one frame as a binary `video` message (dropped while the page cannot send). */
  send(jpeg: Uint8Array): void;
  /** The camera turned on (its track and stream) or off (null): the preview and the calls follow it. */
  onCamera(camera: { track: MediaStreamTrack; stream: MediaStream } | null): void;
}

/**
 * The camera button (off by default, `aria-pressed` while on). On: opens the camera and sends JPEG frames at the
 * session's rate. The page is not told the session's `video_fps`, so it starts at DEFAULT_VIDEO_FPS and sends one
 * frame a second fewer each time the engine answers `rate_limited`. Off: stops the track and the frames.
 */
export class CameraToggle {
  readonly #options: CameraToggleOptions;
  #camera: Camera | null = null;
  #opening = false;
  #fps: number = DEFAULT_VIDEO_FPS;
  #available = false;
  /** Frames sent, over every time the camera was on: the button's `data-frames-sent` (the last one's size: `data-frame-bytes`). */
  #framesSent = 0;

  constructor(options: CameraToggleOptions) {
    this.#options = options;
    options.button.addEventListener("click", () => void this.#toggle());
    this.#show();
  }

  /** Shown and usable (a participant who may film), or hidden (an observer) or disabled (out of the session). */
  enable(enabled: boolean, visible = true): void {
    this.#available = enabled;
    this.#options.button.hidden = !visible;
    if (!enabled) this.turnOff();
    this.#show();
  }

  turnOff(): void {
    const camera = this.#camera;
    if (camera === null) return;
    this.#camera = null;
    camera.stop();
    this.#options.onCamera(null);
    this.#show();
  }

  /** The engine refused a `video` message: said in the problem area; over the rate, the page slows down. */
  refused(error: ErrorMessage): void {
    if (error.code === "rate_limited" && this.#fps > 1) {
      this.#fps -= 1;
      this.#camera?.setFps(this.#fps);
      this.#show();
    }
    this.#options.problem.textContent = videoErrorText(error);
  }

  /** A frame of this page's camera was analysed: an earlier refusal no longer holds. */
  analysed(): void {
    if (this.#camera !== null) this.#options.problem.textContent = "";
  }

  async #toggle(): Promise<void> {
    if (this.#opening || !this.#available) return;
    if (this.#camera !== null) {
      this.turnOff();
      return;
    }
    this.#opening = true;
    this.#show();
    try {
      const camera = await openCamera({
        fps: this.#fps,
        onFrame: (jpeg) => {
          this.#options.send(jpeg);
          this.#framesSent += 1;
          this.#options.button.dataset["framesSent"] = String(this.#framesSent);
          this.#options.button.dataset["frameBytes"] = String(jpeg.byteLength);
        },
      });
      if (!this.#available) {
        camera.stop();
        return;
      }
      this.#camera = camera;
      this.#options.problem.textContent = "";
      // Unplugged, or revoked in the browser's settings: the camera is off.
      camera.track.addEventListener("ended", () => {
        if (this.#camera === camera) this.turnOff();
      });
      this.#options.onCamera({ track: camera.track, stream: camera.stream });
    } catch (error) {
      this.#options.problem.textContent = cameraErrorText(error);
    } finally {
      this.#opening = false;
      this.#show();
    }
  }

  #show(): void {
    const button = this.#options.button;
    const on = this.#camera !== null;
    button.disabled = !this.#available || this.#opening;
    button.setAttribute("aria-pressed", String(on));
    button.dataset["fps"] = String(this.#fps);
    button.dataset["framesSent"] = String(this.#framesSent);
  }
}
