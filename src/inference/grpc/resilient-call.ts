import { status as grpcStatus, type ClientDuplexStream } from "@grpc/grpc-js";
import type { Logger } from "../../logger.js";
import type { InferenceClient } from "./generated/engine/inference/v1/Inference.js";
import type { PoolClient } from "./pool-client.js";

export interface ResilientCallOptions {
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export const DEFAULT_RESILIENT_CALL_OPTIONS: ResilientCallOptions = {
  reconnectMinMs: 100,
  reconnectMaxMs: 5_000,
};

export interface ResilientCallEvents<Out> {
  /** The pool accepted a new call: re-open your streams on it and replay what you kept. */
  connected(): void;
  /**
   * The connected call failed: it and everything it held (its open streams, unanswered requests) are gone. Follows
   * every `connected`, once; a call that fails before the pool accepted it held nothing and is not reported.
   */
  lost(reason: string): void;
  /**
   * A message from the pool. `current` is false for a message of a call already lost or ended: what it says about
   * that call's streams is stale (their book-keeping was dropped with the call), the rest may still be worth passing on.
   */
  data(message: Out, current: boolean): void;
  /** The connected call took every message written while it was `congested`: write again. */
  drained?(): void;
}

/**
 * One bidirectional call to the pool (StreamAudio, StreamVideo, ...), kept alive: when it fails it is made again
 * with exponential backoff (reconnectMinMs doubling up to reconnectMaxMs) until `end()`. It knows nothing of the
 * media it carries: its owner (AudioLink, say) keeps its streams, buffers while disconnected, and on `connected`
 * writes them again; on `lost` it forgets what the call held.
 *
 * A second media kind uses it the same way: a VideoLink makes a `ResilientCall<VideoIn, VideoOut__Output>` with
 * `(grpc) => grpc.StreamVideo()`, writes its frames while `write` takes them and otherwise keeps only the newest
 * frame per stream (a stale frame is worth nothing, unlike audio, so no byte-bounded replay); on `connected` it
 * re-opens its streams and writes each kept frame, on `lost` it clears its per-call state, and on `data` it decodes
 * the pool's answers. It passes a logger naming its RPC, as the link's log lines are the same for every kind.
 */
export class ResilientCall<In, Out> {
  readonly #client: PoolClient;
  readonly #start: (grpc: InferenceClient) => ClientDuplexStream<In, Out>;
  readonly #events: ResilientCallEvents<Out>;
  readonly #log: Logger;
  readonly #options: ResilientCallOptions;
  #call: ClientDuplexStream<In, Out> | null = null;
  #connected = false;
  /** The current call's write buffer is past its high-water mark (the pool reads slower than we write). */
  #congested = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | null = null;
  #ended = false;
  /** A refused INFERENCE_TOKEN is logged once per link; the link keeps retrying (the pool may be fixed). */
  #refusalLogged = false;

  constructor(
    client: PoolClient,
    start: (grpc: InferenceClient) => ClientDuplexStream<In, Out>,
    events: ResilientCallEvents<Out>,
    logger: Logger,
    options: Partial<ResilientCallOptions> = {},
  ) {
    this.#client = client;
    this.#start = start;
    this.#events = events;
    this.#log = logger;
    this.#options = { ...DEFAULT_RESILIENT_CALL_OPTIONS, ...options };
    this.#connect();
  }

  /** The pool accepted the current call (its metadata came) and it has not failed since. */
  get connected(): boolean {
    return this.#connected;
  }

  /**
   * The pool (or the network to it) is not keeping up: the call's buffer is past its high-water mark. A message
   * written now still goes, but queues behind the others; an owner whose messages go stale (video) keeps them
   * instead until `drained`.
   */
  get congested(): boolean {
    return this.#congested;
  }

  /** Writes on the connected call; false, writing nothing, when there is none (the owner keeps the message). */
  write(message: In): boolean {
    if (!this.#connected || this.#call === null) return false;
    if (!this.#call.write(message)) this.#congested = true;
    return true;
  }

  /** Ends the call for good: no reconnect, no more `connected` or `lost`. */
  end(): void {
    this.#ended = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const call = this.#call;
    this.#call = null;
    this.#connected = false;
    call?.end();
  }

  #connect(): void {
    if (this.#ended) return;
    // No waitForReady: while the pool is down a call fails at once and we back off, instead of grpc-js queueing
    // writes without bound. Until the pool's metadata arrives, `write` refuses and the owner buffers (bounded).
    const call = this.#start(this.#client.grpc);
    this.#call = call;
    let failed = false;
    // error, end and a non-OK status may each come for one failure: the first one counts.
    const fail = (reason: string) => {
      if (failed || this.#call !== call) return;
      failed = true;
      this.#call = null;
      const wasConnected = this.#connected;
      this.#connected = false;
      this.#congested = false;
      if (wasConnected) {
        this.#log.warn({ reason, pool: this.#client.address }, "inference stream lost; reconnecting");
        this.#events.lost(reason);
      }
      this.#scheduleReconnect();
    };
    call.on("data", (message: Out) => this.#events.data(message, this.#call === call));
    call.on("drain", () => {
      if (this.#call !== call || !this.#congested) return;
      this.#congested = false;
      this.#events.drained?.();
    });
    call.on("error", (error) => fail(error.message));
    call.on("end", () => fail("stream ended by the pool"));
    call.on("status", (status) => {
      if (status.code === grpcStatus.UNAUTHENTICATED && !this.#refusalLogged) {
        this.#refusalLogged = true;
        this.#log.error({ pool: this.#client.address }, "the inference pool refused INFERENCE_TOKEN; retrying");
      }
      if (status.code !== grpcStatus.OK) fail(status.details);
    });
    // The pool sends its metadata as soon as it accepts the call: only then is the link up.
    call.on("metadata", () => {
      if (this.#call !== call || this.#connected) return;
      this.#connected = true;
      if (this.#attempt > 0) this.#log.info({ pool: this.#client.address, attempts: this.#attempt }, "inference stream restored");
      this.#attempt = 0;
      this.#events.connected();
    });
  }

  #scheduleReconnect(): void {
    if (this.#ended || this.#timer !== null) return;
    const delay = Math.min(this.#options.reconnectMaxMs, this.#options.reconnectMinMs * 2 ** this.#attempt);
    this.#attempt += 1;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#connect();
    }, delay);
  }
}
