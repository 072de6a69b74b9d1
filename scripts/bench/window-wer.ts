/**
 * Whisper's encoder window against word errors: the same utterances transcribed with the shipped 30 s window and
 * with fitted windows (`WhisperAsr` `windowsFrames`), on recorded human speech (Debian's pocketsphinx-testdata:
 * `cards`, `goforward`, `librivox`, each file one utterance) and on the load test's and the bench's eSpeak NG
 * sentences. Each utterance is transcribed once per lead-in (silence before it moves the speech against the
 * 10 ms feature grid, as the VAD's cuts do), so one recording gives several slightly different inputs.
 *
 *   npx tsx scripts/bench/window-wer.ts [--json out.json]      (also `npm run bench:inference -- --only window`)
 */
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { WhisperAsr } from "../../src/inference/models/whisper-asr.js";
import { createWhisperPreparer } from "../../src/inference/models/whisper-prepare.js";
import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";
import { combineWordErrorRates, wordErrorRate, type WordErrorRate } from "../../src/inference/quality/word-error-rate.js";
import { createLogger, type Logger } from "../../src/logger.js";
import { DEFAULT_SENTENCES } from "../../loadtest/speech-script.js";
import { createRecordings, RECORDING_NAMES } from "../../test/support/pocketsphinx-recordings.js";
import { createSpeechSynthesizer, padWithSilence } from "../../test/support/speech.js";
import { BENCH_SENTENCES } from "./bench-audio.js";
import { round } from "./latency-stats.js";
import { machineInfo, type MachineInfo } from "./machine-info.js";
import { formatTable } from "./text-table.js";

export interface WindowWerOptions {
  /** Window sets to compare (frames; each must include 3000), by name. The first is the reference. */
  configurations: Record<string, readonly number[]>;
  leadInsMs: readonly number[];
  /** Threads of the one Whisper session (the machine's cores by default). */
  threads: number | null;
  modelsDir: string;
  logger: Logger;
  log: (line: string) => void;
}

export const DEFAULT_WINDOW_WER_OPTIONS: WindowWerOptions = {
  configurations: { full_30s: [3000], fitted_15s: [1500, 3000], fitted_10s: [1000, 1500, 3000] },
  leadInsMs: [0, 10, 20, 40],
  threads: null,
  modelsDir: join(tmpdir(), "engine-test-models"),
  logger: createLogger("silent"),
  log: (line) => console.error(line),
};

interface Clip {
  set: "recorded" | "synthesized";
  id: string;
  reference: string;
  samples: Float32Array;
}

export interface WindowSetResult {
  windows_frames: number[];
  /** Pooled over every utterance and lead-in of the set. */
  recorded: SetFigures;
  synthesized: SetFigures;
  /** Runs cut at their token bound (a decoder loop) and transcribed again with the 30 s window. */
  retried: number;
  /** Per utterance whose words differ from the reference configuration's, what came back. */
  differences: { id: string; lead_in_ms: number; reference_config: string; this_config: string }[];
}

interface SetFigures {
  utterances: number;
  words: number;
  wer_percent: number;
  /** WER points over the reference configuration's (negative: fewer errors). */
  points_over_reference: number;
  /** Sum of Whisper run time. */
  run_ms: number;
  /** Reference configuration's run time ÷ this one's. */
  speedup: number;
}

export interface WindowWerReport {
  machine: MachineInfo;
  parameters: { configurations: Record<string, readonly number[]>; lead_ins_ms: number[]; threads: number | null };
  clips: { set: string; id: string; seconds: number; words: number }[];
  configurations: Record<string, WindowSetResult>;
  duration_ms: number;
}

export async function measureWindowWer(options: Partial<WindowWerOptions> = {}): Promise<WindowWerReport> {
  const o = { ...DEFAULT_WINDOW_WER_OPTIONS, ...options };
  const startedMs = performance.now();
  const clips = await loadClips();
  const preparer = createWhisperPreparer();
  const texts = new Map<string, Map<string, string>>();
  const raw: Record<string, { windows: number[]; errors: Record<Clip["set"], WordErrorRate[]>; runMs: Record<Clip["set"], number>; retried: number }> = {};
  for (const [name, windows] of Object.entries(o.configurations)) {
    const asr = await WhisperAsr.load({ modelsDir: o.modelsDir, logger: o.logger, preparer, windowsFrames: windows, ...(o.threads === null ? {} : { intraOpNumThreads: o.threads }), thread: "current" });
    const entry = { windows: [...windows], errors: { recorded: [], synthesized: [] } as Record<Clip["set"], WordErrorRate[]>, runMs: { recorded: 0, synthesized: 0 }, retried: 0 };
    const heard = new Map<string, string>();
    try {
      for (const leadInMs of o.leadInsMs) {
        for (const clip of clips) {
          const result = await asr.transcribe(padWithSilence(clip.samples, leadInMs, 0));
          entry.errors[clip.set].push(wordErrorRate(clip.reference, result.text));
          entry.runMs[clip.set] += result.runMs;
          if (result.retried) entry.retried += 1;
          heard.set(`${clip.id}@${leadInMs}`, result.text);
        }
      }
    } finally {
      await asr.close();
    }
    raw[name] = entry;
    texts.set(name, heard);
    const recorded = combineWordErrorRates(entry.errors.recorded);
    o.log(`window ${name}: recorded ${pct(recorded.wer)} %, ${Math.round(entry.runMs.recorded)} ms; retried ${entry.retried}`);
  }

  const [referenceName] = Object.keys(raw);
  const reference = referenceName === undefined ? undefined : raw[referenceName];
  const configurations: Record<string, WindowSetResult> = {};
  for (const [name, entry] of Object.entries(raw)) {
    const figures = (set: Clip["set"]): SetFigures => {
      const own = combineWordErrorRates(entry.errors[set]);
      const base = reference === undefined ? own : combineWordErrorRates(reference.errors[set]);
      return {
        utterances: entry.errors[set].length,
        words: own.referenceWords,
        wer_percent: pct(own.wer),
        points_over_reference: round((own.wer - base.wer) * 100, 2),
        run_ms: Math.round(entry.runMs[set]),
        speedup: reference === undefined ? 1 : round(reference.runMs[set] / Math.max(1, entry.runMs[set]), 2),
      };
    };
    const differences: WindowSetResult["differences"] = [];
    const own = texts.get(name);
    const base = referenceName === undefined ? undefined : texts.get(referenceName);
    for (const [key, text] of own ?? []) {
      const other = base?.get(key) ?? "";
      if (wordErrorRate(other, text).wer === 0) continue;
      const [id = key, lead = "0"] = key.split("@");
      differences.push({ id, lead_in_ms: Number(lead), reference_config: other, this_config: text });
    }
    configurations[name] = { windows_frames: entry.windows, recorded: figures("recorded"), synthesized: figures("synthesized"), retried: entry.retried, differences };
  }
  return {
    machine: machineInfo(),
    parameters: { configurations: o.configurations, lead_ins_ms: [...o.leadInsMs], threads: o.threads },
    clips: clips.map((clip) => ({ set: clip.set, id: clip.id, seconds: round(clip.samples.length / MODEL_SAMPLE_RATE, 2), words: wordErrorRate(clip.reference, "").referenceWords })),
    configurations,
    duration_ms: Math.round(performance.now() - startedMs),
  };
}

/** Every recorded file as its own utterance, then the eSpeak sentences with the bench's 300 ms of silence around. */
async function loadClips(): Promise<Clip[]> {
  const media = createRecordings();
  const clips: Clip[] = [];
  for (const name of RECORDING_NAMES) {
    const recording = await media.recording(name);
    for (const part of recording.parts) {
      const from = Math.round((part.startMs * MODEL_SAMPLE_RATE) / 1000);
      const to = Math.round((part.endMs * MODEL_SAMPLE_RATE) / 1000);
      clips.push({ set: "recorded", id: `${name}/${part.id}`, reference: part.reference, samples: recording.samples.slice(from, to) });
    }
  }
  const synthesizer = createSpeechSynthesizer();
  for (const text of [...DEFAULT_SENTENCES, ...BENCH_SENTENCES]) {
    const spoken = await synthesizer.synthesize(text);
    clips.push({ set: "synthesized", id: `espeak/${text}`, reference: text, samples: padWithSilence(spoken.samples16k, 300, 300) });
  }
  return clips;
}

/** One row per configuration: WER and run time on each set, and the change against the first. */
export function windowWerTable(report: WindowWerReport): string {
  const rows = Object.entries(report.configurations).map(([name, c]) => [
    name,
    c.windows_frames.map((frames) => `${frames / 100} s`).join(" / "),
    c.recorded.wer_percent,
    c.recorded.points_over_reference,
    c.synthesized.wer_percent,
    c.synthesized.points_over_reference,
    c.recorded.run_ms + c.synthesized.run_ms,
    c.recorded.speedup,
    c.synthesized.speedup,
    c.retried,
  ]);
  const first = Object.values(report.configurations)[0];
  return [
    formatTable(["windows", "frames", "recorded WER %", "± points", "eSpeak WER %", "± points", "run ms", "× recorded", "× eSpeak", "retried"], rows),
    `${first?.recorded.utterances ?? 0} recorded and ${first?.synthesized.utterances ?? 0} synthesized utterances (lead-ins ${report.parameters.lead_ins_ms.join(", ")} ms).`,
  ].join("\n");
}

function pct(wer: number): number {
  return round(wer * 100, 2);
}

async function cli(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: "string" } } });
  const report = await measureWindowWer({ logger: createLogger("warn") });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  if (values.json !== undefined) await writeFile(resolve(values.json), text);
  process.stdout.write(`${windowWerTable(report)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await cli();
