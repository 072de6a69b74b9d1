import type { PoolOutput, StreamOpen, TranscribeResult } from "./pool-types.js";

/** One StreamAudio call: the participant streams of one room. Problems come back as `error` outputs, never throws. */
export interface AudioSessionHandle {
  open(open: StreamOpen): void;
  chunk(streamId: string, seq: number, pcm16: Uint8Array): void;
  close(streamId: string): void;
  /** The call ended: free every stream it opened (their pending utterances are still transcribed, not emitted). */
  end(): void;
}

export interface ModelState {
  name: string;
  loaded: boolean;
  error: string | null;
}

/** A bucket of a histogram the pool keeps since it started: values in (previous `le`, `le`]; not cumulative. */
export interface HistogramBucket {
  le: number;
  count: number;
}

export interface PoolStatusView {
  models: ModelState[];
  executionProvider: string;
  openStreams: number;
  vadPending: number;
  vad: {
    batches: number;
    items: number;
    meanBatchSize: number;
    maxBatchSize: number;
    sizeBuckets: HistogramBucket[];
    /** Model run time per batch (ms), failed runs included. */
    runMsTotal: number;
    runMsBuckets: HistogramBucket[];
  };
  asr: { queuedLive: number; queuedFile: number; running: number; completed: number; rejectedOverloaded: number; rejectedDeadline: number };
  /** Counted by the pool's gRPC server (zero in the pool's own in-process view, which no server stands in front of). */
  server: { handlerFaults: number; unauthenticatedCalls: number; malformedMessages: number };
}

/** What the gRPC server exposes: the pool as seen by one process, whatever models it could load. */
export interface InferencePoolService {
  openAudioSession(emit: (output: PoolOutput) => void): AudioSessionHandle;
  /** A whole recording at `sampleRate` (16-bit PCM); throws `PoolError` (model_unavailable, recording_too_long, ...). */
  transcribe(pcm16: Uint8Array, sampleRate: number): Promise<TranscribeResult>;
  status(): PoolStatusView;
  close(): Promise<void>;
}
