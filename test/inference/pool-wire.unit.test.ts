import { loadSync } from "@grpc/proto-loader";
import { describe, expect, it } from "vitest";
import type { AudioOut, AudioOut__Output } from "../../src/inference/grpc/generated/engine/inference/v1/AudioOut.js";
import { outputFromWire } from "../../src/inference/grpc/pool-client.js";
import { toWire } from "../../src/inference/grpc/pool-wire.js";
import { INFERENCE_PROTO, PROTO_LOADER_OPTIONS } from "../../src/inference/grpc/proto.js";
import type { PoolOutput } from "../../src/inference/pool-types.js";

/** An audio output through the StreamAudio response's own protobuf encoding and back, as a client reads it. */
function throughProtobuf(output: PoolOutput): PoolOutput | null {
  const definition = loadSync(INFERENCE_PROTO, PROTO_LOADER_OPTIONS);
  const service = definition["engine.inference.v1.Inference"];
  if (service === undefined || !("StreamAudio" in service)) throw new Error("no StreamAudio in the proto");
  const method = service["StreamAudio"] as { responseSerialize(m: AudioOut): Buffer; responseDeserialize(b: Buffer): AudioOut__Output };
  return outputFromWire(method.responseDeserialize(method.responseSerialize(toWire(output))));
}

describe("audio outputs on the wire", () => {
  it("a failed utterance's error keeps its segment id (the room withdraws that segment's interim line)", () => {
    const failed: PoolOutput = { kind: "error", streamId: "mic", code: "deadline_exceeded", message: "too late", segmentId: "p.3" };
    expect(throughProtobuf(failed)).toEqual(failed);
  });

  it("an error of the stream as a whole comes back without one", () => {
    const refused: PoolOutput = { kind: "error", streamId: "mic", code: "overloaded", message: "behind" };
    expect(throughProtobuf(refused)).toEqual(refused);
  });
});
