import { Tensor } from "onnxruntime-node";

/**
 * Messages between an `OrtWorkerSession` (the owning thread) and its `ort-worker` thread. Tensors cross as
 * `{ type, data, dims }` with their typed arrays' buffers transferred, not cloned.
 */

/** The session options that can cross a thread boundary (structured-clonable, no callbacks). */
export interface OrtSessionSettings {
  executionProviders: ("cuda" | "cpu")[];
  intraOpNumThreads: number;
  interOpNumThreads: number;
  /** 3 = errors only; lower levels warn about unused initialisers. */
  logSeverityLevel: 0 | 1 | 2 | 3 | 4;
}

export interface OrtWorkerData {
  modelPath: string;
  settings: OrtSessionSettings;
}

export interface WireTensor {
  type: Tensor.Type;
  data: Tensor.DataType;
  dims: readonly number[];
}

export type WireTensors = Record<string, WireTensor>;

export type OrtWorkerRequest = { type: "run"; id: number; feeds: WireTensors } | { type: "release" };

export type OrtWorkerReply =
  | { type: "ready"; inputNames: string[]; outputNames: string[] }
  | { type: "load_failed"; message: string }
  | { type: "result"; id: number; outputs: WireTensors }
  | { type: "run_failed"; id: number; message: string }
  | { type: "released" };

export interface PackedTensors {
  tensors: WireTensors;
  /** Each buffer once: a transfer list naming one twice is rejected. */
  transfer: ArrayBuffer[];
}

/**
 * Wire form of `tensors`. With `copy`, every typed array is copied first, so the caller's arrays are neither detached
 * nor retained; without it, an array that owns its whole (non-shared) buffer is handed over as is and detached by the
 * transfer, and any other (a view into a larger or shared buffer) is still copied, so no unrelated data moves.
 */
export function packTensors(tensors: Record<string, Tensor>, copy: boolean): PackedTensors {
  const packed: WireTensors = {};
  const transfer = new Set<ArrayBuffer>();
  for (const [name, tensor] of Object.entries(tensors)) {
    const source = tensor.data;
    if (Array.isArray(source)) {
      // String tensors are cloned; there is no buffer to move.
      packed[name] = { type: tensor.type, data: source, dims: tensor.dims };
      continue;
    }
    const buffer = source.buffer;
    const movable = !copy && buffer instanceof ArrayBuffer && ownsWhole(source, buffer) && !transfer.has(buffer);
    const data = movable ? source : source.slice();
    if (data.buffer instanceof ArrayBuffer) transfer.add(data.buffer);
    packed[name] = { type: tensor.type, data, dims: tensor.dims };
  }
  return { tensors: packed, transfer: [...transfer] };
}

/** onnxruntime's overloads pair each element type with its array class; it checks the pair at run time. */
type WireTensorConstructor = new (type: Tensor.Type, data: Tensor.DataType, dims?: readonly number[]) => Tensor;
const TensorFromWire: WireTensorConstructor = Tensor;

export function unpackTensors(tensors: WireTensors): Record<string, Tensor> {
  const unpacked: Record<string, Tensor> = {};
  for (const [name, { type, data, dims }] of Object.entries(tensors)) {
    unpacked[name] = new TensorFromWire(type, data, dims);
  }
  return unpacked;
}

function ownsWhole(data: ArrayBufferView, buffer: ArrayBuffer): boolean {
  return data.byteOffset === 0 && data.byteLength === buffer.byteLength;
}
