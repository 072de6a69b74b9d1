import { POOL_ERROR_CODE_LIST, type PoolErrorCode } from "../protocol/error-codes.js";

/**
 * The vocabulary between rooms and the inference pool. The wire form is `proto/inference.proto`; these are the
 * in-process shapes both sides of the gRPC boundary convert to. Kept general (stream ids, typed results) so video
 * and other task kinds can join later.
 */

import type { SampleRate } from "../protocol/client-messages.js";

/**
 * Audio the pool keeps before and after each utterance's speech for Whisper (its segmenter's default padding): a
 * transcript segment's bounds span the speech plus this much each side. Silero fires ~100–200 ms into a word, so a
 * generous pre-roll keeps the first word whole.
 */
export const UTTERANCE_PADDING_MS = 300;

export { SUPPORTED_SAMPLE_RATES, type SampleRate } from "../protocol/client-messages.js";

/** Longest recording transcribed in one request: the pool refuses longer ones, the API before decoding them. */
export const MAX_RECORDING_MS = 10 * 60_000;

/** The models' rate: all audio is resampled to it on arrival. */
export const MODEL_SAMPLE_RATE = 16_000;

/** Error codes the pool answers with, each bound to one stream or job (the engine's error table, surface `pool`). */
export const POOL_ERROR_CODES = POOL_ERROR_CODE_LIST;
export type { PoolErrorCode };

/** The pool code an error carries (`code` field), or `internal`. */
export function poolErrorCodeOf(error: unknown): PoolErrorCode {
  if (error === null || typeof error !== "object" || !("code" in error)) return "internal";
  const code = error.code;
  return POOL_ERROR_CODES.find((known) => known === code) ?? "internal";
}

/**
 * Optional stages a stream may ask for at open, run on its 16 kHz audio before the VAD (VAD → segmentation → ASR
 * always run). Each is a registry task: `denoise` is RNNoise noise suppression. A later stage is one more name here.
 */
export const AUDIO_STAGES = ["denoise"] as const;
export type AudioStage = (typeof AUDIO_STAGES)[number];

export function isAudioStage(name: string): name is AudioStage {
  return (AUDIO_STAGES as readonly string[]).includes(name);
}

export interface StreamOpen {
  streamId: string;
  sessionId: string;
  participantId: string;
  sampleRate: SampleRate;
  tutorId?: string;
  /** Where the stream's first sample sits in the sender's timeline; added to every reported offset. */
  offsetMs?: number;
  /**
   * The optional stages this stream asks for (none when unset). One whose model is not loaded refuses the stream:
   * a `model_unavailable` error for it, its audio dropped, its close still answered `closed`.
   */
  stages?: readonly AudioStage[];
  /** This stream's turn-taking; the pool's defaults where unset. */
  vad?: StreamVad;
}

/** A stream's own speech detection settings (a tutor profile's `turn`): the student's turn ends when they stop. */
export interface StreamVad {
  /** Speech probability at or above which a chunk starts speech. */
  speechThreshold?: number;
  /** Silence that ends an utterance. */
  endOfTurnSilenceMs?: number;
}

export const STREAM_VAD_LIMITS = { speechThreshold: { min: 0.1, max: 0.95 }, endOfTurnSilenceMs: { min: 200, max: 3_000 } } as const;

/** Milliseconds spent in each stage of one utterance, end of speech → transcript. */
export interface StageTimings {
  /** End of speech detected → ASR job started (queue wait). */
  queueMs: number;
  /** The ASR model run. */
  asrMs: number;
  /** End of speech detected → transcript emitted. */
  totalMs: number;
}

export type PoolOutput =
  | { kind: "speech"; streamId: string; event: "started" | "ended"; atMs: number }
  | {
      kind: "transcript";
      streamId: string;
      segmentId: string;
      text: string;
      /** Offsets in the stream's audio (ms since its first sample). */
      startMs: number;
      endMs: number;
      final: boolean;
      timings: StageTimings;
    }
  /** `segmentId`: the utterance whose final transcript this failure stands for (absent for other errors). */
  | { kind: "error"; streamId: string; code: PoolErrorCode; message: string; segmentId?: string }
  /** After `close`: the stream's last utterance has been transcribed (or failed); nothing more will come for it. */
  | { kind: "closed"; streamId: string };

export interface TranscriptSegment {
  text: string;
  startMs: number;
  endMs: number;
}

export interface TranscribeResult {
  text: string;
  segments: TranscriptSegment[];
  durationMs: number;
  timings: { vadMs: number; asrMs: number; totalMs: number };
}

/** Speech synthesis (the pool's `tts` model): what a request may ask for. One sentence a request: it does not stream. */
export const SYNTHESIS_LIMITS = { maxTextChars: 1_000, minRateWpm: 80, maxRateWpm: 450 } as const;
export const SYNTHESIS_DEFAULTS = { voice: "en-us", rateWpm: 175 } as const;

export interface SynthesisRequest {
  /** 1–1,000 characters once trimmed (`invalid_text` otherwise): one sentence; split longer replies. */
  text: string;
  /** A voice id of the synthesizer (`en-us`, `en-gb`, `en-gb-x-rp`), a variant after `+` (`en-us+f3`); default en-us. */
  voice?: string;
  /** Speaking rate in words a minute, 80–450; default 175. */
  rateWpm?: number;
  /** A later sentence of a reply already speaking: queued behind every reply's first sentence. */
  continuation?: boolean;
}

export interface SynthesisResult {
  /** 16-bit mono samples at `sampleRate`. */
  pcm16: Int16Array;
  sampleRate: number;
  durationMs: number;
  /** Request received → synthesis started (queue wait); the synthesis itself; received → answered. */
  timings: { queueMs: number; synthMs: number; totalMs: number };
}

export interface SynthesisOptions {
  /** Aborting drops the request: still queued, it never runs; running, its result is discarded (`AbortedError`). */
  signal?: AbortSignal;
}

/** The 7 classes of the facial-expression model, in its output order (named once, in the wire protocol). */
export { EXPRESSION_NAMES as EXPRESSIONS, type ExpressionName as Expression } from "../protocol/server-messages.js";
import type { ExpressionName as Expression } from "../protocol/server-messages.js";

export interface VideoStreamOpen {
  streamId: string;
  sessionId: string;
  participantId: string;
}

/** One face of a frame: its box in the frame's pixels, the detector's confidence, and its expression. */
export interface FrameFace {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  expression: Expression;
  /** Every expression's score, summing to 1. */
  scores: Record<Expression, number>;
}

/** Milliseconds of one frame's stages, frame received → answer. */
export interface FrameTimings {
  queueMs: number;
  decodeMs: number;
  detectMs: number;
  expressionMs: number;
  totalMs: number;
}

export type VideoOutput =
  /** The faces of one frame, best first (none is an answer too); `atMs` is the frame's capture time. */
  | { kind: "faces"; streamId: string; seq: number; atMs: number; faces: FrameFace[]; timings: FrameTimings }
  /** Replaced by a newer frame of its stream before its analysis started. */
  | { kind: "dropped"; streamId: string; seq: number }
  | { kind: "error"; streamId: string; code: PoolErrorCode; message: string }
  /** After `close`: the frame in analysis (if any) has been answered; nothing more will come for the stream. */
  | { kind: "closed"; streamId: string };
