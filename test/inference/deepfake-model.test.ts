import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEEPFAKE_ONNX_MODULE, DeepfakeOnnx, deepfakeModelPaths } from "../../src/inference/models/deepfake-onnx.js";
import { PoolError } from "../../src/inference/pool-error.js";
import { isModelAbsent } from "../../src/inference/registry/model-absent.js";
import { ModelRegistry } from "../../src/inference/registry/model-registry.js";
import { resampleRegion, type RgbImage } from "../../src/inference/video/rgb-image.js";
import { createLogger } from "../../src/logger.js";
import { rejection } from "../support/rejection.js";
import { createTestPhotos } from "../support/test-photos.js";

/**
 * The deepfake model's loader and contract. No deepfake detector is reachable offline, so the ONNX graphs here are
 * fixtures of the loader, built in the test, not detectors: the mean of the normalised input through a sigmoid (a
 * "probability" that says nothing about faces), and graphs that break the contract. What is tested is that a model
 * placed in MODELS_DIR is found, checked, fed as the contract says and read back in order, and that one that does
 * not fit is refused with its reason.
 */
const { onnx } = onnxProto;
const logger = createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent");
const photos = createTestPhotos();
const SIDE = 8;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "deepfake-model-"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface FixtureGraph {
  /** Output columns (the contract takes 1 or 2). */
  classes: number;
  /** End in a Sigmoid (a probability) or not (the raw mean, a "logit"). */
  sigmoid: boolean;
  batch: "N" | 1;
}

/** input [N, 3, 8, 8] → ReduceMean over C, H, W → Flatten → m: [N, 1] (→ [m, −m, …]: [N, classes]) (→ Sigmoid). */
function fixtureGraph({ classes, sigmoid, batch }: FixtureGraph): Uint8Array {
  const dim = (value: number | string) => onnx.TensorShapeProto.Dimension.create(typeof value === "number" ? { dimValue: value } : { dimParam: value });
  const tensor = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: 1, shape: onnx.TensorShapeProto.create({ dim: dims.map(dim) }) }) }),
    });
  const ints = (name: string, values: number[]) => onnx.AttributeProto.create({ name, ints: values, type: onnx.AttributeProto.AttributeType.INTS });
  const nodes = [
    onnx.NodeProto.create({ opType: "ReduceMean", input: ["image"], output: ["mean"], attribute: [ints("axes", [1, 2, 3]), onnx.AttributeProto.create({ name: "keepdims", i: 1, type: onnx.AttributeProto.AttributeType.INT })] }),
    onnx.NodeProto.create({ opType: "Flatten", input: ["mean"], output: ["flat"], attribute: [onnx.AttributeProto.create({ name: "axis", i: 1, type: onnx.AttributeProto.AttributeType.INT })] }),
  ];
  let last = "flat";
  if (classes !== 1) {
    // Columns m, −m, m, …: two classes whose softmax is sigmoid(±2m), so the fake column matters.
    nodes.push(onnx.NodeProto.create({ opType: "Neg", input: ["flat"], output: ["negated"] }));
    const columns = Array.from({ length: classes }, (_, i) => (i % 2 === 0 ? "flat" : "negated"));
    nodes.push(onnx.NodeProto.create({ opType: "Concat", input: columns, output: ["columns"], attribute: [onnx.AttributeProto.create({ name: "axis", i: 1, type: onnx.AttributeProto.AttributeType.INT })] }));
    last = "columns";
  }
  if (sigmoid) {
    nodes.push(onnx.NodeProto.create({ opType: "Sigmoid", input: [last], output: ["probability"] }));
    last = "probability";
  }
  const graph = onnx.GraphProto.create({
    name: "loader-fixture",
    node: nodes,
    input: [tensor("image", [batch, 3, SIDE, SIDE])],
    output: [tensor(last, [batch, classes])],
  });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: "", version: 13 }], graph })).finish();
}

/** A MODELS_DIR holding this graph (and model.json, when given) as deepfake/model.onnx. */
async function modelsDirWith(name: string, graph: Uint8Array, config?: unknown): Promise<string> {
  const modelsDir = join(root, name);
  const { modelPath, configPath } = deepfakeModelPaths(modelsDir);
  await mkdir(join(modelsDir, "deepfake"), { recursive: true });
  await writeFile(modelPath, graph);
  if (config !== undefined) await writeFile(configPath, JSON.stringify(config));
  return modelsDir;
}

function uniform(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(rgb, p * 3);
  return { width, height, data };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe("the deepfake model without a model file (the default)", () => {
  it("refuses to load with model_unavailable, saying none is available and where one would be loaded from", async () => {
    const modelsDir = join(root, "empty");
    const error = await rejection(DeepfakeOnnx.load({ modelsDir }));
    expect(error).toBeInstanceOf(PoolError);
    expect(isModelAbsent(error)).toBe(true);
    expect(error).toMatchObject({ code: "model_unavailable", retryable: true });
    expect((error as Error).message).toContain("no validated deepfake or anti-spoofing model is available offline");
    expect((error as Error).message).toContain(join(modelsDir, "deepfake", "model.onnx"));
  });

  it("is skipped by a default registry: whenLoaded rejects model_unavailable saying where a model would go", async () => {
    const modelsDir = join(root, "empty-registry");
    const registry = ModelRegistry.start({ modules: [DEEPFAKE_ONNX_MODULE], modelsDir, logger, cores: 2 });
    try {
      const error = await rejection(registry.whenLoaded("deepfake"));
      expect(error).toMatchObject({ code: "model_unavailable" });
      expect((error as Error).message).toMatch(/^no deepfake model is configured \(deepfake_onnx: cannot run on this machine: no validated deepfake or anti-spoofing model/);
      expect((error as Error).message).toContain(join(modelsDir, "deepfake", "model.onnx"));
      // Not a failed slot: nothing was tried, nothing is logged as an error at every start.
      expect(registry.status()).toEqual([]);
    } finally {
      await registry.close();
    }
  });

  it("named in INFERENCE_MODELS and still absent: a failed load with that message, status says why", async () => {
    const modelsDir = join(root, "empty-registry");
    const registry = ModelRegistry.start({ modules: [DEEPFAKE_ONNX_MODULE], models: ["deepfake_onnx"], modelsDir, logger, cores: 2 });
    try {
      const error = await rejection(registry.whenLoaded("deepfake"));
      expect((error as Error).message).toMatch(/^deepfake_onnx is not loaded: no validated deepfake or anti-spoofing model/);
      const [status] = registry.status();
      expect(status).toMatchObject({ name: "deepfake_onnx", task: "deepfake", state: "failed", loaded: false });
      expect(status?.error).toContain(join(modelsDir, "deepfake", "model.onnx"));
    } finally {
      await registry.close();
    }
  });
});

describe("the deepfake model with a loader fixture in MODELS_DIR (not a detector)", () => {
  it("loads it, runs a batch in order and returns the probabilities the graph computes", async () => {
    const modelsDir = await modelsDirWith("mean-sigmoid", fixtureGraph({ classes: 1, sigmoid: true, batch: "N" }));
    const model = await DeepfakeOnnx.load({ modelsDir });
    try {
      expect([model.inputWidth, model.inputHeight]).toEqual([SIDE, SIDE]);
      expect(model.contract).toMatchObject({ inputName: "image", outputName: "probability", classes: 1, batch: "dynamic" });
      const cat = (await photos.photo("chelsea")).rgb;
      const images = [uniform(20, 10, [255, 255, 255]), uniform(3, 5, [0, 0, 0]), uniform(16, 16, [51, 102, 204]), cat];
      const probabilities = await model.run(images);
      // Default normalisation (pixel / 255 − 0.5) / 0.5: white → 1, black → −1; a uniform image's mean needs no resize.
      expect(probabilities[0]).toBeCloseTo(sigmoid(1), 5);
      expect(probabilities[1]).toBeCloseTo(sigmoid(-1), 5);
      expect(probabilities[2]).toBeCloseTo(sigmoid(((0.2 - 0.5) / 0.5 + (0.4 - 0.5) / 0.5 + (0.8 - 0.5) / 0.5) / 3), 5);
      // The photo: resized to 8×8 as the contract says (resampleRegion, area-averaged), then normalised.
      const small = resampleRegion(cat, { x: 0, y: 0, width: cat.width, height: cat.height }, SIDE, SIDE);
      const mean = small.reduce((sum, v) => sum + (v / 255 - 0.5) / 0.5, 0) / small.length;
      expect(probabilities[3]).toBeCloseTo(sigmoid(mean), 5);
      expect(await model.run([])).toEqual([]);
    } finally {
      await model.close();
    }
  });

  it("follows model.json: mean and std, logits through a softmax, fake_index, a graph of batch 1 run an image at a time", async () => {
    // Logits [m, −m] with m the mean of pixel / 255: softmax column 0 is sigmoid(2m).
    const config = { mean: [0, 0, 0], std: [1, 1, 1], output: "softmax", fake_index: 0 };
    const model = await DeepfakeOnnx.load({ modelsDir: await modelsDirWith("softmax", fixtureGraph({ classes: 2, sigmoid: false, batch: 1 }), config) });
    try {
      expect(model.contract).toMatchObject({ classes: 2, batch: "one" });
      const [red, dark] = await model.run([uniform(4, 4, [255, 0, 0]), uniform(9, 9, [10, 10, 10])]);
      expect(red).toBeCloseTo(sigmoid(2 / 3), 5);
      expect(dark).toBeCloseTo(sigmoid((2 * 10) / 255), 5);
    } finally {
      await model.close();
    }
    const logits = await DeepfakeOnnx.load({
      modelsDir: await modelsDirWith("logit", fixtureGraph({ classes: 1, sigmoid: false, batch: "N" }), { mean: [0, 0, 0], std: [1, 1, 1], output: "sigmoid" }),
    });
    try {
      // Raw mean of (pixel / 255): a uniform image of 51 → 0.2, through the sigmoid model.json asks for.
      expect((await logits.run([uniform(8, 8, [51, 51, 51])]))[0]).toBeCloseTo(sigmoid(0.2), 5);
    } finally {
      await logits.close();
    }
    const unlabelled = await DeepfakeOnnx.load({ modelsDir: await modelsDirWith("unlabelled", fixtureGraph({ classes: 1, sigmoid: false, batch: "N" })) });
    try {
      // Default `probability`, but black gives −1: refused rather than reported as a score.
      const error = await rejection(unlabelled.run([uniform(8, 8, [0, 0, 0])]));
      expect(error).toMatchObject({ code: "internal", message: expect.stringContaining('not a probability: if it outputs logits, say "output": "sigmoid"') });
    } finally {
      await unlabelled.close();
    }
  });

  it("refuses a graph whose output is not [N, 1] or [N, 2], and a model.json that contradicts the graph", async () => {
    const wrongOutput = await modelsDirWith("three-classes", fixtureGraph({ classes: 3, sigmoid: true, batch: "N" }));
    const error = await rejection(DeepfakeOnnx.load({ modelsDir: wrongOutput }));
    expect(error).toBeInstanceOf(PoolError);
    expect(isModelAbsent(error)).toBe(false);
    expect(error).toMatchObject({ code: "model_unavailable" });
    expect((error as Error).message).toBe(
      `the deepfake model at ${join(wrongOutput, "deepfake", "model.onnx")} was not loaded: its output probability must be [N, 1] or [N, 2], not [N, 3]`,
    );
    const contradicting = await modelsDirWith("contradicting", fixtureGraph({ classes: 1, sigmoid: true, batch: "N" }), { output: "softmax" });
    expect(await rejection(DeepfakeOnnx.load({ modelsDir: contradicting }))).toMatchObject({
      message: expect.stringContaining('model.json says "output": "softmax", which needs an [N, 2] output, not [N, 1]'),
    });
    const misspelt = await modelsDirWith("misspelt", fixtureGraph({ classes: 1, sigmoid: true, batch: "N" }), { inputsize: [8, 8] });
    expect(await rejection(DeepfakeOnnx.load({ modelsDir: misspelt }))).toMatchObject({ message: expect.stringContaining("its model.json does not fit the contract") });
    const garbage = join(root, "garbage");
    await mkdir(join(garbage, "deepfake"), { recursive: true });
    await writeFile(deepfakeModelPaths(garbage).modelPath, "not an onnx file at all");
    expect(await rejection(DeepfakeOnnx.load({ modelsDir: garbage }))).toMatchObject({ code: "model_unavailable" });
  });

  it("loads through the registry and serves the deepfake task", async () => {
    const modelsDir = await modelsDirWith("registry", fixtureGraph({ classes: 1, sigmoid: true, batch: "N" }));
    const registry = ModelRegistry.start({ modules: [DEEPFAKE_ONNX_MODULE], modelsDir, logger, cores: 2 });
    try {
      const model = await registry.whenLoaded("deepfake");
      expect(registry.status()[0]).toMatchObject({ name: "deepfake_onnx", state: "loaded", batching: "dynamic" });
      expect((await model.run([uniform(8, 8, [255, 255, 255])]))[0]).toBeCloseTo(sigmoid(1), 5);
    } finally {
      await registry.close();
    }
  });
});
