import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/**
 * The declared inputs and outputs of an ONNX model (name, element type, shape), read from the file without decoding
 * the rest: a model's weights are most of its bytes, and decoding them all (onnx.ModelProto.decode) would build
 * every node and initializer to look at a few shapes. The protobuf wire format is walked by hand down to
 * ModelProto.graph (field 7) and its `input` (11) and `output` (12) ValueInfoProtos, which onnx-proto decodes.
 */
export interface OnnxValueSignature {
  name: string;
  /** TensorProto.DataType (1 = float32); null for a non-tensor value. */
  elementType: number | null;
  /** Each dimension: its size, or its symbolic name (a dynamic axis), or null when undeclared. */
  dims: (number | string | null)[] | null;
}

export interface OnnxSignature {
  inputs: OnnxValueSignature[];
  outputs: OnnxValueSignature[];
}

export const ONNX_FLOAT = 1;

const MODEL_GRAPH = 7;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

export function readOnnxSignature(model: Uint8Array): OnnxSignature {
  const graph = fields(model).find((field) => field.number === MODEL_GRAPH);
  if (graph === undefined) throw new Error("the file holds no ONNX graph");
  const signature: OnnxSignature = { inputs: [], outputs: [] };
  for (const field of fields(graph.bytes)) {
    if (field.number !== GRAPH_INPUT && field.number !== GRAPH_OUTPUT) continue;
    const value = toSignature(onnx.ValueInfoProto.decode(field.bytes));
    (field.number === GRAPH_INPUT ? signature.inputs : signature.outputs).push(value);
  }
  return signature;
}

function toSignature(value: onnxProto.onnx.ValueInfoProto): OnnxValueSignature {
  const tensor = value.type?.tensorType;
  const dims = tensor?.shape?.dim?.map((dim) => {
    if (dim.dimParam !== undefined && dim.dimParam !== null && dim.dimParam !== "") return dim.dimParam;
    if (dim.dimValue === undefined || dim.dimValue === null) return null;
    const size = Number(dim.dimValue.toString());
    // ONNX writes an unknown size as 0 or −1 in some exporters: treat both as dynamic.
    return size > 0 ? size : null;
  });
  return { name: value.name, elementType: tensor?.elemType ?? null, dims: dims ?? null };
}

/** The length-delimited fields of one message (others are skipped), each as a view into `bytes`. */
function fields(bytes: Uint8Array): { number: number; bytes: Uint8Array }[] {
  const found: { number: number; bytes: Uint8Array }[] = [];
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (at >= bytes.length) throw new Error("the ONNX file is truncated");
      const byte = bytes[at++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
      if (shift > 63) throw new Error("the ONNX file holds a malformed varint");
    }
  };
  while (at < bytes.length) {
    const tag = varint();
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === WIRE_VARINT) varint();
    else if (wire === WIRE_FIXED64) at += 8;
    else if (wire === WIRE_FIXED32) at += 4;
    else if (wire === WIRE_BYTES) {
      const length = varint();
      if (at + length > bytes.length) throw new Error("the ONNX file is truncated");
      found.push({ number, bytes: bytes.subarray(at, at + length) });
      at += length;
    } else throw new Error(`the file is not an ONNX model (protobuf wire type ${wire})`);
  }
  return found;
}
