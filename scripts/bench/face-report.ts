import type { TargetResult } from "./bench-report.js";
import type { FaceFigures, WithLoad } from "./face-phase.js";
import type { ExpressionPassResult } from "./face-model-passes.js";
import type { FacePassResult } from "./face-throughput.js";
import { ratio } from "./latency-stats.js";
import { formatTable, spread, type Cell } from "./text-table.js";
import type { WithRepetitions } from "./repetitions.js";

/** The face part's targets (issue 11), on the 2-core reference machine. */
export const FACE_TARGETS = {
  expressionBatchedVsOneMin: 1.3,
  expressionTargetStreams: 64,
  liveTargetStreams: 100,
  liveP99MaxMs: 500,
  liveDroppedShareMax: 0.05,
} as const;

type Measured<T> = WithLoad<WithRepetitions<T>>;

export type FaceSection = Omit<FaceFigures, "batched" | "expression"> & {
  batched: (Measured<FacePassResult> & { ratio_vs_one_at_a_time: number | null })[];
  expression: {
    one_at_a_time: Measured<ExpressionPassResult> | null;
    /**
     * `ratio_vs_one_at_a_time`: faces/s ÷ one at a time's; `cpu_ratio_vs_one_at_a_time`: one at a time's CPU ms per
     * face ÷ this one's, the steadier figure on a machine shared with other work.
     */
    batched: (Measured<ExpressionPassResult> & { ratio_vs_one_at_a_time: number | null; cpu_ratio_vs_one_at_a_time: number | null })[];
  };
};

export function faceSection(figures: FaceFigures): FaceSection {
  const baseline = figures.one_at_a_time?.frames_per_s ?? null;
  const expressionBaseline = figures.expression.one_at_a_time?.faces_per_s ?? null;
  const expressionCpu = figures.expression.one_at_a_time?.cpu_ms_per_face ?? null;
  return {
    ...figures,
    batched: figures.batched.map((pass) => ({
      ...pass,
      ratio_vs_one_at_a_time: baseline === null ? null : ratio(pass.frames_per_s, baseline),
    })),
    expression: {
      one_at_a_time: figures.expression.one_at_a_time,
      batched: figures.expression.batched.map((pass) => ({
        ...pass,
        ratio_vs_one_at_a_time: expressionBaseline === null ? null : ratio(pass.faces_per_s, expressionBaseline),
        cpu_ratio_vs_one_at_a_time: expressionCpu === null ? null : ratio(expressionCpu, pass.cpu_ms_per_face),
      })),
    },
  };
}

export function evaluateFaceTargets(face: FaceSection | null): TargetResult[] {
  const n = FACE_TARGETS.expressionTargetStreams;
  // The pipeline's own batch size (the smallest batcher measured at n streams) is the configuration the pool runs.
  const expression = face?.expression.batched.find((pass) => pass.streams === n) ?? null;
  const live = face?.live.find((step) => step.streams === FACE_TARGETS.liveTargetStreams) ?? null;
  const below = (id: string, description: string, max: number, actual: number | null): TargetResult => ({
    id,
    description,
    min: null,
    max,
    actual,
    pass: actual === null ? null : actual < max,
  });
  const actual = expression?.ratio_vs_one_at_a_time ?? null;
  return [
    {
      id: "face_expression_batched_vs_one",
      description: `expression model faces/s, dynamic batcher (max batch ${expression?.max_batch_size ?? "?"}) with ${n} streams ÷ one face per run`,
      min: FACE_TARGETS.expressionBatchedVsOneMin,
      max: null,
      actual,
      pass: actual === null ? null : actual >= FACE_TARGETS.expressionBatchedVsOneMin,
    },
    below(
      "face_live_p99_ms",
      `frame → faces p99 (ms), ${FACE_TARGETS.liveTargetStreams} cameras at 2 fps over gRPC StreamVideo`,
      FACE_TARGETS.liveP99MaxMs,
      live?.latency.p99_ms ?? null,
    ),
    below(
      "face_live_dropped_share",
      `share of frames dropped as stale, ${FACE_TARGETS.liveTargetStreams} cameras at 2 fps`,
      FACE_TARGETS.liveDroppedShareMax,
      live?.dropped_share ?? null,
    ),
  ];
}

export function faceNotes(): string[] {
  return [
    "Face pipeline: scikit-image's astronaut photo (512×512, Debian's python3-skimage) as a q90 baseline JPEG, every " +
      "frame the same bytes (one face each). one_at_a_time: decode on one JpegDecoder thread, BlazeFace run([image]), " +
      "the expression model on its face, each awaited, no batcher. batcher: a fresh FacePipeline (the pool's batcher " +
      "settings: maxBatchSize 16, maxQueueDelayMs 10, keep-newest) with N open streams, each keeping one frame in " +
      "flight and sending the next when answered. frames/s = frames answered ÷ pass wall time.",
    "Face stages per frame: decode = each frame's decode on its thread (the thread's own clock); decode wall = the " +
      "batch's decode step (batch run time − detector − expression) ÷ frames, below decode when threads decode side " +
      "by side; detect and expression = the models' runs (resampling and cropping in JS included) ÷ frames.",
    "Expression model alone: one real face crop (the astronaut's detected box); one_at_a_time = run([crop]) awaited " +
      "in a loop; batcher = a DynamicBatcher (maxQueueDelayMs 10) over run(crops) with N streams, each one crop in flight.",
    "BlazeFace graphs: ms per image on the decoded photo, run([image]) one at a time and run(16), for the shipped " +
      "graph (batch fixed at 1: one session.run per image) and the opened graph (one session.run per batch); both on " +
      "their model thread, as the pool runs them; median over interleaved rounds.",
    "Live: a pool with only the two face models, its gRPC server on 127.0.0.1 in this process (client, server and " +
      "pool share the event loop; the decoding threads and BlazeFace's thread are apart). N cameras over calls of 4, " +
      "each writing a frame every 500 ms (phases spread evenly); latency = write → faces answer; dropped_share = " +
      "frames answered `dropped` (replaced by a newer frame of their stream before their batch started) ÷ frames sent " +
      "in the measured window.",
  ];
}

export function faceTables(face: FaceSection): string[] {
  const pass = (p: Measured<FacePassResult> & { ratio_vs_one_at_a_time?: number | null }): Cell[] => [
    p.path,
    p.detector,
    p.streams,
    p.decoder_threads,
    p.frames,
    p.frames_per_s,
    spread(p, p.frames_per_s),
    p.mean_batch_size,
    p.stages.decode_ms,
    p.stages.decode_wall_ms,
    p.stages.detect_ms,
    p.stages.expression_ms,
    p.latency.p50_ms,
    p.latency.p99_ms,
    p.cpu_ms_per_frame,
    p.cpu.cpu_per_wall,
    p.cpu.other_processes_cores,
    p.load_average_1m,
    p.ratio_vs_one_at_a_time ?? 1,
  ];
  const rows: Cell[][] = [
    ...(face.one_at_a_time === null ? [] : [pass(face.one_at_a_time)]),
    ...face.batched.map(pass),
  ];
  const expressionRows: Cell[][] = [
    ...(face.expression.one_at_a_time === null
      ? []
      : [{ ...face.expression.one_at_a_time, ratio_vs_one_at_a_time: 1, cpu_ratio_vs_one_at_a_time: 1 }]),
    ...face.expression.batched,
  ].map((e) => [
    e.path,
    e.streams,
    e.max_batch_size,
    e.faces,
    e.faces_per_s,
    spread(e, e.faces_per_s),
    e.mean_batch_size,
    e.latency.p50_ms,
    e.latency.p99_ms,
    e.cpu_ms_per_face,
    e.cpu.cpu_per_wall,
    e.load_average_1m,
    e.ratio_vs_one_at_a_time,
    e.cpu_ratio_vs_one_at_a_time,
  ]);
  const g = face.blazeface_graphs;
  const live: Cell[][] = face.live.map((step) => [
    step.streams,
    step.fps,
    step.sent,
    step.answered,
    step.dropped,
    step.errors + step.unanswered,
    `${(100 * step.dropped_share).toFixed(1)} %`,
    step.analysed_per_s,
    step.latency.p50_ms,
    step.latency.p99_ms,
    step.pool_timings_mean_ms.queue,
    step.pool_timings_mean_ms.decode,
    step.pool_timings_mean_ms.detect,
    step.pool_timings_mean_ms.expression,
    step.cpu_ms_per_analysed_frame,
    step.cpu.cpu_per_wall,
    step.load_average_1m,
  ]);
  const p = face.photo;
  const decodeRows: Cell[][] = face.decode_only.map((d) => [
    d.decoder_threads,
    d.in_flight,
    d.frames,
    d.frames_per_s,
    spread(d, d.frames_per_s),
    d.decode_ms,
    d.cpu_ms_per_frame,
    d.cpu.cpu_per_wall,
    d.cpu.other_processes_cores,
    d.load_average_1m,
  ]);
  return [
    "",
    `4a. JPEG decoding alone (libjpeg-turbo wasm on JpegDecoder threads, ${p.width}×${p.height}; decode ms = each frame on its thread)`,
    formatTable(["threads", "in flight", "frames", "frames/s", "spread", "decode ms", "cpu ms/frame", "cpu/wall", "others", "load"], decodeRows),
    "",
    `4b. Face pipeline in process (${p.name} ${p.width}×${p.height}, ${Math.round(p.jpeg_bytes / 1024)} KB JPEG, ${p.faces} face; ` +
      `max batch ${face.max_batch_size}; stage figures are ms per frame; latency = submit → answer)`,
    formatTable(
      [
        "path",
        "blazeface",
        "streams",
        "dec threads",
        "frames",
        "frames/s",
        "spread",
        "mean batch",
        "decode",
        "decode wall",
        "detect",
        "expression",
        "p50 ms",
        "p99 ms",
        "cpu ms/frame",
        "cpu/wall",
        "others",
        "load",
        "vs one",
      ],
      rows,
    ),
    "",
    "5. Expression model alone (one real face crop per request)",
    formatTable(
      ["path", "streams", "max batch", "faces", "faces/s", "spread", "mean batch", "p50 ms", "p99 ms", "cpu ms/face", "cpu/wall", "load", "vs one", "cpu vs one"],
      expressionRows,
    ),
    "",
    `6. BlazeFace, ms per image: shipped graph one a run ${g?.shipped_one_ms ?? "—"}, run(${g?.batch ?? 16}) ` +
      `${g?.shipped_batch_ms ?? "—"}; opened graph one a run ${g?.opened_one_ms ?? "—"}, run(${g?.batch ?? 16}) ` +
      `${g?.opened_batch_ms ?? "—"} (shipped ÷ opened at run(${g?.batch ?? 16}): ${g?.opened_speedup ?? "—"}; load ${g?.load_average_1m ?? "—"})`,
    "",
    "7. Live cameras over gRPC StreamVideo (latency = write → faces; lost = errors + unanswered; pool ms = its own mean timings per frame)",
    formatTable(
      [
        "cameras",
        "fps",
        "sent",
        "answered",
        "dropped",
        "lost",
        "dropped %",
        "analysed/s",
        "p50 ms",
        "p99 ms",
        "queue ms",
        "decode ms",
        "detect ms",
        "expr ms",
        "cpu ms/frame",
        "cpu/wall",
        "load",
      ],
      live,
    ),
  ];
}
