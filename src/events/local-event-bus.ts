import { admitEnvelope, type EventBus, type EventBusDeps, type EventHandler, type Unsubscribe } from "./event-bus.js";
import type { EventTopic, TopicEnvelope } from "./event-types.js";
import { Subscriptions } from "./subscriptions.js";

/**
 * The embedded bus: subscribers in this process only. Delivery is deferred to a microtask, so a publisher (a room's
 * hook) never runs a subscriber's code inside its own work, and order per publisher is kept.
 */
export class LocalEventBus implements EventBus {
  readonly #deps: EventBusDeps;
  readonly #subscriptions: Subscriptions;
  #closed = false;

  constructor(deps: EventBusDeps) {
    this.#deps = deps;
    this.#subscriptions = new Subscriptions(deps.logger);
  }

  publish<T extends EventTopic>(topic: T, envelope: TopicEnvelope<T>): boolean {
    const valid = admitEnvelope(topic, envelope, this.#closed, this.#deps.counters);
    if (valid === null) return false;
    this.#deps.counters.published(topic);
    if (this.#subscriptions.has(topic)) queueMicrotask(() => this.#subscriptions.deliver(topic, valid));
    return true;
  }

  async subscribe<T extends EventTopic>(topic: T, handler: EventHandler<T>): Promise<Unsubscribe> {
    this.#subscriptions.add(topic, handler);
    return async () => {
      this.#subscriptions.remove(topic, handler);
    };
  }

  async close(): Promise<void> {
    // Deliveries already queued are microtasks: they run before this resolves.
    this.#closed = true;
  }
}
