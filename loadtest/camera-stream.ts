import type { Room } from "@colyseus/sdk";
import { expressionMessage, noFaceMessage } from "../src/protocol/server-messages.js";
import type { ServerMessageHandlers } from "./load-client.js";
import type { CameraReport, WorkerAssignment } from "./worker-protocol.js";

/** One client of a session whose cameras are on (every participant films). */
export interface CameraMember {
  participantId: string;
  room: Room;
  handlers: ServerMessageHandlers;
}

type VideoSetup = NonNullable<WorkerAssignment["video"]>;

interface Camera {
  member: CameraMember;
  /** The session's `created_at` (wall ms): the origin of its `at_ms`, within the room's start-up time. */
  createdAtMs: number;
  /** Offset of this camera's frames inside the interval, so cameras do not send in lockstep. */
  phaseMs: number;
  /** Index of the next frame on the camera's schedule. */
  next: number;
  /** Wall-clock ms of the most recent frames sent (newest last), to match `expression` messages to. */
  sentAtMs: number[];
}

const TICK_MS = 10;
/** Frames remembered per camera: well past the 2 s heartbeat at the highest rate. */
const SENT_KEPT = 32;
/** Latency samples kept per generator process (one a camera every 2 s: 100 cameras for 30 min). */
const MAX_SAMPLES = 100_000;
/** The steady state starts this far into the stream (at most a third of it): the first frames meet cold streams. */
const VIDEO_WARM_UP_MS = 10_000;

/** Wall-clock ms from which a run's camera figures count as steady state (client and engine alike). */
export function videoSteadyFromMs(startAtMs: number, stopAtMs: number): number {
  return startAtMs + Math.min(VIDEO_WARM_UP_MS, (stopAtMs - startAtMs) / 3);
}

/**
 * A generator process's cameras: each participant sends the same JPEG every `intervalMs`, at its own phase. A camera
 * that falls behind (the generator's event loop was late) sends its next frame and skips the ones it missed, as a
 * camera capturing the newest image does; it never bursts to catch up (the room allows one second's worth).
 */
export class CameraStreams {
  readonly #video: VideoSetup;
  readonly #jpeg: Uint8Array;
  readonly #cameras: Camera[] = [];
  readonly #firstIndex: number;
  readonly #totalCameras: number;
  /** Frames sent before this are not timed (see videoSteadyFromMs). */
  #steadyFromMs = Infinity;
  readonly #report: CameraReport = {
    cameras: 0,
    frames_sent: 0,
    frames_skipped: 0,
    errors: {},
    expression_messages: 0,
    expression_with_face: 0,
    no_face_messages: 0,
    receivers: 0,
    expression_ms: [],
    expressions_warm_up: 0,
    unmatched_expressions: 0,
    max_lag_ms: 0,
  };

  constructor(video: VideoSetup, jpeg: Uint8Array, firstIndex: number, totalCameras: number) {
    this.#video = video;
    this.#jpeg = jpeg;
    this.#firstIndex = firstIndex;
    this.#totalCameras = Math.max(1, totalCameras);
  }

  /** A session's joined clients: each films, and each hears every camera of the session. */
  addSession(members: readonly CameraMember[], createdAtMs: number): void {
    for (const member of members) {
      const index = this.#firstIndex + this.#cameras.length;
      const camera: Camera = { member, createdAtMs, phaseMs: (index / this.#totalCameras) * this.#video.intervalMs, next: 0, sentAtMs: [] };
      this.#cameras.push(camera);
      this.#report.receivers += 1;
      member.handlers.expression = (raw: unknown) => {
        const message = expressionMessage.safeParse(raw);
        if (!message.success) return;
        this.#report.expression_messages += 1;
        if (message.data.faces > 0) this.#report.expression_with_face += 1;
        if (message.data.participant_id === member.participantId) this.#announced(camera, message.data.at_ms, Date.now());
      };
      member.handlers.no_face = (raw: unknown) => {
        if (noFaceMessage.safeParse(raw).success) this.#report.no_face_messages += 1;
      };
    }
    this.#report.cameras = this.#cameras.length;
  }

  /** An `error` reply about a `video` message. */
  errorReply(code: string): void {
    this.#report.errors[code] = (this.#report.errors[code] ?? 0) + 1;
  }

  get framesSent(): number {
    return this.#report.frames_sent;
  }

  get expressionsReceived(): number {
    return this.#report.expression_messages;
  }

  /** Streams every camera from `startAtMs` until `stopAtMs` (no frame is due at or after it). */
  async run(startAtMs: number, stopAtMs: number): Promise<void> {
    this.#steadyFromMs = videoSteadyFromMs(startAtMs, stopAtMs);
    if (this.#cameras.length === 0) return;
    const interval = this.#video.intervalMs;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = Date.now();
        let active = 0;
        for (const camera of this.#cameras) {
          const due = startAtMs + camera.phaseMs + camera.next * interval;
          if (due >= stopAtMs) continue;
          active += 1;
          if (now < due) continue;
          this.#report.max_lag_ms = Math.max(this.#report.max_lag_ms, now - due);
          if (camera.member.room.connection.isOpen) {
            camera.member.room.sendBytes("video", this.#jpeg);
            this.#report.frames_sent += 1;
            camera.sentAtMs.push(now);
            if (camera.sentAtMs.length > SENT_KEPT) camera.sentAtMs.shift();
          }
          // The next frame due after now: the ones the generator was too late for are skipped, not sent in a burst.
          const next = Math.max(camera.next + 1, Math.floor((now - startAtMs - camera.phaseMs) / interval) + 1);
          this.#report.frames_skipped += next - camera.next - 1;
          camera.next = next;
        }
        if (active === 0) {
          clearInterval(timer);
          resolve();
        }
      }, TICK_MS);
    });
  }

  /** The camera's own client heard its `expression`: matched to the frame sent nearest its capture time. */
  #announced(camera: Camera, atMs: number, nowMs: number): void {
    const capturedAtMs = camera.createdAtMs + atMs;
    let best = -1;
    let bestError = Infinity;
    camera.sentAtMs.forEach((sentAtMs, i) => {
      const error = Math.abs(sentAtMs - capturedAtMs);
      if (error < bestError) {
        best = i;
        bestError = error;
      }
    });
    const sentAtMs = camera.sentAtMs[best];
    if (sentAtMs === undefined || bestError > this.#video.intervalMs / 2) {
      this.#report.unmatched_expressions += 1;
      return;
    }
    // A frame is announced once: later messages match later frames.
    camera.sentAtMs.splice(0, best + 1);
    if (sentAtMs < this.#steadyFromMs) this.#report.expressions_warm_up += 1;
    else if (this.#report.expression_ms.length < MAX_SAMPLES) this.#report.expression_ms.push(nowMs - sentAtMs);
  }

  report(): CameraReport {
    return this.#report;
  }
}
