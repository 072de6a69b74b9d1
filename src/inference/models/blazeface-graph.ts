import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { errorText, InferenceError } from "./inference-error.js";
import { blazeFaceFrontModel } from "./face-model-files.js";
import { fileExists, writeFileAtomically } from "../../cache-files.js";

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

/**
 * The shipped BlazeFace graph (tf2onnx, via Barracuda) fixes its batch at 1 in two places: each channel padding is a
 * `Concat` with a `ConstantOfShape([1, c, h, w])` of zeros, and the four output `Reshape`s name `[1, anchors, k]`.
 * Opening it turns each such Concat into a `Pad` of c channels (what the TF graph did before export) and each leading
 * 1 into -1, then marks the input and outputs as [N, …]. The weights and every other node are untouched, so batch
 * rows come out identical to single runs (checked in blazeface.heavy.test.ts).
 */
export function openBlazeFaceBatch(source: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(source);
  const graph = model.graph;
  if (graph === null || graph === undefined) throw unexpected("the model has no graph");
  const nodes = graph.node ?? [];
  const initializers = new Map((graph.initializer ?? []).map((tensor) => [tensor.name ?? "", tensor]));
  const producers = new Map<string, NodeProto>();
  for (const node of nodes) for (const output of node.output ?? []) producers.set(output, node);

  const removed = new Set<NodeProto>();
  const added: TensorProto[] = [];
  let reshapes = 0;
  for (const node of nodes) {
    const [first, second] = node.input ?? [];
    const padding = second === undefined ? undefined : producers.get(second);
    if (node.opType === "Concat" && first !== undefined && padding?.opType === "ConstantOfShape") {
      const shape = int64Values(initializers.get(padding.input?.[0] ?? ""));
      const channels = shape?.[1];
      if (shape?.length !== 4 || shape[0] !== 1 || channels === undefined || axisOf(node) !== 1) {
        throw unexpected("a padding Concat is not [1, c, h, w] on the channel axis");
      }
      // Names must be unique: these Concats have empty names, so key on the output.
      const padsName = `${node.output?.[0] ?? `pad${added.length}`}__pads`;
      added.push(int64Tensor(padsName, [0, 0, 0, 0, 0, channels, 0, 0]));
      node.opType = "Pad";
      node.input = [first, padsName];
      node.attribute = [
        onnx.AttributeProto.create({
          name: "mode",
          type: onnx.AttributeProto.AttributeType.STRING,
          s: new TextEncoder().encode("constant"),
        }),
      ];
      removed.add(padding);
    } else if (node.opType === "Reshape" && second !== undefined) {
      const target = initializers.get(second);
      const shape = int64Values(target);
      if (target === undefined || shape === undefined || shape[0] !== 1) throw unexpected("an output Reshape is not [1, …]");
      setInt64Values(target, [-1, ...shape.slice(1)]);
      reshapes++;
    }
  }
  if (removed.size === 0 || reshapes !== 4) throw unexpected(`found ${removed.size} padding Concats and ${reshapes} Reshapes`);
  graph.node = nodes.filter((node) => !removed.has(node));
  const used = new Set(graph.node.flatMap((node) => node.input ?? []));
  graph.initializer = [...(graph.initializer ?? []), ...added].filter((tensor) => used.has(tensor.name ?? ""));
  for (const value of [...(graph.input ?? []), ...(graph.output ?? [])]) {
    const dims = value.type?.tensorType?.shape?.dim;
    if (dims === null || dims === undefined || dims.length === 0) throw unexpected(`${value.name ?? "a value"} has no shape`);
    dims[0] = onnx.TensorShapeProto.Dimension.create({ dimParam: "N" });
  }
  // The recorded intermediate shapes all say batch 1; onnxruntime infers them again.
  graph.valueInfo = [];
  return onnx.ModelProto.encode(model).finish();
}

/** Bump when the transformation changes, so an existing opened file is not reused. */
const OPEN_FORMAT = 1;

/**
 * Writes (once) the opened front model into `modelsDir` and returns its path: onnxruntime sessions on a worker
 * thread load from a path. Named after the package version, so an upgrade opens again; safe against concurrent
 * writers (each renames its own temporary file into place).
 */
export async function prepareBatchedBlazeFace(modelsDir: string): Promise<string> {
  const source = blazeFaceFrontModel();
  const version = createHash("sha256")
    .update(`${OPEN_FORMAT}|${source.packageName}@${source.packageVersion}`)
    .digest("hex")
    .slice(0, 12);
  const path = join(modelsDir, `blazeface-front-128-batch.${version}.onnx`);
  if (await fileExists(path)) return path;
  try {
    await mkdir(modelsDir, { recursive: true });
    const opened = openBlazeFaceBatch(await readFile(source.path));
    await writeFileAtomically(path, opened);
    return path;
  } catch (cause) {
    if (cause instanceof InferenceError) throw cause;
    throw new InferenceError("model_unavailable", `could not open BlazeFace's batch dimension: ${errorText(cause)}`, { cause });
  }
}

function axisOf(node: NodeProto): number | undefined {
  const axis = node.attribute?.find((attribute) => attribute.name === "axis")?.i;
  return axis === null || axis === undefined ? undefined : Number(axis);
}

function int64Values(tensor: TensorProto | undefined): number[] | undefined {
  if (tensor === undefined || tensor.dataType !== onnx.TensorProto.DataType.INT64) return undefined;
  const raw = tensor.rawData;
  if (raw !== null && raw !== undefined && raw.length > 0) {
    // Copy first: the bytes are a view into the decoded file (a Buffer, whose slice() copies nothing), at any offset.
    return Array.from(new BigInt64Array(Uint8Array.from(raw).buffer), (value) => Number(value));
  }
  return (tensor.int64Data ?? []).map((value) => Number(value));
}

function setInt64Values(tensor: TensorProto, values: number[]): void {
  tensor.rawData = new Uint8Array(BigInt64Array.from(values, (value) => BigInt(value)).buffer);
  tensor.int64Data = [];
}

function int64Tensor(name: string, values: number[]): TensorProto {
  const tensor = onnx.TensorProto.create({ name, dataType: onnx.TensorProto.DataType.INT64, dims: [values.length] });
  setInt64Values(tensor, values);
  return tensor;
}

function unexpected(detail: string): InferenceError {
  return new InferenceError("model_unavailable", `unexpected BlazeFace model layout: ${detail}`);
}
