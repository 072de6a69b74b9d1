import { setTimeout as sleep } from "node:timers/promises";
import { Client, credentials, Metadata, status as grpcStatus, type ClientDuplexStream, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import { ERROR_TABLE, isErrorCode } from "../../src/protocol/error-codes.js";
import type { AudioIn } from "../../src/inference/grpc/generated/engine/inference/v1/AudioIn.js";
import type { AudioOut__Output } from "../../src/inference/grpc/generated/engine/inference/v1/AudioOut.js";
import { loadInferenceProto } from "../../src/inference/grpc/proto.js";
import { POOL_ERROR_CODES } from "../../src/inference/pool-types.js";
import { describeAnswer, imageRequestOf, imageVerdictCheck, type StillPhotos } from "./grpc-image-replay.js";
import type { GrpcFuzzEntry, GrpcStep } from "./grpc-surface.js";
import { bytesOf, textOf } from "./grpc-values.js";
import { videoScript, type Fence, type StepMessages } from "./grpc-video-replay.js";
import type { PhotoBytes } from "./jpeg-specs.js";

/**
 * Replays one `grpc` corpus entry against a pool with a raw grpc-js client (serializers that pass bytes through, so
 * malformed protobuf reaches the server) and names what came back: `error:<code>` per error output, `speech`,
 * `transcript`, `closed` (StreamVideo: `faces:<n>`, `dropped`, see grpc-video-replay.ts), and
 * `status:<GRPC STATUS>[:<pool code>]` for the call's end. Anything off the contract
 * (details without a pool code, a status not matching its code, output before authentication, a hang) gets an
 * `unstable:` / `leak:` / `timeout:` outcome the test refuses.
 */

const CALL_TIMEOUT_MS = 20_000;

type UnaryMethod<Req> = { path: string; requestSerialize: (value: Req) => Buffer; responseDeserialize: (bytes: Buffer) => unknown };
const POOL_CODES: readonly string[] = POOL_ERROR_CODES;

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

/** The promise's value, or null when it takes longer than CALL_TIMEOUT_MS. */
async function within<T>(promise: Promise<T>): Promise<T | null> {
  const done = new AbortController();
  try {
    return await Promise.race([promise, sleep(CALL_TIMEOUT_MS, null, { signal: done.signal })]);
  } finally {
    // Stops the timer (its promise then rejects into the settled race).
    done.abort();
  }
}

/** How one bidirectional RPC's steps become messages, and what its outputs are called. */
interface StreamScript<Step, In, Out> {
  method: { path: string; requestSerialize: (value: In) => Buffer; responseDeserialize: (bytes: Buffer) => Out };
  messages(step: Step): StepMessages<In>;
  outcome(message: Out): string;
  /** How a `settle` step knows the pool has read every message before it, and what it then checks. */
  fence?: Fence<In, Out>;
}

export interface ReplayOptions {
  /** The real photos StreamVideo entries' frames are made of (`jpeg-specs.ts`). */
  photos: PhotoBytes;
  /** The same photos as PNG, for the still-image RPCs' entries (`grpc-image-replay.ts`). */
  pngPhotos: PhotoBytes;
  /** A StreamVideo `settle` step: resolves once the pool has answered every frame sent so far. */
  settle(): Promise<void>;
}

export class GrpcReplayer {
  readonly #client: Client;
  readonly #token: string;
  readonly #service = loadInferenceProto().engine.inference.v1.Inference.service;

  readonly #options: ReplayOptions;
  readonly #audio: StreamScript<GrpcStep, AudioIn, AudioOut__Output> = {
    method: this.#service.StreamAudio,
    messages(step) {
      if (step.op === "cancel") return "cancel";
      if (step.op === "raw") return [bytesOf(step.bytes)];
      if (step.op !== "opens") return [stepMessage(step)];
      return Array.from({ length: step.count }, (_, i) => ({
        open: { stream_id: `${step.prefix}${i}`, session_id: "session-1", participant_id: "participant-1", sample_rate: 16_000, tutor_id: "", offset_ms: 0 },
      }));
    },
    outcome: outputOutcome,
  };

  constructor(address: string, token: string, options: ReplayOptions) {
    this.#token = token;
    this.#options = options;
    this.#client = new Client(address, credentials.createInsecure(), {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      "grpc.max_send_message_length": 64 * 1024 * 1024,
    });
  }

  async replay(entry: GrpcFuzzEntry): Promise<string[]> {
    const metadata = metadataFor(entry.auth, this.#token);
    const authenticated = entry.auth === "token";
    if (entry.rpc === "StreamAudio") return this.#stream(entry.steps, this.#audio, metadata, authenticated);
    if (entry.rpc === "StreamVideo") {
      return this.#stream(entry.steps, { method: this.#service.StreamVideo, ...videoScript(entry.steps, this.#options.photos) }, metadata, authenticated);
    }
    if (entry.rpc === "Transcribe") {
      const request = "raw" in entry.request ? bytesOf(entry.request.raw) : { pcm16: bytesOf(entry.request.pcm16), sample_rate: entry.request.sample_rate };
      return this.#unary(this.#service.Transcribe, request, metadata);
    }
    if (entry.rpc === "DetectFaces" || entry.rpc === "EnhanceImage" || entry.rpc === "DetectDeepfake") {
      const photos: StillPhotos = { jpeg: this.#options.photos, png: this.#options.pngPhotos };
      const method: UnaryMethod<Record<string, unknown>> = this.#service[entry.rpc];
      const outcomes = await this.#unary(method, imageRequestOf(entry, photos), metadata, (response) => describeAnswer(entry, response));
      return [...outcomes, ...imageVerdictCheck(entry, outcomes, photos)];
    }
    if (entry.rpc === "Synthesize") {
      const { request } = entry;
      const message = "raw" in request ? bytesOf(request.raw) : { text: textOf(request.text), voice: textOf(request.voice), rate_wpm: request.rate_wpm };
      return this.#unary(this.#service.Synthesize, message, metadata);
    }
    return this.#unary(this.#service.GetStatus, entry.raw === undefined ? {} : bytesOf(entry.raw), metadata);
  }

  close(): void {
    this.#client.close();
  }

  /** `status:...`, and after `status:OK` what `describe` names in the answer. */
  #unary<Req>(method: UnaryMethod<Req>, request: Req | Uint8Array, metadata: Metadata, describe: (response: unknown) => string[] = () => []): Promise<string[]> {
    const serialize = (value: Req | Uint8Array): Buffer => (value instanceof Uint8Array ? Buffer.from(value) : method.requestSerialize(value));
    return new Promise((resolve) => {
      this.#client.makeUnaryRequest(method.path, serialize, method.responseDeserialize, request, metadata, { deadline: Date.now() + CALL_TIMEOUT_MS }, (error: ServiceError | null, response?: unknown) =>
        resolve(error === null ? ["status:OK", ...describe(response)] : [statusOutcome(error)]),
      );
    });
  }

  async #stream<Step, In, Out>(steps: readonly Step[], script: StreamScript<Step, In, Out>, metadata: Metadata, authenticated: boolean): Promise<string[]> {
    const { method } = script;
    const serialize = (value: In | Uint8Array): Buffer => (value instanceof Uint8Array ? Buffer.from(value) : method.requestSerialize(value));
    const call: ClientDuplexStream<In | Uint8Array, Out> = this.#client.makeBidiStreamRequest(method.path, serialize, method.responseDeserialize, metadata);
    const outcomes: string[] = [];
    let cancelled = false;
    const ended = new Promise<StatusObject>((resolve) => call.on("status", resolve));
    const { fence } = script;
    const fenced = new Set<() => void>();
    /** `answered`, or `ended` when the call ends first (a refused call answers nothing), or `timeout`. */
    const fenceAnswered = async (f: Fence<In, Out>): Promise<"answered" | "ended" | "timeout"> => {
      const answered = new Promise<"answered">((resolve) => fenced.add(() => resolve("answered")));
      call.write(f.message);
      const result = await within(Promise.race([ended.then(() => "ended" as const), answered]));
      fenced.clear();
      return result ?? "timeout";
    };
    call.on("data", (message: Out) => {
      if (fence?.answers(message)) for (const answered of fenced) answered();
      else outcomes.push(authenticated ? script.outcome(message) : "leak:output_without_token");
    });
    // The status carries every failure; an `error` event without a listener would throw.
    call.on("error", () => undefined);
    for (const step of steps) {
      const messages = script.messages(step);
      if (messages === "settle") {
        if (fence === undefined) throw new Error("a settle step on a call without a fence");
        // Every message before the fence read, every frame analysed, every answer before the second fence received.
        let reached = await fenceAnswered(fence);
        if (reached === "answered") {
          await this.#options.settle();
          reached = await fenceAnswered(fence);
        }
        const wrong = reached === "answered" ? fence.settled() : reached === "timeout" ? "timeout:fence_unanswered" : null;
        if (wrong !== null) outcomes.push(wrong);
      } else if (messages === "cancel") {
        cancelled = true;
        call.cancel();
        break;
      } else for (const message of messages) call.write(message);
    }
    if (!cancelled) call.end();
    const status = await within(ended);
    if (status === null) return [...outcomes, "timeout:no_status"];
    if (status.code === grpcStatus.CANCELLED) return [...outcomes, cancelled ? "status:CANCELLED" : `unstable:CANCELLED:${status.details}`];
    return [...outcomes, statusOutcome(status)];
  }
}
