import type { Logger } from "../logger.js";
import { parseEnvelope, type EventTopic, type TopicEnvelope } from "./event-types.js";

export type EventHandler<T extends EventTopic> = (envelope: TopicEnvelope<T>) => void;
/** Removes one subscription; resolves once the bus has stopped delivering to it. */
export type Unsubscribe = () => Promise<void>;

/** Why an envelope never reached its topic. */
export const EVENT_DROP_REASONS = ["invalid", "queue_full", "redis_error", "closed"] as const;
export type EventDropReason = (typeof EVENT_DROP_REASONS)[number];

/** What a bus counts (the engine's metrics implement it: `engine_events_*_total`). */
export interface EventCounters {
  published(topic: EventTopic): void;
  dropped(topic: EventTopic, reason: EventDropReason): void;
  /** A message on a topic that is not a valid envelope of it (another publisher's, or garbled): not delivered. */
  malformed(topic: EventTopic): void;
}

/** What either bus is made with. */
export interface EventBusDeps {
  counters: EventCounters;
  logger: Logger;
}

/**
 * Where the engine tells other services what happens (a small pub/sub, like Colyseus' `Presence`): in process by
 * default, on Redis channels named after the topics when REDIS_URL is set.
 */
export interface EventBus {
  /** Hands the envelope on without waiting and without throwing; false when it was dropped (counted). */
  publish<T extends EventTopic>(topic: T, envelope: TopicEnvelope<T>): boolean;
  /** Delivers every valid envelope of `topic` to `handler`, in publish order per publisher; resolves once subscribed. */
  subscribe<T extends EventTopic>(topic: T, handler: EventHandler<T>): Promise<Unsubscribe>;
  /** Flushes what is queued (within the bus' bound), then stops; later publishes are dropped as `closed`. */
  close(): Promise<void>;
}

/** What a bus may send of a publish: null (counted) once it is closed or when it is not a valid event of its topic. */
export function admitEnvelope<T extends EventTopic>(topic: T, envelope: TopicEnvelope<T>, closed: boolean, counters: EventCounters): TopicEnvelope<T> | null {
  const valid = closed ? null : parseEnvelope(topic, envelope);
  if (valid === null) counters.dropped(topic, closed ? "closed" : "invalid");
  return valid;
}
