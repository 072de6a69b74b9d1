/**
 * Super-resolution (`enhance`): ESRGAN slim as the pool serves it (the registry's esrgan_slim on its own thread,
 * `loadEsrgan`; no gRPC, no image decoding or encoding), against the plain resamplers it competes with.
 * - Time per frame: ×2 of 128×128 and 256×256, ×4 of 128×128 (median and p95 of a few runs), and the largest input
 *   (512×512 ×2 and ×4, fewer runs); each with the thread's own run time and its wasm heap afterwards, and the
 *   calling thread's event-loop delay meanwhile (the run is off it).
 * - Fidelity: each real photo (Debian's scikit-image samples) cropped to at most 512×512 (sides a multiple of 4),
 *   shrunk by 2 and by 4 (box average), enlarged back by ESRGAN, bicubic (Keys a = −0.5) and nearest-neighbour;
 *   PSNR of each against the photo. A GAN-trained model sharpens rather than matches, so its PSNR may sit below
 *   bicubic's: reported as measured.
 * - The medium variant (not a registry model) on the same photos and the 128×128 cases, on the calling thread, to
 *   say whether it is worth its cost (full mode only).
 * - Load: the thread's start and weights, the warm-up, and the process RSS before, after load and after the runs.
 *
 *   npx tsx scripts/bench/enhance-phase.ts [--quick] [--json out.json]
 *
 * or from bench-inference: `await benchEnhance({ logger, mode })`.
 */
import { writeFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { loadEsrgan, type EsrganModel } from "../../src/inference/models/esrgan.js";
import { EsrganUpscaler } from "../../src/inference/models/esrgan-upscaler.js";
import { cropImage, downscaleArea, psnr, resizeBicubic, resizeNearest } from "../../src/inference/video/image-quality.js";
import type { RgbImage } from "../../src/inference/video/rgb-image.js";
import { createLogger, type Logger } from "../../src/logger.js";
import { createTestPhotos, type TestPhotoName } from "../../test/support/test-photos.js";
import { round, startEventLoopMonitor, summarize, type EventLoopDelaySummary, type LatencySummary } from "./latency-stats.js";
import { formatTable } from "./text-table.js";

export interface EnhanceBenchOptions {
  logger: Logger;
  /** quick: fewer runs, no 512×512 cases, no medium variant. */
  mode: "full" | "quick";
}

const PHOTOS: readonly TestPhotoName[] = ["astronaut", "chelsea", "coffee"];
const MAX_CROP = 512;
const SCALES = [2, 4] as const;
const MIB = 1024 * 1024;

interface TimingCase {
  scale: number;
  side: number;
  runs: { full: number; quick: number };
}

const TIMING_CASES: readonly TimingCase[] = [
  { scale: 2, side: 128, runs: { full: 5, quick: 2 } },
  { scale: 2, side: 256, runs: { full: 5, quick: 2 } },
  { scale: 4, side: 128, runs: { full: 5, quick: 2 } },
  { scale: 2, side: 512, runs: { full: 2, quick: 0 } },
  { scale: 4, side: 512, runs: { full: 2, quick: 0 } },
];

export interface EnhanceTiming {
  case: string;
  scale: number;
  input: [number, number];
  output: [number, number];
  /** The caller's wait per frame: the copy to the thread, the run, the copy back. */
  frame: LatencySummary;
  /** The run on the thread alone. */
  run: LatencySummary;
  /** ESRGAN input pixels a second (run time). */
  input_pixels_per_s: number;
  heap_after_mib: number | null;
  event_loop: EventLoopDelaySummary;
}

export interface EnhanceQuality {
  photo: TestPhotoName;
  crop: [number, number];
  scale: number;
  input: [number, number];
  psnr_db: { esrgan: number; bicubic: number; nearest: number; esrgan_medium: number | null };
  esrgan_ms: number;
}

export interface EnhanceReport {
  model: string;
  licence: string;
  load: {
    /** The thread's TF.js start and both scales' weights, as the thread measured it. */
    thread_load_ms: number;
    /** From the call to a model ready (thread start included). */
    load_ms: number;
    warmup_ms: number;
    weight_bytes: number;
    rss_before_mib: number;
    rss_loaded_mib: number;
    rss_after_runs_mib: number;
  };
  timing: EnhanceTiming[];
  quality: EnhanceQuality[];
  /** Mean PSNR over the photos, per scale. */
  quality_mean: { scale: number; esrgan: number; bicubic: number; nearest: number; esrgan_medium: number | null }[];
  /** The medium variant's time on the 128×128 cases (calling thread), or null in quick mode. */
  medium_timing: { case: string; run: LatencySummary }[] | null;
}

const rssMib = () => round(process.memoryUsage().rss / MIB, 1);

export async function benchEnhance(options: EnhanceBenchOptions): Promise<EnhanceReport> {
  const photos = createTestPhotos();
  const originals = await Promise.all(PHOTOS.map(async (name) => ({ name, image: centreCrop((await photos.photo(name)).rgb) })));
  const rssBefore = rssMib();
  const loadStart = performance.now();
  const loaded = await loadEsrgan({ variant: "slim", logger: options.logger, threads: 1 });
  const loadMs = performance.now() - loadStart;
  const warmStart = performance.now();
  try {
    await loaded.warmup?.();
    const warmupMs = performance.now() - warmStart;
    const rssLoaded = rssMib();
    const source = originals[0]?.image;
    if (source === undefined) throw new Error("no photo");
    const timing: EnhanceTiming[] = [];
    for (const c of TIMING_CASES) {
      const runs = c.runs[options.mode];
      if (runs > 0) timing.push(await timeCase(loaded.model, source, c.scale, c.side, runs));
    }
    const quality: EnhanceQuality[] = [];
    for (const { name, image } of originals) {
      for (const scale of SCALES) quality.push(await measureQuality(loaded.model, name, image, scale));
    }
    // Before the medium variant loads on this thread: what the slim thread's runs left in the process.
    const rssAfterRuns = rssMib();
    const mediumTiming = options.mode === "full" ? await measureMedium(originals, quality, source) : null;
    return {
      model: "esrgan_slim (@upscalerjs/esrgan-slim 1.0.0, TF.js wasm, own thread)",
      licence: "MIT",
      load: {
        thread_load_ms: round(loaded.model.figures.loadMs, 0),
        load_ms: round(loadMs, 0),
        warmup_ms: round(warmupMs, 0),
        weight_bytes: loaded.model.figures.weightBytes,
        rss_before_mib: rssBefore,
        rss_loaded_mib: rssLoaded,
        rss_after_runs_mib: rssAfterRuns,
      },
      timing,
      quality,
      quality_mean: SCALES.map((scale) => meanOf(quality.filter((q) => q.scale === scale), scale)),
      medium_timing: mediumTiming,
    };
  } finally {
    await loaded.dispose();
  }
}

/** The largest centred crop of at most 512×512 whose sides divide by 4. */
function centreCrop(image: RgbImage): RgbImage {
  const width = Math.min(MAX_CROP, image.width) - (Math.min(MAX_CROP, image.width) % 4);
  const height = Math.min(MAX_CROP, image.height) - (Math.min(MAX_CROP, image.height) % 4);
  return cropImage(image, Math.floor((image.width - width) / 2), Math.floor((image.height - height) / 2), width, height);
}

async function timeCase(model: EsrganModel, photo: RgbImage, scale: number, side: number, runs: number): Promise<EnhanceTiming> {
  // A real photo's pixels (its top-left side × side, tiled when the photo is smaller).
  const input = cropImage(photo, 0, 0, Math.min(side, photo.width), Math.min(side, photo.height));
  const frames: number[] = [];
  const threadRuns: number[] = [];
  let heap: number | null = null;
  const stopLoop = startEventLoopMonitor();
  for (let i = 0; i < runs; i++) {
    const sent = performance.now();
    const result = await model.run(input, scale);
    frames.push(performance.now() - sent);
    threadRuns.push(result.upscaleMs);
    heap = result.heapBytes;
  }
  const eventLoop = stopLoop();
  const run = summarize(threadRuns);
  return {
    case: `${input.width}×${input.height} ×${scale}`,
    scale,
    input: [input.width, input.height],
    output: [input.width * scale, input.height * scale],
    frame: summarize(frames),
    run,
    input_pixels_per_s: round((input.width * input.height * 1000) / run.p50_ms, 0),
    heap_after_mib: heap === null ? null : round(heap / MIB, 1),
    event_loop: eventLoop,
  };
}

async function measureQuality(model: EsrganModel, photo: TestPhotoName, original: RgbImage, scale: number): Promise<EnhanceQuality> {
  const small = downscaleArea(original, scale);
  const { width, height } = original;
  const esrgan = await model.run(small, scale);
  return {
    photo,
    crop: [width, height],
    scale,
    input: [small.width, small.height],
    psnr_db: {
      esrgan: round(psnr(original, esrgan.image), 2),
      bicubic: round(psnr(original, resizeBicubic(small, width, height)), 2),
      nearest: round(psnr(original, resizeNearest(small, width, height)), 2),
      esrgan_medium: null,
    },
    esrgan_ms: round(esrgan.upscaleMs, 0),
  };
}

/** The medium variant on the calling thread: its PSNR written into `quality`, and its time on the 128×128 cases. */
async function measureMedium(
  originals: readonly { name: TestPhotoName; image: RgbImage }[],
  quality: EnhanceQuality[],
  photo: RgbImage,
): Promise<{ case: string; run: LatencySummary }[]> {
  const medium = await EsrganUpscaler.load({ variant: "medium" });
  try {
    for (const row of quality) {
      const original = originals.find((o) => o.name === row.photo)?.image;
      if (original === undefined) continue;
      row.psnr_db.esrgan_medium = round(psnr(original, await medium.upscale(downscaleArea(original, row.scale), row.scale)), 2);
    }
    return await timeMedium(medium, photo);
  } finally {
    await medium.close();
  }
}

async function timeMedium(medium: EsrganUpscaler, photo: RgbImage): Promise<{ case: string; run: LatencySummary }[]> {
  const input = cropImage(photo, 0, 0, 128, 128);
  const cases: { case: string; run: LatencySummary }[] = [];
  for (const scale of SCALES) {
    await medium.upscale(input, scale);
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await medium.upscale(input, scale);
      runs.push(performance.now() - started);
    }
    cases.push({ case: `128×128 ×${scale}`, run: summarize(runs) });
  }
  return cases;
}

function meanOf(rows: readonly EnhanceQuality[], scale: number): EnhanceReport["quality_mean"][number] {
  const mean = (pick: (q: EnhanceQuality) => number) => round(rows.reduce((sum, q) => sum + pick(q), 0) / Math.max(1, rows.length), 2);
  const hasMedium = rows.every((q) => q.psnr_db.esrgan_medium !== null);
  return {
    scale,
    esrgan: mean((q) => q.psnr_db.esrgan),
    bicubic: mean((q) => q.psnr_db.bicubic),
    nearest: mean((q) => q.psnr_db.nearest),
    esrgan_medium: hasMedium ? mean((q) => q.psnr_db.esrgan_medium ?? 0) : null,
  };
}

export function enhanceTables(report: EnhanceReport): string[] {
  const { load } = report;
  return [
    `Super-resolution (${report.model}, ${report.licence}): load ${load.load_ms} ms (thread ${load.thread_load_ms} ms), warm-up ${load.warmup_ms} ms, ` +
      `${round(load.weight_bytes / MIB, 2)} MiB of weights; RSS ${load.rss_before_mib} → ${load.rss_loaded_mib} MiB loaded → ${load.rss_after_runs_mib} MiB after the runs`,
    formatTable(
      ["input", "output", "runs", "frame p50 ms", "p95 ms", "run p50 ms", "input px/s", "heap MiB", "loop p99 ms"],
      report.timing.map((t) => [t.case, `${t.output[0]}×${t.output[1]}`, t.frame.count, t.frame.p50_ms, t.frame.p95_ms, t.run.p50_ms, t.input_pixels_per_s, t.heap_after_mib, t.event_loop.p99_ms]),
    ),
    "PSNR against the photo (dB; the photo shrunk by the scale, then enlarged back)",
    formatTable(
      ["photo", "crop", "scale", "input", "ESRGAN slim", "bicubic", "nearest", "ESRGAN medium", "ESRGAN ms"],
      report.quality.map((q) => [q.photo, `${q.crop[0]}×${q.crop[1]}`, `×${q.scale}`, `${q.input[0]}×${q.input[1]}`, q.psnr_db.esrgan, q.psnr_db.bicubic, q.psnr_db.nearest, q.psnr_db.esrgan_medium, q.esrgan_ms]),
    ),
    formatTable(
      ["scale", "mean ESRGAN slim", "mean bicubic", "mean nearest", "mean ESRGAN medium"],
      report.quality_mean.map((m) => [`×${m.scale}`, m.esrgan, m.bicubic, m.nearest, m.esrgan_medium]),
    ),
    ...(report.medium_timing === null ? [] : [`ESRGAN medium (calling thread): ${report.medium_timing.map((m) => `${m.case} p50 ${m.run.p50_ms} ms`).join(", ")}`]),
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, json: { type: "string" } } });
  const report = await benchEnhance({ logger: createLogger(process.env["LOG_LEVEL"] ?? "silent"), mode: values.quick ? "quick" : "full" });
  process.stdout.write(`${enhanceTables(report).join("\n")}\n`);
  if (values.json !== undefined) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
