import { status as grpcStatus, type ClientDuplexStream } from "@grpc/grpc-js";
import type { Logger } from "../../logger.js";
import type { InferenceClient } from "./generated/engine/inference/v1/Inference.js";
import { PoolClient } from "./pool-client.js";

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

/** Hears of pools turning unhealthy: a call on one moves off it while another pool is healthy. */
export interface RouteListener {
  unhealthy(client: PoolClient): void;
}

/**
 * Where a call's attempts go: one fixed pool (a `PoolClient`), or the gateway's pools (`PoolMonitor.route`), where
 * each attempt picks the least loaded healthy pool, so a call lost with its pool is made again on another.
 */
export interface PoolRoute {
  /** The pool for the next attempt: the best healthy one, `avoid` only if it is the only one; null if none is healthy. */
  pick(avoid: PoolClient | null): PoolClient | null;
  /** With no healthy pool: the one to try after `after` (a fixed route: its pool again). */
  after(after: PoolClient | null): PoolClient;
  /** A call failed with the pool unreachable (UNAVAILABLE). */
  unreachable(client: PoolClient, reason: string): void;
  /** The call now uses `client` (its load), or no longer does. */
  attach(client: PoolClient): void;
  detach(client: PoolClient): void;
  /** Tells `listener` of pools turning unhealthy until the returned function is called. */
  watch(listener: RouteListener): () => void;
  /** A lost call was made again and accepted: on another pool (`moved`) or its own, `downMs` after the loss. */
  restored(moved: boolean, downMs: number): void;
}

/** The route of a call to one pool: every attempt goes there. */
export function fixedRoute(client: PoolClient): PoolRoute {
  return {
    pick: () => client,
    after: () => client,
    unreachable: () => undefined,
    attach: () => undefined,
    detach: () => undefined,
    watch: () => () => undefined,
    restored: () => undefined,
  };
}

/**
 * One bidirectional call to the pool (StreamAudio, StreamVideo, ...), kept alive: when it fails it is made again
 * with exponential backoff (reconnectMinMs doubling up to reconnectMaxMs) until `end()`, each attempt on the pool
 * its route picks: after a failure, a healthy pool other than the failed one if there is one, so a pool that dies
 * costs its calls one `reconnectMinMs` (100 ms) and a connect. A call on a pool that turns unhealthy while the call
 * still looks up (a pool that hangs, or says NOT_SERVING) is abandoned for another healthy pool. It knows nothing of the
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
  readonly #route: PoolRoute;
  readonly #start: (grpc: InferenceClient) => ClientDuplexStream<In, Out>;
  readonly #events: ResilientCallEvents<Out>;
  readonly #log: Logger;
  readonly #options: ResilientCallOptions;
  readonly #unwatch: () => void;
  /** The pool of the current (or last) attempt. */
  #client: PoolClient | null = null;
  #call: ClientDuplexStream<In, Out> | null = null;
  /** Ends the current call as failed (the pool it is on turned unhealthy). */
  #abandon: ((reason: string) => void) | null = null;
  #connected = false;
  /** The current call's write buffer is past its high-water mark (the pool reads slower than we write). */
  #congested = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | null = null;
  #ended = false;
  /** A refused INFERENCE_TOKEN is logged once per link; the link keeps retrying (the pool may be fixed). */
  #refusalLogged = false;
  /** When the connected call was lost (performance.now()) and on which pool, until a call is accepted again. */
  #lost: { atMs: number; pool: PoolClient } | null = null;

  constructor(
    route: PoolClient | PoolRoute,
    start: (grpc: InferenceClient) => ClientDuplexStream<In, Out>,
    events: ResilientCallEvents<Out>,
    logger: Logger,
    options: Partial<ResilientCallOptions> = {},
  ) {
    this.#route = route instanceof PoolClient ? fixedRoute(route) : route;
    this.#start = start;
    this.#events = events;
    this.#log = logger;
    this.#options = { ...DEFAULT_RESILIENT_CALL_OPTIONS, ...options };
    this.#unwatch = this.#route.watch({ unhealthy: (client) => this.#onUnhealthy(client) });
    this.#connect(this.#route.pick(null) ?? this.#route.after(null));
  }

  /** The pool accepted the current call (its metadata came) and it has not failed since. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The pool of the current attempt (`host:port`). */
  get pool(): string | null {
    return this.#client?.address ?? null;
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
    if (this.#ended) return;
    this.#ended = true;
    this.#unwatch();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const call = this.#call;
    this.#call = null;
    this.#abandon = null;
    this.#connected = false;
    if (this.#client !== null) this.#route.detach(this.#client);
    call?.end();
  }

  #connect(client: PoolClient): void {
    if (this.#ended) return;
    if (this.#client !== client) {
      if (this.#client !== null) this.#route.detach(this.#client);
      this.#route.attach(client);
      this.#client = client;
    }
    // No waitForReady: while the pool is down a call fails at once and we back off, instead of grpc-js queueing
    // writes without bound. Until the pool's metadata arrives, `write` refuses and the owner buffers (bounded).
    const call = this.#start(client.grpc);
    this.#call = call;
    let failed = false;
    // error, end and a non-OK status may each come for one failure: the first one counts.
    const fail = (reason: string, code: number | null) => {
      if (failed || this.#call !== call) return;
      failed = true;
      this.#call = null;
      this.#abandon = null;
      const wasConnected = this.#connected;
      this.#connected = false;
      this.#congested = false;
      if (code === grpcStatus.UNAVAILABLE) this.#route.unreachable(client, reason);
      if (wasConnected) {
        this.#lost = { atMs: performance.now(), pool: client };
        this.#log.warn({ reason, pool: client.address }, "inference stream lost; reconnecting");
        this.#events.lost(reason);
      }
      this.#scheduleReconnect(client);
    };
    this.#abandon = (reason) => {
      fail(reason, null);
      call.cancel();
    };
    call.on("data", (message: Out) => this.#events.data(message, this.#call === call));
    call.on("drain", () => {
      if (this.#call !== call || !this.#congested) return;
      this.#congested = false;
      this.#events.drained?.();
    });
    call.on("error", (error: Error & { code?: number }) => fail(error.message, error.code ?? null));
    call.on("end", () => fail("stream ended by the pool", null));
    call.on("status", (status) => {
      if (status.code === grpcStatus.UNAUTHENTICATED && !this.#refusalLogged) {
        this.#refusalLogged = true;
        this.#log.error({ pool: client.address }, "the inference pool refused INFERENCE_TOKEN; retrying");
      }
      if (status.code !== grpcStatus.OK) fail(status.details, status.code);
    });
    // The pool sends its metadata as soon as it accepts the call: only then is the link up.
    call.on("metadata", () => {
      if (this.#call !== call || this.#connected) return;
      this.#connected = true;
      const lost = this.#lost;
      this.#lost = null;
      if (lost !== null) {
        const downMs = performance.now() - lost.atMs;
        const moved = lost.pool !== client;
        this.#route.restored(moved, downMs);
        this.#log.info({ pool: client.address, from_pool: lost.pool.address, moved, down_ms: Math.round(downMs), attempts: this.#attempt }, "inference stream restored");
      } else if (this.#attempt > 0) {
        this.#log.info({ pool: client.address, attempts: this.#attempt }, "inference stream restored");
      }
      this.#attempt = 0;
      this.#events.connected();
    });
  }

  /** The pool under the current call turned unhealthy: while another is healthy, the call goes there. */
  #onUnhealthy(client: PoolClient): void {
    if (this.#client !== client || this.#abandon === null) return;
    const other = this.#route.pick(client);
    if (other === null || other === client) return;
    this.#abandon(`the inference pool ${client.address} turned unhealthy`);
  }

  #scheduleReconnect(failed: PoolClient): void {
    if (this.#ended || this.#timer !== null) return;
    const delay = Math.min(this.#options.reconnectMaxMs, this.#options.reconnectMinMs * 2 ** this.#attempt);
    this.#attempt += 1;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      // Picked when the attempt starts: the pools' health may have changed during the backoff.
      this.#connect(this.#route.pick(failed) ?? this.#route.after(failed));
    }, delay);
  }
}
