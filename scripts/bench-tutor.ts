/**
 * The tutor's voice-to-voice latency: end of the student's speech → the tutor's first audio, on the student's clock,
 * split into its parts from the engine's own records, at each level of concurrent tutoring sessions; and barge-in
 * (the student speaking over the tutor → `tutor.interrupted`).
 *   - The engine on embedded defaults (PGlite, in-process pool: Silero VAD, Whisper tiny.en, eSpeak NG) on this
 *     thread; the students (@colyseus/sdk, eSpeak NG speech streamed in real time by a live microphone) and a
 *     stand-in OpenAI-compatible LLM at a set token pace on a worker thread, with a clock of their own.
 *   - Per turn: t0 = the question's last voiced frame sent; the transcript and the first `tutor.audio` received;
 *     the turn's record (`GET /api/v1/sessions/{id}/turns`: LLM first sentence, TTS first sentence); the pool's ASR
 *     queue, run and cut → transcript from `/metrics` scraped around the utterance.
 * Writes JSON (default bench-results/tutor.json) and prints a Markdown table.
 * Usage: npm run bench:tutor -- [--quick] [--sessions 1,8] [--turns N] (see --help)
 */
import { mkdir, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { DEFAULT_TUTOR_PROFILE } from "../src/tutor/tutor-profile.js";
import { parseBenchCli, runBenchMain } from "./bench/bench-cli.js";
import { startCpuMeter } from "./bench/cpu-meter.js";
import { round } from "./bench/latency-stats.js";
import { machineInfo } from "./bench/machine-info.js";
import { startBenchEngine, type BenchEngine } from "./bench/tutor-engine.js";
import { parseTutorBenchOptions, TUTOR_TARGETS, TUTOR_USAGE, TutorBenchUsageError, type TutorBenchOptions } from "./bench/tutor-options.js";
import { evaluateTutorTargets, machineLine, renderTutorTable, summarizeLevel, tutorPass, type LevelReport } from "./bench/tutor-report.js";
import { startStudents, type StudentsWorker } from "./bench/tutor-students.js";
import type { LevelRequest } from "./bench/tutor-students-worker.js";

/** Sessions start their first question within this window (≈ one question and its answer), seeded. */
const START_SPREAD_MS = 4_000;

function log(line: string): void {
  process.stderr.write(`[bench:tutor] ${line}\n`);
}

const loadAverages = () => loadavg().map((value) => round(value, 2));

function turnSettings(options: TutorBenchOptions): Record<string, number> {
  return {
    ...(options.endOfTurnSilenceMs === null ? {} : { end_of_turn_silence_ms: options.endOfTurnSilenceMs }),
    ...(options.minInterruptionMs === null ? {} : { min_interruption_ms: options.minInterruptionMs }),
  };
}

function parameters(options: TutorBenchOptions, holdMs: number): Record<string, unknown> {
  return {
    sessions: options.sessionCounts,
    turns_per_session: options.turns,
    barge_ins_per_session: options.bargeIns,
    warm_up_turns: options.warmUpTurns,
    token_interval_ms: options.tokenIntervalMs,
    barge_in_after_first_audio_ms: options.bargeInAfterMs,
    think_ms: options.thinkMs,
    start_spread_ms: START_SPREAD_MS,
    seed: options.seed,
    tutor_turn: {
      end_of_turn_silence_ms: options.endOfTurnSilenceMs ?? DEFAULT_TUTOR_PROFILE.turn.end_of_turn_silence_ms,
      min_interruption_ms: holdMs,
      vad_threshold: DEFAULT_TUTOR_PROFILE.turn.vad_threshold,
    },
    students: "@colyseus/sdk clients on a worker thread; eSpeak NG questions (en-us, en-gb, en-us+f3), 16 kHz PCM16 in 20 ms frames on an absolute real-time schedule, digital silence between questions",
    tutors: "one stored profile per session (no greeting, prewarmed), default voice en-us at 175 wpm",
    models_dir: resolve(options.modelsDir),
  };
}

const NOTES = [
  "t0 is the send time of the question's last voiced frame (a sample ≥ −40 dBFS); the microphone streams in real time, so it is when the student stopped speaking. Client times are on the students' thread's clock.",
  "to_transcript = final transcript received − t0. vad_end_of_turn = to_transcript − speech_end_to_transcript (the pool's cut of the utterance → the room's broadcast, from /metrics), so it holds the end-of-turn silence, the 32 ms VAD chunks, the audio's hops to the pool and the transcript's WebSocket hop. asr_queue/asr_run: the pool's own timings of that utterance.",
  "Per-turn pool figures come from /metrics scraped at t0 and at the transcript's arrival, kept only when exactly one utterance was observed between the two (always with one session; with several, turns whose window held another session's utterance have none, so the per-turn pool rows are a subset that leans to quieter moments, and pool_stages gives the level's exact means over every utterance).",
  "llm_first_sentence and tts_first_sentence are the turn's record (details.timings, ms from the turn's start). reply_delivery = (first audio − transcript) − LLM − TTS: the transcript's way into the session machine's reply.start, the synthesis call's hops, the audio's send and WebSocket hop less the transcript's.",
  "engine share = total − llm_first_sentence (the LLM is the stand-in's, at the set pace; llm_pace is its own part, the rest is the request's cost).",
  "Barge-in: speech start (first voiced frame of the question spoken over the reply) → tutor.interrupted received: one WebSocket hop on loopback past when the engine sent it. It includes the pool's speech confirmation (the segmenter's minSpeechMs, 250 ms) and the profile's min_interruption_ms hold (300 ms by default), both on purpose: a cough must not stop the tutor.",
  "Every spoken question counts as a voice-to-voice turn, those spoken over a reply included.",
];

async function main(): Promise<number> {
  const cli = parseBenchCli(parseTutorBenchOptions, TUTOR_USAGE, TutorBenchUsageError);
  if ("exitCode" in cli) return cli.exitCode;
  const { options } = cli;
  const startedAt = new Date();
  const startedMs = performance.now();
  const machine = machineInfo();
  const loadAtStart = loadAverages();
  const holdMs = options.minInterruptionMs ?? DEFAULT_TUTOR_PROFILE.turn.min_interruption_ms;
  const errors: { stage: string; message: string }[] = [];
  let students: StudentsWorker | null = null;
  let bench: BenchEngine | null = null;
  const levels: LevelReport[] = [];
  try {
    log(`mode ${options.mode}: sessions ${options.sessionCounts.join(",")}, ${options.turns} turns (${options.bargeIns} barge-ins) each; load ${loadAtStart.join(" ")}`);
    students = await startStudents({ tokenIntervalMs: options.tokenIntervalMs }, log);
    const totalSessions = options.sessionCounts.reduce((sum, n) => sum + n, 0) + 1;
    bench = await startBenchEngine({ llmUrl: students.llmUrl, modelsDir: options.modelsDir, asrLanes: options.asrLanes, logLevel: options.logLevel, maxSessions: totalSessions + 10 });
    log(`engine up (${String(bench.description["models_loaded"])}); stand-in LLM at ${students.llmUrl}`);
    const engine = { httpUrl: bench.engine.httpUrl, engineUrl: bench.engine.engineUrl, adminKey: bench.adminKey };
    const level = (label: string, sessions: number, turns: number, bargeIns: number): Omit<LevelRequest, "type"> => ({
      label,
      sessions,
      turns,
      bargeIns,
      thinkMs: options.thinkMs,
      bargeInAfterMs: options.bargeInAfterMs,
      startSpreadMs: START_SPREAD_MS,
      seed: options.seed + sessions,
      turn: turnSettings(options),
      engine,
    });
    if (options.warmUpTurns > 0) {
      log(`warm-up: 1 session, ${options.warmUpTurns} questions (not measured)`);
      const warm = await students.runLevel(level("warmup", 1, options.warmUpTurns, options.warmUpTurns > 1 ? 1 : 0));
      const problems = [...warm.failures, ...warm.students.flatMap((s) => s.problems)];
      if (problems.length > 0) log(`warm-up problems: ${problems.join("; ")}`);
    }
    for (const sessions of options.sessionCounts) {
      log(`level: ${sessions} session(s); load ${loadAverages().join(" ")}`);
      const loadBefore = loadAverages();
      const started = performance.now();
      const meter = startCpuMeter();
      const raw = await students.runLevel(level(`n${sessions}`, sessions, options.turns, options.bargeIns));
      const cpu = meter(performance.now() - started);
      const report = summarizeLevel(raw, { turnsPlanned: options.turns, tokenIntervalMs: options.tokenIntervalMs, holdMs, cpu, loadBefore, loadAfter: loadAverages() });
      levels.push(report);
      const share = report.parts.engine_share_ms;
      log(`level ${sessions}: ${report.turns_measured}/${report.turns_planned} turns, engine share p50 ${share?.p50_ms ?? "—"} p95 ${share?.p95_ms ?? "—"} ms, ${report.problems.length} problems`);
    }
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    errors.push({ stage: "run", message });
    log(`failed: ${message}`);
  } finally {
    await bench?.close().catch((error: unknown) => errors.push({ stage: "engine.stop", message: String(error) }));
    await students?.close().catch((error: unknown) => errors.push({ stage: "students.close", message: String(error) }));
  }

  const loadAtEnd = loadAverages();
  const targets = evaluateTutorTargets(levels);
  const report = {
    schema: "bench-tutor/1",
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    duration_ms: Math.round(performance.now() - startedMs),
    mode: options.mode,
    ok: errors.length === 0 && levels.length === options.sessionCounts.length && levels.every((level) => level.turns_measured > 0),
    pass: levels.length === 0 ? null : tutorPass(targets),
    machine: { ...machine, load_average_1m_end: loadAtEnd[0] ?? 0, load_average_start: loadAtStart, load_average_end: loadAtEnd },
    parameters: parameters(options, holdMs),
    engine: bench?.description ?? null,
    targets: { definitions: TUTOR_TARGETS, checks: targets },
    anchors: "voice agents on LiveKit Agents and Pipecat answer in 500–800 ms voice to voice",
    levels,
    errors,
    notes: NOTES,
  };
  const jsonPath = resolve(options.jsonPath);
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const head = `Tutor voice to voice (${options.mode}) — ${machineLine(machine, loadAtEnd[0] ?? 0)}; LLM stand-in at ${options.tokenIntervalMs} ms/token`;
  process.stdout.write(`${head}\n\n${renderTutorTable(levels, targets)}\n\nJSON: ${options.jsonPath}\n`);
  return report.ok ? 0 : 1;
}

runBenchMain("bench:tutor", main);
