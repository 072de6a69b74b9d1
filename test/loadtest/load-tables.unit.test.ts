import { describe, expect, it } from "vitest";
import { formatStepTable, type StepVerdict } from "../../loadtest/capacity-steps.js";
import { DEFAULT_LOAD_OPTIONS } from "../../loadtest/load-options.js";
import { formatSummary, mergeReports, type LoadResult } from "../../loadtest/load-report.js";
import type { WorkerReport } from "../../loadtest/worker-protocol.js";

/**
 * Checks one table as `formatTable` prints it (header, dashed rule, rows): every cell sits inside its column's span
 * (taken from the rule), with the gaps between columns blank, numbers against the right edge and text the left.
 */
function expectAligned(lines: string[], numericColumns: number[]): void {
  const [header, rule, ...rows] = lines;
  expect(header).toBeDefined();
  expect(rule).toMatch(/^-+( {2}-+)*$/);
  const spans = [...(rule ?? "").matchAll(/-+/g)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  expect(spans.length).toBeGreaterThan(1);
  for (const line of [header ?? "", ...rows]) {
    const padded = line.padEnd(rule?.length ?? 0);
    expect(padded.length, line).toBe(rule?.length);
    spans.forEach((span, i) => {
      const cell = padded.slice(span.start, span.end);
      expect(cell.trim().length, `column ${i} of "${line}"`).toBeGreaterThan(0);
      const gap = padded.slice(span.end, spans[i + 1]?.start ?? span.end);
      expect(gap, `gap after column ${i} of "${line}"`).toMatch(/^ *$/);
      if (line === header) return;
      if (numericColumns.includes(i)) expect(cell.endsWith(" "), `column ${i} right-aligned in "${line}"`).toBe(false);
      else expect(cell.startsWith(" "), `column ${i} left-aligned in "${line}"`).toBe(false);
    });
  }
}

function workerReport(overrides: Partial<WorkerReport>): WorkerReport {
  return {
    joins_ok: 3,
    join_failures: {},
    join_ms: [8, 12],
    utterances_sent: 2,
    utterances_heard_by_all: 2,
    deliveries_expected: 6,
    deliveries_received: 6,
    speaking_ms: [300, 420],
    speaking_missed: 0,
    speaker_transcript_ms: [900, 12_345.6],
    listener_transcript_ms: [950, 1_020],
    speaker_interim_ms: [700, 1_100],
    interims_missed: 1,
    missing: [],
    unmatched_transcripts: 0,
    duplicate_transcripts: 0,
    alignment_ms: [],
    errors: {},
    audio_errors: 0,
    disconnects: {},
    frames_sent: 1_000,
    window_from_ms: 0,
    window_ms: 10_000,
    window_utterances: [],
    max_lag_ms: 20,
    cpu_ms: 100,
    wall_ms: 1_000,
    ...overrides,
  };
}

function result(reports: WorkerReport[]): LoadResult {
  const stage = { asr_queue_wait: 12, asr_run: 900, speech_end_to_transcript: 950 };
  return mergeReports(
    DEFAULT_LOAD_OPTIONS,
    reports,
    {
      samples: 20,
      cpu_cores_mean: 0.7,
      cpu_cores_max: 1.1,
      rss_mb_idle: 1700,
      rss_mb_peak: 1733.2,
      heap_mb_idle: 50,
      heap_mb_peak: 64,
      vad_queue_max: 21,
      asr_queue_max: 1,
      asr_queue_mean: 0.2,
      vad_mean_batch: 1.7,
      asr_rejected: 0,
      stage_mean_ms: stage,
      memory_per_session_mb: 4.25,
      heap_per_session_mb: 7.45,
      metrics_scrape_failures: 0,
    },
    { startedAt: new Date(0), audio: "test", audioDurationMs: 6_000, utterancesInAudio: 4, engineLabel: "test", elapsedMs: 30_000, streamMs: 30_000 },
  );
}

/** The lines of the summary's latency table: from its header to the blank line after it. */
function latencyTable(summary: string): string[] {
  const lines = summary.split("\n");
  const start = lines.findIndex((l) => l.startsWith("latency (ms)"));
  expect(start).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf("", start);
  return lines.slice(start, end === -1 ? undefined : end);
}

describe("the load test's tables", () => {
  it("the summary's latency table: labels padded to the longest, numbers right-aligned under their headers", () => {
    const table = latencyTable(formatSummary(result([workerReport({}), workerReport({ join_ms: [123_456] })])));
    // Header, rule, five latencies.
    expect(table).toHaveLength(7);
    expect(table[5]).toMatch(/^utterance end → transcript \(listener\)\s+4\s+950\s+1020\s+1020\s+1020$/);
    expect(table[6]).toMatch(/^speech sent → first interim \(speaker\)\s+4\s+700\s+1100\s+1100\s+1100$/);
    expectAligned(table, [1, 2, 3, 4, 5]);
  });

  it("a latency with no samples still fills its row", () => {
    const table = latencyTable(formatSummary(result([workerReport({ speaking_ms: [], speaking_missed: 2 })])));
    expect(table.find((l) => l.startsWith("speech sent → speaking"))).toMatch(/\s0\s+0\s+0\s+0\s+0$/);
    expectAligned(table, [1, 2, 3, 4, 5]);
  });

  it("the capacity ramp's steps: one row per step, columns as wide as their widest cell", () => {
    const step = (sessions: number, ok: boolean, why: string, p99: number): StepVerdict => ({
      sessions,
      ok,
      why,
      p99_ms: p99,
      interim_p50_ms: 640,
      interim_p95_ms: 1_180,
      offered_per_s: sessions * 0.22,
      sustained_per_s: sessions * 0.21,
      audio_rejected: 0,
      missing_deliveries: ok ? 0 : 3,
      engine_cpu_cores: sessions / 8,
      rss_mb_peak: 1700 + sessions * 4.5,
      memory_per_session_mb: 4.5,
      heap_per_session_mb: 0.7,
      generator_cpu_cores: 0.05 * sessions,
    });
    const lines = formatStepTable([
      step(1, true, "within bound", 812),
      step(64, false, "p99 23456 ms > 2000 ms, 3 transcripts never arrived", 23_456),
      step(128, false, "p99 123456 ms > 2000 ms", 123_456),
    ]).split("\n");
    expect(lines).toHaveLength(5);
    expectAligned(lines, [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});
