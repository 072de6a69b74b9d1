/**
 * What each model costs in memory: a standalone pool (`src/inference-main.ts`, as `npm run inference` runs it) is
 * started with every model, then once without each model in turn; a model's share is the RSS of the pool with all
 * of them minus the RSS without it (its weights, its runtime's arenas and threads, and a runtime it alone needs,
 * such as TF.js for the expression model).
 *
 *   npx tsx scripts/bench/model-memory.ts [--repetitions 3] [--json out.json]
 *
 * Each start waits for "inference models ready", then 2 s, and reads VmRSS from /proc. The pool runs as built
 * (`dist/inference-main.js`) when `npm run build` has run, else under tsx (whose loader adds its own memory).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { deepfakeModelAbsence } from "../../src/inference/models/deepfake-onnx.js";
import { KNOWN_MODEL_NAMES } from "../../src/inference/registry/model-names.js";
import { machineInfo } from "./machine-info.js";
import { formatTable } from "./report-table.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SETTLE_MS = 2_000;
const BENCH_MODELS_DIR = process.env["MODELS_DIR"] ?? join(tmpdir(), "engine-test-models");
const READY_TIMEOUT_MS = 120_000;
const MIB = 1024 * 1024;

interface Start {
  models: readonly string[];
  rssBytes: number;
  readyMs: number;
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

/** Starts a pool with `models`, waits until they are ready and settled, reads its RSS, stops it. */
async function startPool(models: readonly string[]): Promise<Start> {
  const built = join(ROOT, "dist/inference-main.js");
  const [command, args] = existsSync(built)
    ? [process.execPath, [built]]
    : [process.execPath, ["--import", "tsx", join(ROOT, "src/inference-main.ts")]];
  const startedMs = performance.now();
  const child = spawn(command, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      INFERENCE_HOST: "127.0.0.1",
      INFERENCE_PORT: "0",
      INFERENCE_MODELS: models.join(","),
      INFERENCE_TOKEN: "model-memory-bench-token-0123456789abcdef",
      MODELS_DIR: BENCH_MODELS_DIR,
      DATA_DIR: join(tmpdir(), "model-memory-bench"),
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const readyMs = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`models ${models.join(",")} not ready in ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      let buffered = "";
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        if (buffered.includes('"inference models ready"')) {
          clearTimeout(timer);
          resolve(performance.now() - startedMs);
        } else if (buffered.includes('"inference models unavailable"')) {
          clearTimeout(timer);
          reject(new Error(`models ${models.join(",")} failed to load`));
        }
      });
      child.once("exit", (code) => reject(new Error(`the pool exited (${code}) before its models were ready`)));
    });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    if (child.pid === undefined) throw new Error("no pid");
    return { models, rssBytes: await rssOf(child.pid), readyMs };
  } finally {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export interface ModelMemoryReport {
  runtime: "built" | "tsx";
  repetitions: number;
  all_models_rss_mib: number;
  all_models_ready_ms: number;
  models: { model: string; share_mib: number; rss_without_mib: number }[];
}

export async function measureModelMemory(repetitions: number): Promise<ModelMemoryReport> {
  // Every model there is to load: the deepfake detector only once a model file is placed in MODELS_DIR.
  const all = KNOWN_MODEL_NAMES.filter((name) => name !== "deepfake_onnx" || deepfakeModelAbsence(BENCH_MODELS_DIR) === null);
  const sets = [all, ...all.map((model) => all.filter((other) => other !== model))];
  const rss = new Map<number, number[]>();
  const ready: number[] = [];
  // Interleaved, so a drift of the machine over the run touches every set alike.
  for (let round = 0; round < repetitions; round += 1) {
    for (const [index, models] of sets.entries()) {
      const start = await startPool(models);
      rss.set(index, [...(rss.get(index) ?? []), start.rssBytes]);
      if (index === 0) ready.push(start.readyMs);
    }
  }
  const allRss = median(rss.get(0) ?? []);
  return {
    runtime: existsSync(join(ROOT, "dist/inference-main.js")) ? "built" : "tsx",
    repetitions,
    all_models_rss_mib: allRss / MIB,
    all_models_ready_ms: median(ready),
    models: all.map((model, i) => {
      const without = median(rss.get(i + 1) ?? []);
      return { model, share_mib: (allRss - without) / MIB, rss_without_mib: without / MIB };
    }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { repetitions: { type: "string", default: "3" }, json: { type: "string" } } });
  const repetitions = Number(values.repetitions);
  if (!Number.isInteger(repetitions) || repetitions < 1) throw new Error("--repetitions takes a whole number");
  const report = await measureModelMemory(repetitions);
  const round = (n: number) => Math.round(n * 10) / 10;
  process.stdout.write(
    `${formatTable(
      ["model", "share MiB", "pool RSS without it MiB"],
      report.models.map((m) => [m.model, round(m.share_mib), round(m.rss_without_mib)]),
    )}\nall models: ${round(report.all_models_rss_mib)} MiB RSS, ready in ${Math.round(report.all_models_ready_ms)} ms (${report.runtime}, median of ${repetitions})\n`,
  );
  if (values.json !== undefined) await writeFile(values.json, `${JSON.stringify({ machine: machineInfo(), ...report }, null, 2)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
