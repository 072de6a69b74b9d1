import { Counter, type Registry } from "prom-client";
import { EVENT_DROP_REASONS, type EventCounters, type EventDropReason } from "../events/event-bus.js";
import { EVENT_TOPICS, type EventTopic } from "../events/event-types.js";

/** The event bus' counters: envelopes published, dropped (by reason) and received malformed, per topic. */
export class EventMetrics implements EventCounters {
  readonly #published: Counter<"topic">;
  readonly #dropped: Counter<"topic" | "reason">;
  readonly #malformed: Counter<"topic">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#published = new Counter({ name: "engine_events_published_total", help: "Event envelopes handed to their topic (on Redis: PUBLISH answered).", labelNames: ["topic"], registers });
    this.#dropped = new Counter({
      name: "engine_events_dropped_total",
      help: "Event envelopes never published: invalid, the bounded queue full (Redis slow or away), a failed PUBLISH, or still queued when the bus closed.",
      labelNames: ["topic", "reason"],
      registers,
    });
    this.#malformed = new Counter({ name: "engine_events_malformed_total", help: "Messages received on an event topic that were not valid envelopes of it (dropped).", labelNames: ["topic"], registers });
    for (const topic of EVENT_TOPICS) {
      this.#published.inc({ topic }, 0);
      this.#malformed.inc({ topic }, 0);
      for (const reason of EVENT_DROP_REASONS) this.#dropped.inc({ topic, reason }, 0);
    }
  }

  published(topic: EventTopic): void {
    this.#published.inc({ topic });
  }

  dropped(topic: EventTopic, reason: EventDropReason): void {
    this.#dropped.inc({ topic, reason });
  }

  malformed(topic: EventTopic): void {
    this.#malformed.inc({ topic });
  }
}
