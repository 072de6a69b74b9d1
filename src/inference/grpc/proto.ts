import { fileURLToPath } from "node:url";
import { loadPackageDefinition } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import type { ProtoGrpcType } from "./generated/inference.js";

/** `proto/inference.proto`: two folders up from both `src/inference/grpc` and `dist/inference/grpc`. */
export const INFERENCE_PROTO = fileURLToPath(new URL("../../../proto/inference.proto", import.meta.url));

/** Loader options; `scripts/gen-proto.sh` generates the types with the same ones. */
export const PROTO_LOADER_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true } as const;

export function loadInferenceProto(): ProtoGrpcType {
  const definition = loadSync(INFERENCE_PROTO, PROTO_LOADER_OPTIONS);
  return loadPackageDefinition(definition) as unknown as ProtoGrpcType;
}
