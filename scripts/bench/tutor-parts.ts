import type { TurnSample } from "./tutor-student.js";
import { LONG_REPLY, QUESTIONS, llmPaceToFirstSentenceMs } from "./tutor-script.js";

/**
 * One turn's voice-to-voice time split into its parts (ms). t0 is when the student's last voiced frame was sent,
 * the end of its speech (the microphone streams in real time); every client time is on the student's clock, every
 * engine time is the engine's own record of the turn. Parts that need the pool's figures for the utterance are null
 * when another utterance fell between the scrapes around it (several sessions).
 */
export interface TurnParts {
  /** t0 → the turn's first `tutor.audio` received. */
  total_ms: number;
  /** Everything but the LLM: total − llm_first_sentence_ms. */
  engine_share_ms: number;
  /** t0 → the student's final `transcript` received: VAD end of turn + ASR + its delivery. */
  to_transcript_ms: number;
  /** t0 → the pool cut the utterance: the end-of-turn silence, 32 ms VAD chunks, VAD batching (to_transcript − speech_end_to_transcript). */
  vad_end_of_turn_ms: number | null;
  asr_queue_ms: number | null;
  asr_run_ms: number | null;
  /** ASR result → transcript broadcast: pool → engine gRPC and the room (speech_end_to_transcript − queue − run). */
  transcript_delivery_ms: number | null;
  /** The turn's start (the machine's `reply.start`) → the LLM's first token / first complete sentence. */
  llm_first_token_ms: number | null;
  llm_first_sentence_ms: number;
  /** The stand-in's own pace to that sentence ((words + 1) × interval): the rest is the request's cost. */
  llm_pace_ms: number;
  /** The first sentence's synthesis (pool `Synthesize`, from the call to its audio). */
  tts_first_sentence_ms: number;
  /**
   * Transcript received → first audio received, less LLM and TTS: the transcript's turn into `reply.start` (session
   * machine), the synthesis call's hop, the audio's send and the WebSocket hops (the audio's less the transcript's).
   */
  reply_delivery_ms: number;
  /** transcript_delivery + reply_delivery: every hop between the stages. */
  delivery_ms: number | null;
}

export const PART_NAMES = [
  "total_ms",
  "engine_share_ms",
  "to_transcript_ms",
  "vad_end_of_turn_ms",
  "asr_queue_ms",
  "asr_run_ms",
  "transcript_delivery_ms",
  "llm_first_token_ms",
  "llm_first_sentence_ms",
  "llm_pace_ms",
  "tts_first_sentence_ms",
  "reply_delivery_ms",
  "delivery_ms",
] as const satisfies readonly (keyof TurnParts)[];

/** The parts of a measured turn; null when it was not measured to its first audio, or its record lacks the timings. */
export function turnParts(sample: TurnSample, tokenIntervalMs: number): TurnParts | null {
  const total = sample.firstAudioAfterMs;
  const toTranscript = sample.transcriptAfterMs;
  const llm = sample.timings?.llm_first_sentence_ms;
  const tts = sample.timings?.tts_first_sentence_ms;
  if (sample.problem !== null || total === null || toTranscript === null || llm === undefined || tts === undefined) return null;
  const replyDelivery = total - toTranscript - llm - tts;
  const pool = sample.pool;
  const transcriptDelivery = pool === null ? null : pool.speechEndToTranscriptMs - pool.asrQueueMs - pool.asrRunMs;
  return {
    total_ms: round(total),
    engine_share_ms: round(total - llm),
    to_transcript_ms: round(toTranscript),
    vad_end_of_turn_ms: pool === null ? null : round(toTranscript - pool.speechEndToTranscriptMs),
    asr_queue_ms: pool?.asrQueueMs ?? null,
    asr_run_ms: pool?.asrRunMs ?? null,
    transcript_delivery_ms: transcriptDelivery === null ? null : round(transcriptDelivery),
    llm_first_token_ms: sample.timings?.llm_first_token_ms ?? null,
    llm_first_sentence_ms: llm,
    llm_pace_ms: llmPaceToFirstSentenceMs(replyOf(sample), tokenIntervalMs),
    tts_first_sentence_ms: tts,
    reply_delivery_ms: round(replyDelivery),
    delivery_ms: transcriptDelivery === null ? null : round(transcriptDelivery + replyDelivery),
  };
}

/** What the stand-in answered to the sample's question (the bench's script). */
function replyOf(sample: TurnSample): string {
  if (sample.longReply) return LONG_REPLY;
  return QUESTIONS.find((question) => question.text === sample.text)?.reply ?? "";
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
