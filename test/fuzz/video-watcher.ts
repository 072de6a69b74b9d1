import type { ClientDuplexStream, StatusObject } from "@grpc/grpc-js";
import type { VideoIn } from "../../src/inference/grpc/generated/engine/inference/v1/VideoIn.js";
import type { VideoOut__Output } from "../../src/inference/grpc/generated/engine/inference/v1/VideoOut.js";
import type { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { waitFor } from "../support/pool-audio-call.js";

/**
 * A well-behaved camera on its own StreamVideo call while the corpus is replayed: one stream, the same face photo
 * sent a frame at a time (each awaited, then a pause), every answer kept. The replay test expects each one to be
 * `faces` with exactly one face, and the call never to end.
 */
export interface VideoWatcher {
  /** The answer to each frame sent so far, as `faces:<n>`, `dropped` or `error:<code>`. */
  readonly answers: string[];
  /** Every output of the call (for a failure message). */
  readonly received: VideoOut__Output[];
  status(): StatusObject | null;
  /** Sends one frame and resolves with its answer. */
  frameOnce(): Promise<string>;
  /** Sends frames until `stop` (each answered before the next), then resolves. */
  watch(pauseMs: number): Promise<void>;
  stop(): void;
  end(): void;
}

const STREAM = "watcher";
const ANSWER_TIMEOUT_MS = 30_000;

function answerOf(message: VideoOut__Output, seq: number): string | undefined {
  if (message.faces?.stream_id === STREAM && message.faces.seq === seq) return `faces:${message.faces.faces.length}`;
  if (message.dropped?.stream_id === STREAM && message.dropped.seq === seq) return "dropped";
  if (message.error?.stream_id === STREAM) return `error:${message.error.code}`;
  return undefined;
}

export function startVideoWatcher(client: PoolClient, jpeg: Uint8Array): VideoWatcher {
  const call: ClientDuplexStream<VideoIn, VideoOut__Output> = client.grpc.StreamVideo();
  const received: VideoOut__Output[] = [];
  const answers: string[] = [];
  const listeners = new Set<() => void>();
  let status: StatusObject | null = null;
  let seq = 0;
  let watching = true;
  call.on("data", (message: VideoOut__Output) => {
    received.push(message);
    for (const check of listeners) check();
  });
  call.on("status", (s: StatusObject) => {
    status = s;
  });
  call.on("error", () => undefined);
  call.write({ open: { stream_id: STREAM, session_id: "watch-session", participant_id: "watch-participant" } });

  const frameOnce = async (): Promise<string> => {
    seq += 1;
    const mine = seq;
    const from = received.length;
    call.write({ frame: { stream_id: STREAM, seq: mine, jpeg, captured_at_ms: mine * 500 } });
    const answer = await waitFor(
      (check) => {
        listeners.add(check);
        return () => listeners.delete(check);
      },
      () => received.slice(from).flatMap((message) => answerOf(message, mine) ?? [])[0],
      ANSWER_TIMEOUT_MS,
      `the watcher's frame ${mine}`,
    );
    answers.push(answer);
    return answer;
  };
  return {
    answers,
    received,
    status: () => status,
    frameOnce,
    async watch(pauseMs) {
      while (watching) {
        await frameOnce();
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    },
    stop() {
      watching = false;
    },
    end() {
      call.end();
    },
  };
}
