import type { Logger } from "../logger.js";
import type { EventHandler } from "./event-bus.js";
import { EVENT_TOPICS, type EventTopic, type TopicEnvelope } from "./event-types.js";

type HandlerSets = { [T in EventTopic]: Set<EventHandler<T>> };

/** A bus' handlers per topic; a handler's exception is logged and stops neither the others nor the publisher. */
export class Subscriptions {
  readonly #handlers = Object.fromEntries(EVENT_TOPICS.map((topic) => [topic, new Set()])) as HandlerSets;
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** True when it is the topic's first handler (the bus then subscribes to the topic). */
  add<T extends EventTopic>(topic: T, handler: EventHandler<T>): boolean {
    const handlers: Set<EventHandler<T>> = this.#handlers[topic];
    handlers.add(handler);
    return handlers.size === 1;
  }

  /** True when it was the topic's last handler (the bus then unsubscribes). False also when it was not there. */
  remove<T extends EventTopic>(topic: T, handler: EventHandler<T>): boolean {
    const handlers: Set<EventHandler<T>> = this.#handlers[topic];
    return handlers.delete(handler) && handlers.size === 0;
  }

  has(topic: EventTopic): boolean {
    return this.#handlers[topic].size > 0;
  }

  deliver<T extends EventTopic>(topic: T, envelope: TopicEnvelope<T>): void {
    const handlers: Set<EventHandler<T>> = this.#handlers[topic];
    for (const handler of handlers) {
      try {
        handler(envelope);
      } catch (error) {
        this.#logger.error({ err: error, topic, event_type: envelope.type }, "event handler failed");
      }
    }
  }
}
