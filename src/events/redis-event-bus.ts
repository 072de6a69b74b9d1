import { Redis, type RedisOptions } from "ioredis";
import { EngineError } from "../errors.js";
import { admitEnvelope, type EventBus, type EventBusDeps, type EventHandler, type Unsubscribe } from "./event-bus.js";
import { EVENT_TOPICS, parseEnvelope, type EventTopic, type TopicEnvelope } from "./event-types.js";
import { Subscriptions } from "./subscriptions.js";

export interface RedisEventBusOptions {
  /** Envelopes held while Redis is slow or away; past this each new one is dropped (`queue_full`). */
  maxQueued: number;
  /** PUBLISH commands awaiting Redis' answer at once; the rest wait in the bounded queue. */
  maxInFlight: number;
  /** A PUBLISH unanswered this long is given up (`redis_error`): a stalled Redis frees its slot. */
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  /** Longest pause between reconnection attempts (they go on while the bus is open). */
  maxReconnectDelayMs: number;
  /** How long `close` waits for the queue to drain before dropping the rest (`closed`). */
  closeTimeoutMs: number;
}

export const DEFAULT_REDIS_EVENT_BUS_OPTIONS: RedisEventBusOptions = {
  maxQueued: 10_000,
  maxInFlight: 256,
  commandTimeoutMs: 2_000,
  connectTimeoutMs: 2_000,
  maxReconnectDelayMs: 2_000,
  closeTimeoutMs: 2_000,
};

interface Queued {
  topic: EventTopic;
  json: string;
}

const RECONNECT_STEP_MS = 100;
/** Dequeued slots kept at the array's head before it is compacted. */
const COMPACT_AFTER = 1_024;

function isTopic(channel: string): channel is EventTopic {
  return (EVENT_TOPICS as readonly string[]).includes(channel);
}

/**
 * The bus on Redis pub/sub: a topic is a channel, an envelope its JSON. One publisher connection (opened by the first
 * publish) and one subscriber connection (opened by the first subscribe). Publishing only queues: the queue is bounded
 * and drained by the connection when it is ready, so a slow or absent Redis costs dropped events (counted), never a
 * blocked room or unbounded memory. Delivery is at most once; messages that are not valid envelopes are counted and
 * dropped.
 */
export class RedisEventBus implements EventBus {
  readonly #url: string;
  readonly #deps: EventBusDeps;
  readonly #options: RedisEventBusOptions;
  readonly #publisher: Redis;
  #subscriber: Redis | null = null;
  readonly #subscriptions: Subscriptions;
  /** SUBSCRIBE per topic, awaited by every handler that comes while it is pending. */
  readonly #subscribed = new Map<EventTopic, Promise<unknown>>();
  /** Sent slots before `#head` are cleared (undefined), then compacted away. */
  #queue: (Queued | undefined)[] = [];
  #head = 0;
  #inFlight = 0;
  #drainScheduled = false;
  #idleWaiters: (() => void)[] = [];
  /** Whether the current outage was logged already (one line per outage, not one per reconnection attempt). */
  #outageLogged = false;
  #closing: Promise<void> | null = null;

  constructor(url: string, deps: EventBusDeps, options: Partial<RedisEventBusOptions> = {}) {
    this.#url = url;
    this.#deps = deps;
    this.#options = { ...DEFAULT_REDIS_EVENT_BUS_OPTIONS, ...options };
    this.#subscriptions = new Subscriptions(deps.logger);
    this.#publisher = new Redis(url, {
      ...this.#connectionOptions(),
      // Nothing happens until the first publish: the constructor starts no I/O.
      lazyConnect: true,
      // No ioredis offline queue: while Redis is away it would hold every command, without bound. Envelopes wait in
      // this bus' own bounded queue instead, and a command is sent only on a ready connection.
      enableOfflineQueue: false,
      // A PUBLISH in flight when its connection drops is not resent after reconnecting (it may have been delivered):
      // at most once, and it is counted as dropped.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: this.#options.commandTimeoutMs,
    });
    this.#watch(this.#publisher, "publisher");
    this.#publisher.on("ready", () => this.#drain());
  }

  /** Envelopes waiting for the connection. */
  get #queued(): number {
    return this.#queue.length - this.#head;
  }

  publish<T extends EventTopic>(topic: T, envelope: TopicEnvelope<T>): boolean {
    const valid = admitEnvelope(topic, envelope, this.#closing !== null, this.#deps.counters);
    if (valid === null) return false;
    if (this.#queued >= this.#options.maxQueued) {
      this.#deps.counters.dropped(topic, "queue_full");
      return false;
    }
    this.#queue.push({ topic, json: JSON.stringify(valid) });
    if (this.#publisher.status === "wait") this.#publisher.connect().catch(() => undefined);
    this.#scheduleDrain();
    return true;
  }

  async subscribe<T extends EventTopic>(topic: T, handler: EventHandler<T>): Promise<Unsubscribe> {
    if (this.#closing !== null) throw new EngineError("internal", "the event bus is closed");
    if (this.#subscriptions.add(topic, handler)) {
      this.#subscribed.set(topic, this.#subscriberConnection().subscribe(topic));
    }
    try {
      await this.#subscribed.get(topic);
    } catch (error) {
      if (this.#subscriptions.remove(topic, handler)) this.#subscribed.delete(topic);
      throw error;
    }
    return async () => {
      if (!this.#subscriptions.remove(topic, handler)) return;
      this.#subscribed.delete(topic);
      if (this.#closing === null) await this.#subscriber?.unsubscribe(topic);
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#closeNow();
    return this.#closing;
  }

  async #closeNow(): Promise<void> {
    await this.#whenIdle(this.#options.closeTimeoutMs);
    const left = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    for (const item of left) if (item !== undefined) this.#deps.counters.dropped(item.topic, "closed");
    if (left.length > 0) this.#deps.logger.warn({ dropped: left.length }, "events not published before the bus closed");
    // Anything still in flight is rejected by the disconnect and counted as `redis_error`.
    this.#publisher.disconnect();
    this.#subscriber?.disconnect();
  }

  #connectionOptions(): RedisOptions {
    const { connectTimeoutMs, maxReconnectDelayMs } = this.#options;
    return { connectTimeout: connectTimeoutMs, retryStrategy: (times: number) => Math.min(times * RECONNECT_STEP_MS, maxReconnectDelayMs) };
  }

  #subscriberConnection(): Redis {
    if (this.#subscriber !== null) return this.#subscriber;
    const subscriber = new Redis(this.#url, {
      ...this.#connectionOptions(),
      // Its offline queue holds only SUBSCRIBE / UNSUBSCRIBE (a few per topic): bounded. They wait for Redis however
      // long it is away, and subscriptions are renewed after every reconnection.
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      autoResubscribe: true,
    });
    this.#watch(subscriber, "subscriber");
    subscriber.on("message", (channel: string, message: string) => this.#received(channel, message));
    this.#subscriber = subscriber;
    return subscriber;
  }

  #received(channel: string, message: string): void {
    if (!isTopic(channel)) return;
    let value: unknown;
    try {
      value = JSON.parse(message);
    } catch {
      value = undefined;
    }
    const envelope = value === undefined ? null : parseEnvelope(channel, value);
    if (envelope === null) {
      this.#deps.counters.malformed(channel);
      return;
    }
    this.#subscriptions.deliver(channel, envelope);
  }

  /** Connection errors: one warning per outage (ioredis reports each failed reconnection attempt). */
  #watch(connection: Redis, role: "publisher" | "subscriber"): void {
    connection.on("error", (error: unknown) => {
      if (this.#outageLogged) return;
      this.#outageLogged = true;
      this.#deps.logger.warn({ err: error, role }, "event bus: Redis unreachable, events queue (bounded) until it is back");
    });
    connection.on("ready", () => {
      if (!this.#outageLogged) return;
      this.#outageLogged = false;
      this.#deps.logger.info({ role }, "event bus: Redis reachable again");
    });
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    // After the publisher's own work: a burst of publishes goes out together, and never inside a room's hook.
    setImmediate(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    while (this.#inFlight < this.#options.maxInFlight && this.#queued > 0 && this.#publisher.status === "ready") {
      const item = this.#queue[this.#head];
      if (item === undefined) break;
      this.#queue[this.#head] = undefined;
      this.#head += 1;
      this.#inFlight += 1;
      this.#publisher.publish(item.topic, item.json).then(
        () => this.#settled(item.topic, true),
        () => this.#settled(item.topic, false),
      );
    }
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#notifyIfIdle();
  }

  #settled(topic: EventTopic, ok: boolean): void {
    this.#inFlight -= 1;
    if (ok) this.#deps.counters.published(topic);
    else this.#deps.counters.dropped(topic, "redis_error");
    if (this.#queued > 0) this.#drain();
    else this.#notifyIfIdle();
  }

  #notifyIfIdle(): void {
    if (this.#queued > 0 || this.#inFlight > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves once nothing is queued or in flight, or after `timeoutMs`. */
  #whenIdle(timeoutMs: number): Promise<void> {
    if (this.#queued === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#idleWaiters.push(done);
    });
  }
}
