import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const run = promisify(execFile);

/**
 * Several TfWasmRuntimes in one realm, as when the registry's expression model owns one and something else in the
 * process made another. TF.js's engine is per realm and this test file's may be started already, so the runtimes
 * start in a fresh process: the case that failed was two first starts at once (the second initialisation made the
 * first one's `setBackend` answer false).
 */
const CHILD = `
const { TfWasmRuntime } = await import("./src/inference/models/tfjs-wasm.ts");
const { FaceExpression } = await import("./src/inference/models/face-expression.ts");
const runtimes = [new TfWasmRuntime(), new TfWasmRuntime(), new TfWasmRuntime()];
const started = await Promise.allSettled(runtimes.map((runtime) => runtime.ready()));
const models = await Promise.all(runtimes.slice(0, 2).map((runtime) => FaceExpression.load({ runtime })));
const frame = { width: 96, height: 96, data: new Uint8Array(96 * 96 * 3).map((_, i) => (i * 7) % 256) };
const scores = await Promise.all(models.map((model) => model.run([{ image: frame, box: { x: 16, y: 16, width: 64, height: 64 } }])));
await models[0].close();
const afterClose = await models[1].run([{ image: frame, box: { x: 16, y: 16, width: 64, height: 64 } }]);
const tfs = started.map((s) => (s.status === "fulfilled" ? s.value.tf : null));
console.log(JSON.stringify({
  started: started.map((s) => (s.status === "fulfilled" ? "ok" : String(s.reason))),
  oneEngine: tfs.every((tf) => tf === tfs[0]),
  backend: tfs[0]?.getBackend() ?? null,
  scores: scores.map(([s]) => s.scores),
  afterClose: afterClose[0].scores,
}));
`;

const report = z.object({
  started: z.array(z.string()),
  oneEngine: z.boolean(),
  backend: z.string().nullable(),
  scores: z.array(z.record(z.string(), z.number())),
  afterClose: z.record(z.string(), z.number()),
});

describe("TfWasmRuntime, created more than once", () => {
  it("starts every runtime of a fresh process at once on one wasm engine; closing one model leaves the other running", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD], { timeout: 60_000 });
    const result = report.parse(JSON.parse(stdout.trim().split("\n").at(-1) ?? "null"));
    expect(result).toMatchObject({ started: ["ok", "ok", "ok"], oneEngine: true, backend: "wasm" });
    expect(result.scores[1]).toEqual(result.scores[0]);
    expect(result.afterClose).toEqual(result.scores[0]);
  }, 90_000);
});
