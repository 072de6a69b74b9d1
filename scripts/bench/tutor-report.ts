import type { CpuFigures } from "./cpu-meter.js";
import { round, summarize, type LatencySummary } from "./latency-stats.js";
import type { MachineInfo } from "./machine-info.js";
import { TUTOR_TARGETS } from "./tutor-options.js";
import { PART_NAMES, turnParts, type TurnParts } from "./tutor-parts.js";
import { histogramSummary, POOL_STAGES, type HistogramSummary, type PoolStage } from "./tutor-stage-metrics.js";
import type { LevelRaw } from "./tutor-students-worker.js";

type PartName = (typeof PART_NAMES)[number];

export interface LevelReport {
  sessions: number;
  turns_planned: number;
  turns_measured: number;
  wall_ms: number;
  load_average_before: number[];
  load_average_after: number[];
  cpu: CpuFigures;
  /** p50 / p95 / max (and mean) of each part over the level's measured turns; null where no turn had the part. */
  parts: Record<PartName, LatencySummary | null>;
  /** Turns whose pool figures were their own (no other utterance between the scrapes around them). */
  pool_attributed_turns: number;
  /** Every utterance of the level, from `/metrics` before and after: exact means, bucket-estimated percentiles. */
  pool_stages: Record<PoolStage, HistogramSummary> | null;
  /** Mean over the level of t0 → utterance cut: mean to_transcript − mean speech_end_to_transcript of all utterances. */
  vad_end_of_turn_mean_ms: number | null;
  barge_in: {
    /** Speech start (first voiced frame sent) → `tutor.interrupted` received. */
    latency: LatencySummary | null;
    /** The same less the profile's min_interruption_ms, the hold the engine waits on purpose. */
    latency_less_hold: LatencySummary | null;
    hold_ms: number;
    played_ms: LatencySummary | null;
  };
  /** The most a student's microphone frame went out late (its own thread busy): real-time streaming held if small. */
  mic_max_lag_ms: number;
  problems: string[];
  turns: (TurnParts & { session: number; index: number; turn_id: number | null; text: string; transcript: string | null; interrupting: boolean })[];
}

export interface TargetCheck {
  name: string;
  sessions: number;
  value_ms: number | null;
  limit_ms: number;
  pass: boolean | null;
}

export function summarizeLevel(
  raw: LevelRaw,
  context: { turnsPlanned: number; tokenIntervalMs: number; holdMs: number; cpu: CpuFigures; loadBefore: number[]; loadAfter: number[] },
): LevelReport {
  const samples = raw.students.flatMap((student) => student.turns);
  const measured = samples.flatMap((sample) => {
    const parts = turnParts(sample, context.tokenIntervalMs);
    return parts === null ? [] : [{ sample, parts }];
  });
  const partSummary = (name: PartName): LatencySummary | null => {
    const values = measured.flatMap(({ parts }) => (parts[name] === null ? [] : [parts[name]]));
    return values.length === 0 ? null : summarize(values);
  };
  const parts = Object.fromEntries(PART_NAMES.map((name) => [name, partSummary(name)])) as Record<PartName, LatencySummary | null>;
  const stages = raw.stages === null ? null : (Object.fromEntries(POOL_STAGES.map((stage) => [stage, histogramSummary(raw.stages?.[stage] ?? { count: 0, sumMs: 0, buckets: [] })])) as Record<PoolStage, HistogramSummary>);
  const meanToTranscript = parts.to_transcript_ms?.mean_ms;
  const meanCut = stages?.speech_end_to_transcript;
  const bargeIns = raw.students.flatMap((student) => student.bargeIns);
  const summarized = (values: number[]) => (values.length === 0 ? null : summarize(values));
  return {
    sessions: raw.sessions,
    turns_planned: raw.sessions * context.turnsPlanned,
    turns_measured: measured.length,
    wall_ms: raw.wallMs,
    load_average_before: context.loadBefore,
    load_average_after: context.loadAfter,
    cpu: context.cpu,
    parts,
    pool_attributed_turns: measured.filter(({ sample }) => sample.pool !== null).length,
    pool_stages: stages,
    vad_end_of_turn_mean_ms: meanToTranscript === undefined || meanCut === undefined || meanCut.count === 0 ? null : round(meanToTranscript - meanCut.mean_ms, 1),
    barge_in: {
      latency: summarized(bargeIns.map((b) => b.latencyMs)),
      latency_less_hold: summarized(bargeIns.map((b) => b.latencyMs - context.holdMs)),
      hold_ms: context.holdMs,
      played_ms: summarized(bargeIns.map((b) => b.playedMs)),
    },
    mic_max_lag_ms: Math.max(0, ...raw.students.map((student) => student.micMaxLagMs)),
    problems: [...raw.failures, ...raw.students.flatMap((student) => student.problems.map((problem) => `session ${student.session}: ${problem}`))],
    turns: measured.map(({ sample, parts: p }) => ({
      session: sample.session,
      index: sample.index,
      turn_id: sample.turnId,
      text: sample.text,
      transcript: sample.transcript,
      interrupting: sample.interrupting,
      ...p,
    })),
  };
}

/** The targets at every level: the engine's share p50 and p95, barge-in p95 (as measured, hold included). */
export function evaluateTutorTargets(levels: readonly LevelReport[]): TargetCheck[] {
  return levels.flatMap((level) => {
    const share = level.parts.engine_share_ms;
    const bargeIn = level.barge_in.latency;
    const check = (name: string, value: number | undefined, limit: number): TargetCheck => ({
      name,
      sessions: level.sessions,
      value_ms: value ?? null,
      limit_ms: limit,
      pass: value === undefined ? null : value <= limit,
    });
    return [
      check("engine share p50", share?.p50_ms, TUTOR_TARGETS.engineShareP50Ms),
      check("engine share p95", share?.p95_ms, TUTOR_TARGETS.engineShareP95Ms),
      check("barge-in p95", bargeIn?.p95_ms, TUTOR_TARGETS.bargeInP95Ms),
    ];
  });
}

/** Every target met; null when one could not be measured. */
export function tutorPass(targets: readonly TargetCheck[]): boolean | null {
  if (targets.some((target) => target.pass === null)) return null;
  return targets.every((target) => target.pass === true);
}

const ROW_LABELS: Record<PartName, string> = {
  total_ms: "**voice to voice** (t0 → first audio)",
  engine_share_ms: "**engine's share** (total − LLM)",
  to_transcript_ms: "t0 → transcript received",
  vad_end_of_turn_ms: "· VAD end of turn (t0 → utterance cut)",
  asr_queue_ms: "· ASR queue wait",
  asr_run_ms: "· ASR run (Whisper)",
  transcript_delivery_ms: "· transcript delivery (pool → room)",
  llm_first_token_ms: "LLM first token",
  llm_first_sentence_ms: "LLM first sentence (stand-in)",
  llm_pace_ms: "· of which the stand-in's pace",
  tts_first_sentence_ms: "TTS first sentence",
  reply_delivery_ms: "reply delivery (transcript → turn, hops)",
  delivery_ms: "delivery (all hops)",
};

/** Markdown: one row per part, p50 / p95 / max per level; then the barge-in rows and the targets. */
export function renderTutorTable(levels: readonly LevelReport[], targets: readonly TargetCheck[]): string {
  const header = ["ms", ...levels.flatMap((level) => [`${level.sessions}× p50`, "p95", "max"])];
  const cells = (summary: LatencySummary | null) => (summary === null ? ["—", "—", "—"] : [summary.p50_ms, summary.p95_ms, summary.max_ms].map(formatMs));
  const rows: string[][] = PART_NAMES.map((name) => [ROW_LABELS[name], ...levels.flatMap((level) => cells(level.parts[name]))]);
  rows.push(["**barge-in** (speech start → tutor.interrupted)", ...levels.flatMap((level) => cells(level.barge_in.latency))]);
  rows.push([`· less the hold (min_interruption_ms)`, ...levels.flatMap((level) => cells(level.barge_in.latency_less_hold))]);
  rows.push(["turns measured / barge-ins", ...levels.flatMap((level) => [`${level.turns_measured}/${level.turns_planned}`, String(level.barge_in.latency?.count ?? 0), ""])]);
  const table = markdownTable(header, rows);
  const verdicts = targets.map((t) => `${t.sessions}× ${t.name} ${t.value_ms === null ? "—" : formatMs(t.value_ms)} ms (≤ ${t.limit_ms}): ${t.pass === null ? "n/a" : t.pass ? "met" : "MISSED"}`);
  const pool = levels.map((level) => {
    const s = level.pool_stages;
    if (s === null) return `${level.sessions}×: pool stages unavailable`;
    return (
      `${level.sessions}× every utterance (/metrics, mean): ASR queue ${formatMs(s.asr_queue_wait.mean_ms)}, ASR run ${formatMs(s.asr_run.mean_ms)}, ` +
      `cut → transcript ${formatMs(s.speech_end_to_transcript.mean_ms)}, VAD end of turn ${level.vad_end_of_turn_mean_ms === null ? "—" : formatMs(level.vad_end_of_turn_mean_ms)} ms ` +
      `(${s.asr_run.count} utterances; pool figures per turn for ${level.pool_attributed_turns} of ${level.turns_measured} turns)`
    );
  });
  return [table, "", ...pool, "", ...verdicts].join("\n");
}

function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const rule = `|${header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

function formatMs(value: number): string {
  return String(Math.round(value));
}

/** The machine line above the table. */
export function machineLine(machine: MachineInfo, loadEnd: number): string {
  return `${machine.cpus} CPUs (${machine.cpu_model}), Node ${machine.node_version}, load ${machine.load_average_1m} → ${loadEnd}`;
}
