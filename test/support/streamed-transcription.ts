import type { InferencePoolService } from "../../src/inference/pool-service.js";
import { MODEL_SAMPLE_RATE, type PoolOutput, type SampleRate, type StageTimings } from "../../src/inference/pool-types.js";

/**
 * A recording streamed through a pool as a room streams a participant: one StreamAudio session, one stream, 16-bit
 * PCM in `chunkMs` messages with increasing seqs, then a close; the transcripts are what the pool emits until the
 * stream's `closed`. Pool level (InferencePoolService.openAudioSession), so it serves the in-process pool and the
 * gRPC client alike.
 */
export interface StreamRecordingOptions {
  sampleRate: SampleRate;
  /** Audio per message (a browser sends 20 ms). */
  chunkMs: number;
  /**
   * Audio ms sent per wall-clock ms: 1 is a live microphone; more sends faster (the pool applies a stream's chunks in
   * order whatever the pace, and bounds its backlog at 30 s, so any pace inside that gives the same cuts).
   */
  speed: number;
  /** Silence streamed before the recording: speech then starts off the VAD's 32 ms chunk grid, as in a room. */
  leadInMs: number;
  /** Silence streamed after it, before the close. */
  tailMs: number;
  /** Gives up (rejects) when the stream has not closed this long after the last chunk. */
  closeTimeoutMs: number;
}

export const DEFAULT_STREAM_RECORDING_OPTIONS: StreamRecordingOptions = {
  sampleRate: MODEL_SAMPLE_RATE,
  chunkMs: 20,
  speed: 10,
  leadInMs: 0,
  tailMs: 0,
  closeTimeoutMs: 60_000,
};

export interface StreamedSegment {
  text: string;
  /** Offsets in the recording (the lead-in taken off). */
  startMs: number;
  endMs: number;
  timings: StageTimings;
}

export interface StreamedTranscript {
  /** Every non-empty transcript, in the order the pool emitted them, joined by spaces. */
  text: string;
  segments: StreamedSegment[];
  /** Every transcript output, interims (`final: false`) included, in the order the pool emitted them, as emitted. */
  outputs: Extract<PoolOutput, { kind: "transcript" }>[];
  /** `error` outputs of the stream (none expected): a refused chunk or a dropped utterance costs words. */
  errors: { code: string; message: string }[];
  /** First chunk sent → `closed`. */
  wallMs: number;
}

export async function streamRecording(
  pool: InferencePoolService,
  pcm16: Uint8Array,
  options: Partial<StreamRecordingOptions> = {},
): Promise<StreamedTranscript> {
  const o = { ...DEFAULT_STREAM_RECORDING_OPTIONS, ...options };
  const bytesPerMs = (o.sampleRate * 2) / 1000;
  const audio = new Uint8Array(Math.round(o.leadInMs * bytesPerMs) + pcm16.byteLength + Math.round(o.tailMs * bytesPerMs));
  audio.set(pcm16, Math.round(o.leadInMs * bytesPerMs));
  const chunkBytes = Math.max(2, Math.round(o.chunkMs * bytesPerMs) & ~1);
  const streamId = "recording";
  const segments: StreamedSegment[] = [];
  const outputs: StreamedTranscript["outputs"] = [];
  const errors: StreamedTranscript["errors"] = [];
  let closed: () => void = () => undefined;
  const whenClosed = new Promise<void>((resolve) => (closed = resolve));
  const session = pool.openAudioSession((output: PoolOutput) => {
    if (output.kind === "transcript") outputs.push(output);
    // Finals only: interim captions are replaced by them.
    if (output.kind === "transcript" && output.final && output.text !== "") {
      segments.push({ text: output.text, startMs: output.startMs - o.leadInMs, endMs: output.endMs - o.leadInMs, timings: output.timings });
    } else if (output.kind === "error") {
      errors.push({ code: output.code, message: output.message });
    } else if (output.kind === "closed") {
      closed();
    }
  });
  const startedMs = performance.now();
  try {
    session.open({ streamId, sessionId: "streamed-transcription", participantId: "speaker", sampleRate: o.sampleRate });
    let seq = 0;
    for (let offset = 0; offset < audio.byteLength; offset += chunkBytes) {
      seq += 1;
      session.chunk(streamId, seq, audio.subarray(offset, Math.min(audio.byteLength, offset + chunkBytes)));
      // Pacing: ahead of `speed` × real time, wait; otherwise still yield now and then so the VAD's results land.
      const aheadMs = (offset + chunkBytes) / bytesPerMs / o.speed - (performance.now() - startedMs);
      if (aheadMs >= 1) await new Promise((resolve) => setTimeout(resolve, aheadMs));
      else if (seq % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    session.close(streamId);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`stream not closed within ${o.closeTimeoutMs} ms`)), o.closeTimeoutMs);
    });
    await Promise.race([whenClosed, timeout]).finally(() => clearTimeout(timer));
  } finally {
    session.end();
  }
  return { text: segments.map((s) => s.text).join(" "), segments, outputs, errors, wallMs: performance.now() - startedMs };
}
