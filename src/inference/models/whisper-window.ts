import onnxProto from "onnx-proto";
import { MODEL_SAMPLE_RATE } from "../pool-types.js";
import { InferenceError } from "./inference-error.js";

const { onnx } = onnxProto;
type ModelProto = onnxProto.onnx.ModelProto;
type GraphProto = onnxProto.onnx.IGraphProto;
type NodeProto = onnxProto.onnx.INodeProto;
type ValueInfo = onnxProto.onnx.IValueInfoProto;

/**
 * Whisper's encoder always sees 30 s: the shipped graph pads the log-mel features to 3,000 frames (10 ms each)
 * before the encoder, whose positional embedding has 1,500 rows (one per 20 ms after its stride-2 convolution), so
 * a 3.5 s utterance pays for 30 s of encoder. `openWhisperWindow` makes the window an input, with the same weights:
 * - the int64 scalar 3000 the padding is computed from (`Sub(3000, frames)` → `ConstantOfShape`) becomes the graph
 *   input `window_frames`;
 * - the encoder adds only the first `frames / 2` rows of `embed_positions` (a `Slice` by its input's width);
 * - the encoder subgraph's fixed dims (input 3000, hidden states and cross-attention K/V 1500) become symbolic.
 * The decoder's dims are symbolic already. One session then serves every window; the caller picks one per
 * utterance (`pickWindow`). Windows under 15 s made the decoder loop on recorded speech (README, "Whisper's
 * window"), so the defaults start there.
 */

/** Frames (10 ms log-mel hops) of the window the shipped graph pads to. */
export const WHISPER_FULL_WINDOW_FRAMES = 3000;
/** The input `openWhisperWindow` adds: int64 [1], the log-mel frames the features are padded to. */
export const WINDOW_INPUT = "window_frames";
const HOP_SAMPLES = MODEL_SAMPLE_RATE / 100;
const ONNX_INT64 = 7;
const ONNX_FLOAT = 1;

/**
 * Longest input (samples) whose features fit `frames`: the STFT (edges reflect-padded by 200 samples) gives
 * `floor(samples / 160) + 1` frames and the graph drops the last one; one hop is kept spare.
 */
export function windowCapacitySamples(frames: number): number {
  return (frames - 1) * HOP_SAMPLES;
}

/** The smallest of `windows` (frames, any order) that holds `samples`, or null when none does. */
export function pickWindow(windows: readonly number[], samples: number): number | null {
  let best: number | null = null;
  for (const frames of windows) {
    if (windowCapacitySamples(frames) >= samples && (best === null || frames < best)) best = frames;
  }
  return best;
}

/** A window must be even (the encoder halves it) and within what the positional embedding covers. */
export function validWindow(frames: number): boolean {
  return Number.isInteger(frames) && frames % 2 === 0 && frames >= 2 && frames <= WHISPER_FULL_WINDOW_FRAMES;
}

/** Edits a prepared Whisper model in place: the encoder window becomes the input `window_frames` (see above). */
export function openWhisperWindow(model: ModelProto): void {
  const graph = model.graph;
  if (graph === null || graph === undefined) throw unexpected("the model has no graph");
  windowAsInput(graph);
  const encoder = encoderGraph(graph);
  slicePositions(encoder);
  const symbolic = new Map<number, string>([
    [WHISPER_FULL_WINDOW_FRAMES, "window_frames"],
    [WHISPER_FULL_WINDOW_FRAMES / 2, "window_positions"],
  ]);
  for (const info of [...(encoder.input ?? []), ...(encoder.output ?? []), ...(encoder.valueInfo ?? [])]) {
    symbolicDims(info, symbolic);
  }
}

/** Replaces the one int64 scalar Constant 3000 that a `Sub` reads (the padding target) by the graph input. */
function windowAsInput(graph: GraphProto): void {
  const nodes = graph.node ?? [];
  const subs = nodes.filter((node) => node.opType === "Sub");
  const targets = nodes.filter((node) => {
    const output = node.output?.[0];
    if (node.opType !== "Constant" || output === undefined || !subs.some((sub) => sub.input?.includes(output))) return false;
    return int64Scalar(node.attribute?.find((attribute) => attribute.name === "value")?.t) === BigInt(WHISPER_FULL_WINDOW_FRAMES);
  });
  const target = targets[0];
  const output = target?.output?.[0];
  if (targets.length !== 1 || target === undefined || output === undefined) {
    throw unexpected(`expected one int64 constant ${WHISPER_FULL_WINDOW_FRAMES} feeding a Sub, found ${targets.length}`);
  }
  graph.node = nodes.filter((node) => node !== target);
  for (const sub of subs) sub.input = (sub.input ?? []).map((name) => (name === output ? WINDOW_INPUT : name));
  // A scalar, as the constant was (Sub then Unsqueeze into the pad shape); fed as int64 [] by the caller.
  graph.input = [
    ...(graph.input ?? []),
    onnx.ValueInfoProto.create({
      name: WINDOW_INPUT,
      type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: ONNX_INT64, shape: onnx.TensorShapeProto.create({ dim: [] }) }) }),
    }),
  ];
}

function encoderGraph(graph: GraphProto): GraphProto {
  const search = (graph.node ?? []).find((node) => node.opType === "BeamSearch");
  const encoder = search?.attribute?.find((attribute) => attribute.name === "encoder")?.g;
  if (encoder === null || encoder === undefined) throw unexpected("no BeamSearch encoder subgraph");
  return encoder;
}

/** `Add(x, embed_positions)` → `Add(x, Slice(embed_positions, 0, Shape(input)[2] / 2))`. */
function slicePositions(encoder: GraphProto): void {
  const positions = (encoder.initializer ?? []).find((init) => init.name?.endsWith("encoder.embed_positions.weight") === true);
  const name = positions?.name;
  const dims = positions?.dims?.map(Number);
  if (positions === undefined || name === null || name === undefined || dims?.[0] !== WHISPER_FULL_WINDOW_FRAMES / 2 || positions.dataType !== ONNX_FLOAT) {
    throw unexpected("the encoder's embed_positions is not a float [1500, width] initializer");
  }
  const features = encoder.input?.[0]?.name;
  const adds = (encoder.node ?? []).filter((node) => node.input?.includes(name));
  if (features === null || features === undefined || adds.length !== 1 || adds[0]?.opType !== "Add") {
    throw unexpected("embed_positions is not read by exactly one Add");
  }
  const p = "window/";
  encoder.initializer = [
    ...(encoder.initializer ?? []),
    int64Tensor(`${p}two`, [2n]),
    int64Tensor(`${p}zero`, [0n]),
    int64Tensor(`${p}axis0`, [0n]),
    int64Tensor(`${p}dim2_start`, [2n]),
    int64Tensor(`${p}dim2_end`, [3n]),
  ];
  const added: NodeProto[] = [
    node("Shape", [features], [`${p}shape`]),
    node("Slice", [`${p}shape`, `${p}dim2_start`, `${p}dim2_end`], [`${p}frames`]),
    node("Div", [`${p}frames`, `${p}two`], [`${p}rows`]),
    node("Slice", [name, `${p}zero`, `${p}rows`, `${p}axis0`], [`${p}positions`]),
  ];
  const add = adds[0];
  add.input = (add.input ?? []).map((input) => (input === name ? `${p}positions` : input));
  const at = (encoder.node ?? []).indexOf(add);
  encoder.node = [...(encoder.node ?? []).slice(0, at), ...added, ...(encoder.node ?? []).slice(at)];
}

function node(opType: string, input: string[], output: string[]): NodeProto {
  return onnx.NodeProto.create({ opType, input, output, name: `window/${output[0] ?? opType}` });
}

function int64Tensor(name: string, values: bigint[]): onnxProto.onnx.TensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((value, i) => view.setBigInt64(i * 8, value, true));
  return onnx.TensorProto.create({ name, dataType: ONNX_INT64, dims: [values.length], rawData: raw });
}

function symbolicDims(info: ValueInfo, symbolic: ReadonlyMap<number, string>): void {
  for (const dim of info.type?.tensorType?.shape?.dim ?? []) {
    if (dim.dimValue === null || dim.dimValue === undefined) continue;
    const dimParam = symbolic.get(Number(dim.dimValue));
    if (dimParam === undefined) continue;
    dim.dimValue = null;
    dim.dimParam = dimParam;
  }
}

function int64Scalar(tensor: onnxProto.onnx.ITensorProto | null | undefined): bigint | null {
  if (tensor === null || tensor === undefined || tensor.dataType !== ONNX_INT64 || (tensor.dims?.length ?? 0) !== 0) return null;
  const raw = tensor.rawData;
  if (raw !== null && raw !== undefined && raw.length === 8) {
    return new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getBigInt64(0, true);
  }
  const first = tensor.int64Data?.[0];
  return first === undefined ? null : BigInt(first.toString());
}

function unexpected(detail: string): InferenceError {
  return new InferenceError("model_unavailable", `unexpected Whisper model layout: ${detail}`);
}
