import { Client, credentials, Metadata, status as grpcStatus, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import { ERROR_TABLE, isErrorCode } from "../../src/protocol/error-codes.js";
import type { AudioIn } from "../../src/inference/grpc/generated/engine/inference/v1/AudioIn.js";
import type { AudioOut__Output } from "../../src/inference/grpc/generated/engine/inference/v1/AudioOut.js";
import type { TranscribeRequest } from "../../src/inference/grpc/generated/engine/inference/v1/TranscribeRequest.js";
import { loadInferenceProto } from "../../src/inference/grpc/proto.js";
import { POOL_ERROR_CODES } from "../../src/inference/pool-types.js";
import { fromBase64 } from "./corpus.js";
import type { BytesSpec, GrpcFuzzEntry, GrpcStep, TextSpec } from "./grpc-surface.js";

/**
 * Replays one `grpc` corpus entry against a pool with a raw grpc-js client (serializers that pass bytes through, so
 * malformed protobuf reaches the server) and names what came back: `error:<code>` per error output, `speech`,
 * `transcript`, `closed`, and `status:<GRPC STATUS>[:<pool code>]` for the call's end. Anything off the contract
 * (details without a pool code, a status not matching its code, output before authentication, a hang) gets an
 * `unstable:` / `leak:` / `timeout:` outcome the test refuses.
 */

const CALL_TIMEOUT_MS = 20_000;
const POOL_CODES: readonly string[] = POOL_ERROR_CODES;

export function bytesOf(spec: BytesSpec): Uint8Array {
  return "base64" in spec ? fromBase64(spec.base64) : new Uint8Array(spec.length).fill(spec.fill);
}

export function textOf(spec: TextSpec): string {
  return typeof spec === "string" ? spec : spec.repeat.repeat(spec.times);
}

function metadataFor(auth: GrpcFuzzEntry["auth"], token: string): Metadata {
  const metadata = new Metadata();
  const values: Record<typeof auth, string[]> = {
    token: [`Bearer ${token}`],
    none: [],
    wrong: [`Bearer ${"w".repeat(token.length)}`],
    basic: [`Basic ${token}`],
    bearer_empty: ["Bearer "],
    lowercase: [`bearer ${token}`],
    token_prefix: [`Bearer ${token.slice(0, -1)}`],
    // Two values in one (grpc-js itself refuses to send two `authorization` entries).
    joined: [`Bearer ${token}, Bearer ${token}`],
  };
  for (const value of values[auth]) metadata.add("authorization", value);
  return metadata;
}

/** `status:<NAME>[:<pool code>]`, or `unstable:...` when the details do not carry the pool code its status implies. */
function statusOutcome(status: { code: grpcStatus; details: string }): string {
  const name = grpcStatus[status.code];
  if (status.code === grpcStatus.OK) return "status:OK";
  const code = /^([a-z_]+): /.exec(status.details)?.[1];
  if (code === undefined || !isErrorCode(code) || !POOL_CODES.includes(code)) return `unstable:${name}:${status.details.slice(0, 120)}`;
  const spec = ERROR_TABLE[code];
  const expected = "grpc" in spec ? spec.grpc : undefined;
  return expected === name ? `status:${name}:${code}` : `unstable:${name}:${code}`;
}

function outputOutcome(message: AudioOut__Output): string {
  if (message.error) return POOL_CODES.includes(message.error.code) ? `error:${message.error.code}` : `unstable:error:${message.error.code}`;
  if (message.speech) return "speech";
  if (message.transcript) return "transcript";
  if (message.closed) return "closed";
  return "unstable:empty_output";
}

function stepMessage(step: Exclude<GrpcStep, { op: "opens" | "cancel" | "raw" }>): AudioIn {
  switch (step.op) {
    case "open":
      return {
        open: {
          stream_id: textOf(step.stream_id),
          session_id: textOf(step.session_id),
          participant_id: textOf(step.participant_id),
          sample_rate: step.sample_rate,
          tutor_id: textOf(step.tutor_id),
          offset_ms: step.offset_ms,
        },
      };
    case "chunk":
      return { chunk: { stream_id: textOf(step.stream_id), seq: step.seq, pcm16: bytesOf(step.pcm16) } };
    case "close":
      return { close: { stream_id: textOf(step.stream_id) } };
    case "empty":
      return {};
  }
}

export class GrpcReplayer {
  readonly #client: Client;
  readonly #token: string;
  readonly #service = loadInferenceProto().engine.inference.v1.Inference.service;

  constructor(address: string, token: string) {
    this.#token = token;
    this.#client = new Client(address, credentials.createInsecure(), {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      "grpc.max_send_message_length": 64 * 1024 * 1024,
    });
  }

  replay(entry: GrpcFuzzEntry): Promise<string[]> {
    const metadata = metadataFor(entry.auth, this.#token);
    if (entry.rpc === "StreamAudio") return this.#stream(entry.steps, metadata, entry.auth === "token");
    if (entry.rpc === "Transcribe") {
      const request = "raw" in entry.request ? bytesOf(entry.request.raw) : { pcm16: bytesOf(entry.request.pcm16), sample_rate: entry.request.sample_rate };
      return this.#unary(this.#service.Transcribe, request, metadata);
    }
    return this.#unary(this.#service.GetStatus, entry.raw === undefined ? {} : bytesOf(entry.raw), metadata);
  }

  close(): void {
    this.#client.close();
  }

  #unary<Req>(method: { path: string; requestSerialize: (value: Req) => Buffer; responseDeserialize: (bytes: Buffer) => unknown }, request: Req | Uint8Array, metadata: Metadata): Promise<string[]> {
    const serialize = (value: Req | Uint8Array): Buffer => (value instanceof Uint8Array ? Buffer.from(value) : method.requestSerialize(value));
    return new Promise((resolve) => {
      this.#client.makeUnaryRequest(method.path, serialize, method.responseDeserialize, request, metadata, { deadline: Date.now() + CALL_TIMEOUT_MS }, (error: ServiceError | null) =>
        resolve([error === null ? "status:OK" : statusOutcome(error)]),
      );
    });
  }

  #stream(steps: readonly GrpcStep[], metadata: Metadata, authenticated: boolean): Promise<string[]> {
    const method = this.#service.StreamAudio;
    const serialize = (value: AudioIn | Uint8Array): Buffer => (value instanceof Uint8Array ? Buffer.from(value) : method.requestSerialize(value));
    const call = this.#client.makeBidiStreamRequest(method.path, serialize, method.responseDeserialize, metadata);
    const outcomes: string[] = [];
    let cancelled = false;
    const ended = new Promise<StatusObject | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), CALL_TIMEOUT_MS);
      call.on("status", (status: StatusObject) => {
        clearTimeout(timer);
        resolve(status);
      });
    });
    call.on("data", (message: AudioOut__Output) => outcomes.push(authenticated ? outputOutcome(message) : "leak:output_without_token"));
    // The status carries every failure; an `error` event without a listener would throw.
    call.on("error", () => undefined);
    for (const step of steps) {
      if (step.op === "cancel") {
        cancelled = true;
        call.cancel();
        break;
      }
      if (step.op === "raw") call.write(bytesOf(step.bytes));
      else if (step.op === "opens") {
        for (let i = 0; i < step.count; i += 1) {
          call.write({ open: { stream_id: `${step.prefix}${i}`, session_id: "session-1", participant_id: "participant-1", sample_rate: 16_000, tutor_id: "", offset_ms: 0 } });
        }
      } else call.write(stepMessage(step));
    }
    if (!cancelled) call.end();
    return ended.then((status) => {
      if (status === null) return [...outcomes, "timeout:no_status"];
      if (status.code === grpcStatus.CANCELLED) return [...outcomes, cancelled ? "status:CANCELLED" : `unstable:CANCELLED:${status.details}`];
      return [...outcomes, statusOutcome(status)];
    });
  }
}
