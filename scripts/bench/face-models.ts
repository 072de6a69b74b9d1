/**
 * Cost of the video models on a real photo (scikit-image's astronaut, as a q90 JPEG), one item at a time vs a
 * batch of 16 through each model's `run(inputs[])`: JPEG decode, BlazeFace (the shipped batch-1 graph, one
 * `session.run` per image, vs the graph with its batch dimension opened, one `session.run` per batch), and the
 * expression model per face. Rounds interleave the variants so drifting load on a shared machine hits all alike;
 * each figure is the median over rounds of the mean ms per item (min in brackets), wall and process CPU time.
 * Not wired into bench:inference.
 * Usage: npx tsx scripts/bench/face-models.ts [--rounds N] [--json PATH]
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { encode } from "jpeg-js";
import { BlazeFace, type FaceDetection } from "../../src/inference/models/blazeface.js";
import { FaceExpression, type FaceCrop } from "../../src/inference/models/face-expression.js";
import { TfWasmRuntime } from "../../src/inference/models/tfjs-wasm.js";
import { decodeJpegFrame } from "../../src/inference/video/jpeg-frame.js";
import { resampleRegion, type Region, type RgbImage } from "../../src/inference/video/rgb-image.js";
import { createTestPhotos } from "../../test/support/test-photos.js";
import { machineInfo } from "./machine-info.js";

const BATCH = 16;

const { values } = parseArgs({ options: { rounds: { type: "string", default: "7" }, json: { type: "string" } } });
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error("--rounds takes a positive integer");

interface Sample {
  wallMs: number;
  /** CPU time of the whole process (every thread): steadier than wall time while others load the machine. */
  cpuMs: number;
}

/** Wall and CPU ms per item of `work`, which handles `items` items. */
async function perItem(items: number, work: () => Promise<unknown>): Promise<Sample> {
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  await work();
  const cpu = process.cpuUsage(cpuBefore);
  return { wallMs: (performance.now() - startedAt) / items, cpuMs: (cpu.user + cpu.system) / 1000 / items };
}

async function sequentially<T>(count: number, one: () => Promise<T>): Promise<void> {
  for (let i = 0; i < count; i++) await one();
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** The photo centred in a black 1280×720 frame: the largest frame a client may send. */
function hdFrame(photo: RgbImage): Uint8Array {
  const width = 1280;
  const height = 720;
  const rgba = new Uint8Array(width * height * 4);
  const left = (width - photo.width) / 2;
  const top = Math.floor((height - photo.height) / 2);
  for (let y = 0; y < photo.height; y++) {
    for (let x = 0; x < photo.width; x++) {
      const from = (y * photo.width + x) * 3;
      rgba.set([photo.data[from] ?? 0, photo.data[from + 1] ?? 0, photo.data[from + 2] ?? 0, 255], ((top + y) * width + left + x) * 4);
    }
  }
  return encode({ width, height, data: rgba }, 90).data;
}

const photo = await createTestPhotos().photo("astronaut");
const astronaut = decodeJpegFrame(photo.jpeg);
const hd = hdFrame(astronaut);
const hdImage = decodeJpegFrame(hd);
/** The letterbox square BlazeFace samples. */
const whole = (image: RgbImage): Region => {
  const side = Math.max(image.width, image.height);
  return { x: (image.width - side) / 2, y: (image.height - side) / 2, width: side, height: side };
};
const modelsDir = await mkdtemp(join(tmpdir(), "face-bench-"));
const runtime = new TfWasmRuntime();
const loadStartedAt = performance.now();
const single = await BlazeFace.load({ thread: "current" });
const loadBlazeFaceMs = performance.now() - loadStartedAt;
const opened = await BlazeFace.load({ thread: "current", batching: "opened", modelsDir });
const worker = await BlazeFace.load({ thread: "worker" });
const expressionStartedAt = performance.now();
const expression = await FaceExpression.load({ runtime });
const loadExpressionMs = performance.now() - expressionStartedAt;

const images = Array.from({ length: BATCH }, () => astronaut);
const [faces] = await single.run([astronaut]);
const face: FaceDetection | undefined = faces?.[0];
if (face === undefined) throw new Error("no face found on the astronaut: nothing to measure the expression model on");
const crops: FaceCrop[] = Array.from({ length: BATCH }, () => ({ image: astronaut, box: face.box }));

const variants: Record<string, () => Promise<Sample>> = {
  "decode 512×512 JPEG (85 KB)": () => perItem(BATCH, () => sequentially(BATCH, async () => decodeJpegFrame(photo.jpeg))),
  [`decode 1280×720 JPEG (${Math.round(hd.length / 1024)} KB)`]: () =>
    perItem(4, () => sequentially(4, async () => decodeJpegFrame(hd))),
  "BlazeFace input: resample 512×512 → 128×128 (JS, in every run)": () =>
    perItem(BATCH, () => sequentially(BATCH, async () => resampleRegion(astronaut, whole(astronaut), 128, 128))),
  "BlazeFace input: resample 1280×720 → 128×128": () =>
    perItem(BATCH, () => sequentially(BATCH, async () => resampleRegion(hdImage, whole(hdImage), 128, 128))),
  "BlazeFace shipped graph, 1 image a run()": () => perItem(BATCH, () => sequentially(BATCH, () => single.run([astronaut]))),
  [`BlazeFace shipped graph, run(${BATCH}) (one session.run each)`]: () => perItem(BATCH, () => single.run(images)),
  "BlazeFace opened graph, 1 image a run()": () => perItem(BATCH, () => sequentially(BATCH, () => opened.run([astronaut]))),
  [`BlazeFace opened graph, run(${BATCH}) (one session.run)`]: () => perItem(BATCH, () => opened.run(images)),
  "BlazeFace shipped graph on its worker thread, 1 image a run()": () =>
    perItem(BATCH, () => sequentially(BATCH, () => worker.run([astronaut]))),
  [`BlazeFace shipped graph on its worker thread, run(${BATCH})`]: () => perItem(BATCH, () => worker.run(images)),
  "expression, 1 face a run()": () => perItem(BATCH, () => sequentially(BATCH, () => expression.run([{ image: astronaut, box: face.box }]))),
  [`expression, run(${BATCH}) (one execute)`]: () => perItem(BATCH, () => expression.run(crops)),
};

const samples = new Map<string, Sample[]>(Object.keys(variants).map((name) => [name, []]));
for (let round = 0; round <= rounds; round++) {
  for (const [name, measure] of Object.entries(variants)) {
    const ms = await measure();
    if (round > 0) samples.get(name)?.push(ms); // round 0 warms every path up
  }
}

const machine = machineInfo();
const results = Object.fromEntries(
  [...samples].map(([name, runs]) => {
    const wall = runs.map((run) => run.wallMs);
    const cpu = runs.map((run) => run.cpuMs);
    return [name, { median_ms: round3(median(wall)), min_ms: round3(Math.min(...wall)), median_cpu_ms: round3(median(cpu)) }];
  }),
);
process.stdout.write(
  `face models on ${machine.cpus} × ${machine.cpu_model}, load average ${machine.load_average_1m} at start; ` +
    `${rounds} rounds; per item: wall ms median [min], process CPU ms median\n` +
    `load: BlazeFace ${Math.round(loadBlazeFaceMs)} ms, expression (TF.js wasm start + model) ${Math.round(loadExpressionMs)} ms\n`,
);
for (const [name, result] of Object.entries(results)) {
  const wall = `${result.median_ms.toFixed(2).padStart(8)} [${result.min_ms.toFixed(2)}]`;
  process.stdout.write(`  ${name.padEnd(64)} ${wall.padEnd(20)} cpu ${result.median_cpu_ms.toFixed(2)}\n`);
}
if (values.json !== undefined) {
  const path = resolve(values.json);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify({ machine, rounds, batch: BATCH, load_ms: { blazeface: loadBlazeFaceMs, expression: loadExpressionMs }, results }, null, 2)}\n`);
}

await Promise.all([single.close(), opened.close(), worker.close(), expression.close()]);
await rm(modelsDir, { recursive: true, force: true });

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
