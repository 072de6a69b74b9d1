import { z } from "zod";
import { ONNX_FLOAT, type OnnxSignature, type OnnxValueSignature } from "./onnx-signature.js";

/**
 * The deepfake model's contract (deepfake-onnx.ts describes it): model.json's settings, and what the graph must
 * declare, checked at load against its inputs and outputs, so a model that does not fit is refused with the reason
 * instead of failing at its first run.
 */
const side = z.number().int().min(8).max(1024);
const triple = (value: z.ZodNumber) => z.tuple([value, value, value]);

/** model.json beside the model: every field optional, no other field (a misspelt one is refused, not ignored). */
export const deepfakeConfigSchema = z.strictObject({
  input_size: z.tuple([side, side]).optional(),
  mean: triple(z.number().min(-10).max(10)).default([0.5, 0.5, 0.5]),
  std: triple(z.number().positive().max(10)).default([0.5, 0.5, 0.5]),
  output: z.enum(["probability", "sigmoid", "softmax"]).default("probability"),
  fake_index: z.union([z.literal(0), z.literal(1)]).default(1),
});
export type DeepfakeConfig = z.output<typeof deepfakeConfigSchema>;

/** What the graph was found to declare. */
export interface DeepfakeContract {
  inputName: string;
  outputName: string;
  width: number;
  height: number;
  /** Output columns: 1 (a probability or logit) or 2 (real, fake). */
  classes: 1 | 2;
  /** `dynamic`: N is symbolic and one run takes the batch; `one`: the graph fixes N at 1. */
  batch: "dynamic" | "one";
}

/** The contract the graph meets, or an Error saying which rule it breaks. */
export function checkDeepfakeContract(signature: OnnxSignature, config: DeepfakeConfig): DeepfakeContract {
  const input = only(signature.inputs, "input");
  const output = only(signature.outputs, "output");
  const inputDims = floatDims(input, "input", 4);
  const outputDims = floatDims(output, "output", 2);
  const [batch, channels, graphHeight, graphWidth] = inputDims;
  if (channels !== 3) throw new Error(`its input ${input.name} must be [N, 3, H, W] (RGB, channels first), not ${shapeText(inputDims)}`);
  const batchKind = batchOf(batch, `input ${input.name}`);
  const [outputBatch, classes] = outputDims;
  if (classes !== 1 && classes !== 2) throw new Error(`its output ${output.name} must be [N, 1] or [N, 2], not ${shapeText(outputDims)}`);
  const outputBatchKind = batchOf(outputBatch, `output ${output.name}`);
  if (batchKind === "dynamic" && outputBatchKind === "one") throw new Error(`its output ${output.name} fixes N at 1 where its input leaves N open`);
  if (config.output === "sigmoid" && classes !== 1) throw new Error(`model.json says "output": "sigmoid", which needs an [N, 1] output, not ${shapeText(outputDims)}`);
  if (config.output === "softmax" && classes !== 2) throw new Error(`model.json says "output": "softmax", which needs an [N, 2] output, not ${shapeText(outputDims)}`);
  const height = sizeOf(graphHeight, config.input_size?.[0], "height", input.name);
  const width = sizeOf(graphWidth, config.input_size?.[1], "width", input.name);
  return { inputName: input.name, outputName: output.name, width, height, classes, batch: batchKind };
}

function only(values: readonly OnnxValueSignature[], what: string): OnnxValueSignature {
  const [value] = values;
  if (value === undefined || values.length !== 1) {
    throw new Error(`it must have exactly one ${what}, and has ${values.length} (${values.map((v) => v.name).join(", ") || "none"})`);
  }
  return value;
}

function floatDims(value: OnnxValueSignature, what: string, rank: number): (number | string | null)[] {
  if (value.elementType !== ONNX_FLOAT) throw new Error(`its ${what} ${value.name} must be float32 (ONNX type ${ONNX_FLOAT}), not type ${value.elementType ?? "none"}`);
  if (value.dims?.length !== rank) {
    throw new Error(`its ${what} ${value.name} must have ${rank} dimensions, not ${value.dims === null ? "an undeclared shape" : shapeText(value.dims)}`);
  }
  return value.dims;
}

function batchOf(dim: number | string | null | undefined, what: string): "dynamic" | "one" {
  if (dim === 1) return "one";
  if (typeof dim === "number") throw new Error(`its ${what} fixes N at ${dim}: N must be symbolic or 1`);
  return "dynamic";
}

function sizeOf(graph: number | string | null | undefined, configured: number | undefined, what: string, inputName: string): number {
  if (typeof graph === "number") {
    if (configured !== undefined && configured !== graph) throw new Error(`model.json's input_size ${what} ${configured} differs from the graph's ${graph} (input ${inputName})`);
    return graph;
  }
  if (configured === undefined) throw new Error(`its input ${inputName} leaves the ${what} open: give "input_size": [h, w] in model.json`);
  return configured;
}

function shapeText(dims: readonly (number | string | null)[]): string {
  return `[${dims.map((d) => d ?? "?").join(", ")}]`;
}
