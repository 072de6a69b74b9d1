import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, totalmem } from "node:os";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { MAX_VIDEO_FPS } from "../src/protocol/client-messages.js";
import { DEFAULT_CAMERA_CAPACITY, runCameraCapacity, type CameraCapacityOptions } from "./camera-capacity.js";
import { formatStepTable, verdict, type StepVerdict } from "./capacity-steps.js";
import { startEngineUnderTest } from "./engine-under-test.js";
import { DEFAULT_LOAD_OPTIONS, LoadUsageError, videoFrameKind, wholeNumber, type LoadOptions } from "./load-options.js";
import { formatSummary, type LoadResult } from "./load-report.js";
import { runLoad } from "./load-run.js";
import { measureRawAsr, type RawAsrResult } from "./raw-asr.js";
import { loadSpeechScript } from "./speech-script.js";

/**
 * `npm run loadtest:capacity`: one engine, load runs of growing session counts (doubling, then bisecting between the
 * last good and the first bad count) until the p99 end-of-utterance → transcript latency passes the bound or any
 * audio is refused or lost. Reports the knee, and the engine's sustained transcription rate ÷ the raw model's.
 */
interface CapacityOptions {
  participants: number;
  speakers: number;
  stepDurationMs: number;
  boundMs: number;
  maxSessions: number;
  audioPath: string | null;
  jsonPath: string;
  workers: number;
}

const DEFAULT_CAPACITY: CapacityOptions = {
  participants: 3,
  speakers: 1,
  stepDurationMs: 30_000,
  boundMs: 2_000,
  maxSessions: 64,
  audioPath: null,
  jsonPath: "bench-results/capacity.json",
  workers: 2,
};
/** Bisection steps after the first failing count. */
const REFINE_STEPS = 2;

const C = DEFAULT_CAMERA_CAPACITY;
const USAGE = `Usage: npm run loadtest:capacity -- [--participants M] [--speakers K] [--step-duration S] [--bound MS]
                                   [--max-sessions N] [--audio file.wav] [--json out.json]
  defaults: ${DEFAULT_CAPACITY.participants} participants, ${DEFAULT_CAPACITY.speakers} speaker per session, ${DEFAULT_CAPACITY.stepDurationMs / 1000} s per step,
  bound ${DEFAULT_CAPACITY.boundMs} ms, at most ${DEFAULT_CAPACITY.maxSessions} sessions, JSON ${DEFAULT_CAPACITY.jsonPath}
Camera ramp (instead of the speech ramp):
       npm run loadtest:capacity -- --cameras ${C.steps.join(",")} [--camera-fps N] [--cameras-per-session M] [--mixed-sessions S]
                                   [--video-frame webcam|portrait] [--step-duration S] [--audio file.wav] [--json out.json]
  steps of N camera streams (no audio), then S talking sessions × ${C.mixedParticipants} with every camera on (0: skip);
  defaults: ${C.fps} fps, ${C.perSession} cameras per session, ${C.mixedSessions} mixed sessions, ${C.stepDurationMs / 1000} s per step, frame ${C.frame}, JSON ${C.jsonPath}`;

type CapacityMode = { mode: "speech"; options: CapacityOptions } | { mode: "cameras"; options: CameraCapacityOptions };

function parseCapacityArgs(argv: string[]): CapacityMode | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      participants: { type: "string" },
      speakers: { type: "string" },
      "step-duration": { type: "string" },
      bound: { type: "string" },
      "max-sessions": { type: "string" },
      audio: { type: "string" },
      json: { type: "string" },
      cameras: { type: "string" },
      "camera-fps": { type: "string" },
      "cameras-per-session": { type: "string" },
      "mixed-sessions": { type: "string" },
      "video-frame": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return "help";
  const whole = (text: string | undefined, flag: string, min: number, max: number, fallback: number) =>
    text === undefined ? fallback : wholeNumber(text, flag, min, max);
  if (values.cameras !== undefined) {
    for (const flag of ["participants", "speakers", "bound", "max-sessions"] as const) {
      if (values[flag] !== undefined) throw new LoadUsageError(`--${flag} is for the speech ramp, not --cameras`);
    }
    return {
      mode: "cameras",
      options: {
        ...C,
        steps: values.cameras.split(",").map((step) => wholeNumber(step.trim(), "--cameras", 1, 2_000)),
        fps: whole(values["camera-fps"], "--camera-fps", 1, MAX_VIDEO_FPS, C.fps),
        perSession: whole(values["cameras-per-session"], "--cameras-per-session", 1, 50, C.perSession),
        stepDurationMs: whole(values["step-duration"], "--step-duration", 10, 600, C.stepDurationMs / 1000) * 1000,
        mixedSessions: whole(values["mixed-sessions"], "--mixed-sessions", 0, 100, C.mixedSessions),
        frame: values["video-frame"] === undefined ? C.frame : videoFrameKind(values["video-frame"]),
        audioPath: values.audio ?? null,
        jsonPath: values.json ?? C.jsonPath,
      },
    };
  }
  for (const flag of ["camera-fps", "cameras-per-session", "mixed-sessions", "video-frame"] as const) {
    if (values[flag] !== undefined) throw new LoadUsageError(`--${flag} needs --cameras`);
  }
  const options: CapacityOptions = {
    ...DEFAULT_CAPACITY,
    participants: whole(values.participants, "--participants", 1, 50, DEFAULT_CAPACITY.participants),
    speakers: whole(values.speakers, "--speakers", 1, 50, DEFAULT_CAPACITY.speakers),
    stepDurationMs: whole(values["step-duration"], "--step-duration", 10, 600, DEFAULT_CAPACITY.stepDurationMs / 1000) * 1000,
    boundMs: whole(values.bound, "--bound", 100, 60_000, DEFAULT_CAPACITY.boundMs),
    maxSessions: whole(values["max-sessions"], "--max-sessions", 1, 500, DEFAULT_CAPACITY.maxSessions),
    audioPath: values.audio ?? null,
    jsonPath: values.json ?? DEFAULT_CAPACITY.jsonPath,
  };
  if (options.speakers > options.participants) throw new LoadUsageError("--speakers cannot exceed --participants");
  return { mode: "speech", options };
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCapacityArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (parsed === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (parsed.mode === "cameras") {
    await runCameraCapacity(parsed.options, log);
    return;
  }
  const options = parsed.options;
  const script = await loadSpeechScript(options.audioPath);

  // The raw model first, alone on the machine (the engine is not started yet).
  log("[capacity] raw model: WhisperAsr on the script's utterances, one after another");
  const raw: RawAsrResult = await measureRawAsr(script);
  log(`[capacity] raw: ${raw.utterances_per_s} utt/s (${raw.layout.lanes} lane(s) × ${raw.layout.threadsPerLane} thread(s), run p50 ${raw.run.p50_ms} ms)`);

  const engine = await startEngineUnderTest(options.maxSessions);
  const steps: { verdict: StepVerdict; result: LoadResult }[] = [];
  try {
    const runStep = async (sessions: number) => {
      // Both bisections may land on the same count: one run per count.
      const earlier = steps.find((s) => s.verdict.sessions === sessions);
      if (earlier !== undefined) return earlier.verdict.ok;
      const loadOptions: LoadOptions = {
        ...DEFAULT_LOAD_OPTIONS,
        sessions,
        participants: options.participants,
        speakers: options.speakers,
        durationMs: options.stepDurationMs,
        audioPath: options.audioPath,
        workers: options.workers,
        latencyBoundMs: options.boundMs,
        progressEveryMs: 0,
      };
      log(`[capacity] ${sessions} session(s) × ${options.participants} (${options.speakers} speaking), ${options.stepDurationMs / 1000} s …`);
      const result = await runLoad(loadOptions, { engine, script });
      const v = verdict(result, options.boundMs);
      steps.push({ verdict: v, result });
      log(
        `[capacity]   ${v.ok ? "ok  " : "FAIL"} p99 ${v.p99_ms} ms, offered ${v.offered_per_s} utt/s, sustained ${v.sustained_per_s} utt/s, ` +
          `engine ${v.engine_cpu_cores} cores, RSS ${v.rss_mb_peak} MB — ${v.why}`,
      );
      return v.ok;
    };

    // Doubling finds both limits: the latency knee (last count within every bound) and saturation (the engine no
    // longer keeps up, or audio is refused or lost); the later of the two ends the ramp. Then each is narrowed by
    // bisection.
    const saturated = (v: StepVerdict) =>
      v.audio_rejected > 0 || v.missing_deliveries > 0 || v.sustained_per_s < 0.9 * v.offered_per_s;
    let good = 0;
    let bad = 0;
    let keptUp = 0;
    let fellBehind = 0;
    for (let n = 1; n <= options.maxSessions; n *= 2) {
      const ok = await runStep(n);
      const last = steps[steps.length - 1]?.verdict;
      if (ok) good = n;
      else if (bad === 0) bad = n;
      if (last === undefined || saturated(last)) {
        fellBehind = n;
        break;
      }
      keptUp = n;
    }
    for (let i = 0; i < REFINE_STEPS && bad > 0 && bad - good > 1; i++) {
      const mid = Math.floor((good + bad) / 2);
      if (await runStep(mid)) good = mid;
      else bad = mid;
    }
    for (let i = 0; i < REFINE_STEPS && fellBehind > 0 && fellBehind - keptUp > 1; i++) {
      const mid = Math.floor((keptUp + fellBehind) / 2);
      await runStep(mid);
      const last = steps.find((s) => s.verdict.sessions === mid)?.verdict;
      if (last !== undefined && !saturated(last)) keptUp = mid;
      else fellBehind = mid;
    }

    const kneeStep = steps.find((s) => s.verdict.sessions === good && s.verdict.ok);
    const clean = steps.filter((s) => s.verdict.audio_rejected === 0 && s.verdict.missing_deliveries === 0);
    const sustained = clean.reduce((m, s) => Math.max(m, s.verdict.sustained_per_s), 0);
    const report = {
      started_at: new Date().toISOString(),
      machine: { cpus: availableParallelism(), cpu_model: cpus()[0]?.model ?? "unknown", memory_gb: Math.round(totalmem() / 2 ** 30), node: process.version },
      parameters: { ...options, audio: script.source, utterances_in_audio: script.utterances.length },
      raw_model: raw,
      knee: {
        sessions: good,
        speakers: good * options.speakers,
        clients: good * options.participants,
        stopped_at: bad === 0 ? null : { sessions: bad, why: steps.find((s) => s.verdict.sessions === bad && !s.verdict.ok)?.verdict.why ?? "" },
        p99_ms: kneeStep?.verdict.p99_ms ?? null,
        transcript_latency_speaker: kneeStep?.result.transcript_latency_speaker ?? null,
        transcript_latency_listener: kneeStep?.result.transcript_latency_listener ?? null,
        speaking_latency: kneeStep?.result.speaking_latency ?? null,
        interim_latency_speaker: kneeStep?.result.interim_latency_speaker ?? null,
        interims_missed: kneeStep?.result.utterances.interims_missed ?? null,
        memory_per_session_mb: kneeStep?.verdict.memory_per_session_mb ?? null,
        heap_per_session_mb: kneeStep?.verdict.heap_per_session_mb ?? null,
        utterances_per_s: kneeStep?.verdict.sustained_per_s ?? null,
      },
      /** Highest rate the engine kept up with, over steps with no refused or lost audio, ÷ the raw model. */
      sustained_per_s: sustained,
      engine_vs_raw: raw.utterances_per_s === 0 ? 0 : Math.round((sustained / raw.utterances_per_s) * 1000) / 1000,
      knee_vs_raw: raw.utterances_per_s === 0 || kneeStep === undefined ? 0 : Math.round((kneeStep.verdict.sustained_per_s / raw.utterances_per_s) * 1000) / 1000,
      target: { engine_vs_raw_min: 0.8 },
      steps: steps.map((s) => s.verdict),
      step_results: steps.map((s) => s.result),
    };
    const table = [
      "",
      formatStepTable(steps.map((step) => step.verdict)),
      "",
      `Knee: ${good} session(s) (${good * options.participants} clients, ${good * options.speakers} speaking)` +
        (bad === 0 ? ` — no failure up to --max-sessions ${options.maxSessions}` : `; ${bad} failed: ${report.knee.stopped_at?.why ?? ""}`),
      `Raw model ${raw.utterances_per_s} utt/s; engine sustained ${sustained} utt/s without refused or lost audio → ` +
        `${report.engine_vs_raw} × raw (target ≥ 0.8); at the knee ${report.knee.utterances_per_s ?? 0} utt/s → ${report.knee_vs_raw} × raw`,
    ];
    process.stdout.write(`${table.join("\n")}\n`);
    if (kneeStep !== undefined) process.stdout.write(`\nAt the knee:\n${formatSummary(kneeStep.result)}\n`);
    await mkdir(dirname(options.jsonPath), { recursive: true });
    await writeFile(options.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`JSON: ${options.jsonPath}\n`);
  } finally {
    await engine.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`capacity run failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
