/**
 * Noise suppression, measured: Whisper's word error rate on speech in white and babble noise at 0, 5 and 10 dB SNR,
 * without suppression and with each RNNoise build, plus each build's CPU cost per stream.
 *
 *   npx tsx scripts/bench/denoise-bench.ts [--seeds 1,2,3] [--pause-ms 3000] [--repetitions 5] [--cost-only] [--json out.json]
 *
 * Each cell is run once per noise seed (the same seeds for every condition, so conditions see the same noise). With
 * ≈ 50 words per run one word is 2 points of WER and Whisper's output swings a lot from one noise draw to the next, so
 * a cell reports the pooled WER over its seeds (all errors ÷ all reference words) and the median of the per-seed WERs;
 * the median is not moved by a run where Whisper loops on a phrase ("runaway": more inserted words than the reference
 * has).
 *
 * Transcripts come from the engine's own path for a whole recording (InferencePool.transcribe: Silero VAD
 * segmentation, then Whisper tiny.en per utterance), as PCM16 at 16 kHz. Speech is eSpeak NG (test/support), noise is
 * generated in code (test/support/noisy-speech.ts: seeded white noise, eSpeak babble), so a run is reproducible.
 */
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { denoiseRecording } from "../../src/inference/audio/denoise/denoiser.js";
import { RNNOISE_BUILDS, RnnoiseLoader, type RnnoiseBuild, type RnnoiseRuntime } from "../../src/inference/audio/denoise/rnnoise-runtime.js";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { InferencePool } from "../../src/inference/pool.js";
import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";
import { combineWordErrorRates, wordErrorRate, type WordErrorRate } from "../../src/inference/quality/word-error-rate.js";
import { createLogger } from "../../src/logger.js";
import {
  makeNoise,
  mixAtSnr,
  NOISY_SPEECH_SENTENCES,
  SENTENCE_PAUSE_MS,
  speechTrack,
  type NoiseKind,
  type SpeechTrack,
} from "../../test/support/noisy-speech.js";
import { createSpeechSynthesizer, type SpeechSynthesizer } from "../../test/support/speech.js";
import { measureDenoiseCost, type DenoiseCost } from "./denoise-cost.js";
import { machineInfo } from "./machine-info.js";
import { formatTable } from "./report-table.js";

const NOISES: readonly NoiseKind[] = ["white", "babble"];
const SNRS_DB = [0, 5, 10] as const;
type Condition = "none" | RnnoiseBuild;

interface WerRow {
  noise: NoiseKind | "clean";
  snr_db: number | null;
  suppression: Condition;
  seed: number | null;
  wer: number;
  errors: Omit<WordErrorRate, "wer">;
  transcript: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      seeds: { type: "string", default: "1,2,3" },
      "pause-ms": { type: "string", default: String(SENTENCE_PAUSE_MS) },
      repetitions: { type: "string", default: "5" },
      "cost-only": { type: "boolean", default: false },
      json: { type: "string" },
    },
  });
  const seeds = values.seeds.split(",").map(Number);
  const repetitions = Math.max(1, Number(values.repetitions));
  const pauseMs = Number(values["pause-ms"]);
  const machine = machineInfo();
  const loader = new RnnoiseLoader();
  const runtimes = await Promise.all(RNNOISE_BUILDS.map((build) => loader.load(build)));
  const synthesizer = createSpeechSynthesizer();
  const track = await speechTrack(synthesizer, NOISY_SPEECH_SENTENCES, pauseMs);
  const seconds = track.samples.length / MODEL_SAMPLE_RATE;
  const speech = `${seconds.toFixed(1)} s of eSpeak NG speech (${pauseMs} ms pauses), ${track.reference.split(" ").length} words`;
  console.error(`speech: ${speech}`);

  // The cost pass alone needs no Whisper: no pool, so no model load competing for the cores.
  const rows = values["cost-only"] ? [] : await measureWer(runtimes, track, seeds, synthesizer);

  // Cost on a white mix (RNNoise's cost does not depend on content), ≥ 60 s of audio per pass.
  const costAudio = loop(mixAtSnr(track.samples, await makeNoise("white", track.samples.length, 1, synthesizer), 5), 60);
  const costs: DenoiseCost[] = runtimes.map((runtime) => measureDenoiseCost(runtime, costAudio, repetitions));

  console.log(report(rows, costs, machine.cpus, machine.load_average_1m, speech));
  if (values.json !== undefined) {
    const result = { machine, seeds, pause_ms: pauseMs, speech_seconds: seconds, reference: track.reference, wer: rows, cost: costs };
    await writeFile(values.json, JSON.stringify(result, null, 2));
  }
}

/** Every cell of the table: clean once, then each noise × seed × SNR, off and through each build. */
async function measureWer(runtimes: RnnoiseRuntime[], track: SpeechTrack, seeds: number[], synthesizer: SpeechSynthesizer): Promise<WerRow[]> {
  const pool = new InferencePool({ modelsDir: join(tmpdir(), "engine-test-models"), logger: createLogger("silent"), asr: { lanes: 1 } });
  try {
    await pool.ready();
    const transcribe = async (samples: Float32Array) => (await pool.transcribe(float32ToPcm16(samples), MODEL_SAMPLE_RATE)).text;
    const rows: WerRow[] = [];
    const measure = async (noise: WerRow["noise"], snr: number | null, seed: number | null, samples: Float32Array) => {
      for (const suppression of ["none", ...runtimes] as const) {
        const input = suppression === "none" ? samples : denoiseRecording(suppression, samples);
        const transcript = await transcribe(input);
        const { wer, ...errors } = wordErrorRate(track.reference, transcript);
        const condition: Condition = suppression === "none" ? "none" : suppression.build;
        console.error(`${noise} ${snr ?? "-"} dB seed ${seed ?? "-"} ${condition}: WER ${(wer * 100).toFixed(1)} % "${transcript.slice(0, 400)}"`);
        rows.push({ noise, snr_db: snr, suppression: condition, seed, wer, errors, transcript });
      }
    };
    await measure("clean", null, null, track.samples);
    for (const kind of NOISES) {
      for (const seed of seeds) {
        const noise = await makeNoise(kind, track.samples.length, seed, synthesizer);
        for (const snr of SNRS_DB) await measure(kind, snr, seed, mixAtSnr(track.samples, noise, snr));
      }
    }
    return rows;
  } finally {
    await pool.close();
  }
}

function report(rows: WerRow[], costs: DenoiseCost[], cpus: number, load: number, speech: string): string {
  const conditions: Condition[] = ["none", ...RNNOISE_BUILDS];
  const cell = (noise: WerRow["noise"], snr: number | null, condition: Condition): string => {
    const runs = rows.filter((r) => r.noise === noise && r.snr_db === snr && r.suppression === condition);
    if (runs.length === 0) return "—";
    const pooled = combineWordErrorRates(runs.map((r) => ({ wer: r.wer, ...r.errors }))).wer;
    const runaway = runs.filter((r) => r.errors.insertions > r.errors.referenceWords).length;
    const text = runs.length === 1 ? pct(pooled) : `${pct(pooled)} (${pct(median(runs.map((r) => r.wer)))})`;
    return runaway === 0 ? text : `${text} ${runaway} runaway`;
  };
  const werTable = formatTable(
    ["noise", "SNR dB", ...conditions.map((c) => (c === "none" ? "off" : c))],
    [
      ["clean", "—", ...conditions.map((c) => cell("clean", null, c))],
      ...NOISES.flatMap((noise) => SNRS_DB.map((snr) => [noise, String(snr), ...conditions.map((c) => cell(noise, snr, c))])),
    ],
  );
  const costTable = formatTable(
    ["build", "stage ms CPU / s audio", "RNNoise alone ms / s", "% of one core", "other processes (cores)"],
    costs.map((c) => [c.build, c.stage_cpu_ms_per_audio_s, c.rnnoise_cpu_ms_per_audio_s, c.stage_core_percent, c.other_processes_cores]),
  );
  const seedCount = new Set(rows.flatMap((r) => (r.seed === null ? [] : [r.seed]))).size;
  const werSection = [
    `Word error rate % (Whisper tiny.en via InferencePool.transcribe), ${speech};`,
    `noisy cells: pooled over ${seedCount} noise seeds (median of the per-seed WERs)`,
    werTable,
    "",
  ];
  return [
    ...(rows.length === 0 ? [] : werSection),
    `Noise suppression cost per stream (median of ${costs[0]?.repetitions ?? 0}; ${cpus} cores, load ${load} at start)`,
    costTable,
  ].join("\n");
}

function pct(value: number): string {
  return (Math.round(value * 1000) / 10).toFixed(1);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** `samples` repeated until at least `seconds` long. */
function loop(samples: Float32Array, seconds: number): Float32Array {
  const times = Math.ceil((seconds * MODEL_SAMPLE_RATE) / samples.length);
  const output = new Float32Array(samples.length * times);
  for (let i = 0; i < times; i++) output.set(samples, i * samples.length);
  return output;
}

await main();
