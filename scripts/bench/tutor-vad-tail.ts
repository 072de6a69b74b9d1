/**
 * Where the VAD end of turn goes, in stream time (no clocks, no engine): each of the bench's questions, as its
 * students speak them, through Silero VAD v5 one chunk at a time and the pool's segmenter with a tutor's turn
 * settings (streamSegmenter over the pool's defaults), after a lead-in of silence at several alignments to the 32 ms
 * chunk grid. For each: from the end of the last voiced 20 ms frame (the bench's t0) to the end of the chunk on
 * which the segmenter cut the utterance, and how much of that is Silero still hearing speech (its probability at or
 * above the silence threshold after the voice has stopped; and above the speech threshold, what a hangover counted
 * from there would leave). And at the start, from the first voiced frame to the chunk on which the segmenter
 * confirmed speech (`speech_started`, what a barge-in's hold starts from).
 * Usage: npx tsx scripts/bench/tutor-vad-tail.ts [end_of_turn_silence_ms …] (default 500 300)
 */
import { float32ToPcm16, pcm16ToFloat32 } from "../../src/inference/audio/pcm.js";
import { SileroVad, VAD_CHUNK_SAMPLES } from "../../src/inference/models/silero-vad.js";
import { DEFAULT_INFERENCE_POOL_OPTIONS } from "../../src/inference/pool-options.js";
import { streamSegmenter } from "../../src/inference/pool-stream.js";
import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";
import { DEFAULT_SEGMENTER_OPTIONS, SpeechSegmenter } from "../../src/inference/vad/segmenter.js";
import { DEFAULT_TUTOR_PROFILE } from "../../src/tutor/tutor-profile.js";
import { createSpeechSynthesizer } from "../../test/support/speech.js";
import { summarize } from "./latency-stats.js";
import { MIC_FRAME_MS, MIC_FRAME_SAMPLES, micUtterance } from "./tutor-microphone.js";
import { LONG_QUESTIONS, QUESTIONS, STUDENT_VOICES } from "./tutor-script.js";

const LEAD_IN_FRAMES = [25, 26, 27, 28, 29, 30, 31, 32];
const TAIL_MS = 3_500;
const msOf = (samples: number) => (samples / MODEL_SAMPLE_RATE) * 1000;

async function main(): Promise<void> {
  const hangovers = process.argv.slice(2).map(Number).filter((value) => Number.isInteger(value) && value > 0);
  const silences = hangovers.length > 0 ? hangovers : [DEFAULT_TUTOR_PROFILE.turn.end_of_turn_silence_ms, 300];
  const vad = await SileroVad.load();
  const synthesizer = createSpeechSynthesizer();
  const texts = [...QUESTIONS.map((q) => q.text), ...LONG_QUESTIONS];
  const threshold = DEFAULT_TUTOR_PROFILE.turn.vad_threshold;
  const options = streamSegmenter(DEFAULT_INFERENCE_POOL_OPTIONS.segmenter, { speechThreshold: threshold });
  const silenceThreshold = options.silenceThreshold ?? DEFAULT_SEGMENTER_OPTIONS.silenceThreshold;
  for (const silenceMs of silences) {
    const cut: number[] = [];
    const tail: number[] = [];
    const tailAboveSpeech: number[] = [];
    const onset: number[] = [];
    const byVoice: string[] = [];
    for (const voice of STUDENT_VOICES) {
      const voiceCut: number[] = [];
      for (const text of texts) {
        const speech = pcm16ToFloat32(float32ToPcm16((await synthesizer.synthesize(text, voice)).samples16k));
        const spoken = micUtterance(float32ToPcm16(speech));
        const voicedEnd = (spoken.lastVoicedFrame + 1) * MIC_FRAME_SAMPLES;
        const voicedStart = (spoken.firstVoicedFrame + 1) * MIC_FRAME_SAMPLES;
        for (const leadFrames of LEAD_IN_FRAMES) {
          const lead = leadFrames * MIC_FRAME_SAMPLES;
          const result = await cutAfter(vad, speech, lead, { ...options, hangoverMs: silenceMs }, { speech: threshold, silence: silenceThreshold });
          if (result === null) continue;
          cut.push(msOf(result.cutAt - lead - voicedEnd));
          voiceCut.push(msOf(result.cutAt - lead - voicedEnd));
          tail.push(msOf(Math.max(0, result.lastHeard - lead - voicedEnd)));
          tailAboveSpeech.push(msOf(Math.max(0, result.lastSpeech - lead - voicedEnd)));
          onset.push(msOf(result.startedAt - lead - voicedStart));
        }
      }
      const v = summarize(voiceCut);
      byVoice.push(`${voice} p50 ${v.p50_ms} p95 ${v.p95_ms}`);
    }
    const c = summarize(cut);
    const h = summarize(tail);
    const a = summarize(tailAboveSpeech);
    const o = summarize(onset);
    process.stdout.write(
      `end_of_turn_silence_ms ${silenceMs}: t0 → cut (stream time) p50 ${c.p50_ms} p95 ${c.p95_ms} max ${c.max_ms} ms (n=${c.count}); ` +
        `of it Silero still ≥ ${silenceThreshold} after the voice: p50 ${h.p50_ms} p95 ${h.p95_ms} max ${h.max_ms} ms ` +
        `(≥ ${threshold}: p50 ${a.p50_ms} p95 ${a.p95_ms} max ${a.max_ms} ms); ` +
        `frames ${MIC_FRAME_MS} ms, chunks ${msOf(VAD_CHUNK_SAMPLES)} ms\n  t0 → cut by voice: ${byVoice.join("; ")}\n` +
        `  speech start (first voiced frame sent) → speech_started (minSpeechMs ${options.minSpeechMs ?? DEFAULT_SEGMENTER_OPTIONS.minSpeechMs}): p50 ${o.p50_ms} p95 ${o.p95_ms} max ${o.max_ms} ms\n`,
    );
  }
  await vad.close();
}

/** Runs lead-in silence, the speech, then silence through the VAD until the segmenter cuts the utterance. */
async function cutAfter(
  vad: SileroVad,
  speech: Float32Array,
  leadSamples: number,
  options: ReturnType<typeof streamSegmenter>,
  thresholds: { speech: number; silence: number },
): Promise<{ cutAt: number; lastHeard: number; lastSpeech: number; startedAt: number } | null> {
  const tailSamples = Math.round((TAIL_MS * MODEL_SAMPLE_RATE) / 1000);
  const audio = new Float32Array(leadSamples + speech.length + tailSamples);
  audio.set(speech, leadSamples);
  const segmenter = new SpeechSegmenter(options);
  let state = vad.createStreamState();
  let lastHeard = 0;
  let lastSpeech = 0;
  let startedAt = 0;
  for (let start = 0; start + VAD_CHUNK_SAMPLES <= audio.length; start += VAD_CHUNK_SAMPLES) {
    const chunk = audio.subarray(start, start + VAD_CHUNK_SAMPLES);
    const result = await vad.runBatch(chunk, state, 1);
    state = result.state;
    const probability = result.probabilities[0] ?? 0;
    if (probability >= thresholds.silence) lastHeard = start + VAD_CHUNK_SAMPLES;
    if (probability >= thresholds.speech) lastSpeech = start + VAD_CHUNK_SAMPLES;
    const events = segmenter.push(chunk, probability);
    if (events.some((event) => event.type === "speech_started")) startedAt = start + VAD_CHUNK_SAMPLES;
    if (events.some((event) => event.type === "utterance")) return { cutAt: start + VAD_CHUNK_SAMPLES, lastHeard, lastSpeech, startedAt };
  }
  return null;
}

main().catch((error: unknown) => {
  process.stderr.write(`tutor-vad-tail failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
