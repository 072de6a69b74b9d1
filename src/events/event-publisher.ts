import { randomUUID } from "node:crypto";
import type { EventBus } from "./event-bus.js";
import { topicOf, type AnyEnvelope, type EventData, type EventType } from "./event-types.js";

/**
 * What the engine's parts publish through: one typed line per fact (`publish("participant.joined", sessionId,
 * {...})`), the envelope's id, time and topic filled in here. Never throws and never waits (see `EventBus.publish`).
 */
export class EventPublisher {
  readonly #bus: EventBus;

  constructor(bus: EventBus) {
    this.#bus = bus;
  }

  /** False when the bus dropped the event (counted there). */
  publish<E extends EventType>(type: E, sessionId: string, data: EventData<E>): boolean {
    const envelope = { id: randomUUID(), type, session_id: sessionId, at: new Date().toISOString(), data };
    // `type` and `data` are typed together above; the union cannot follow a generic E.
    return this.#bus.publish(topicOf(type), envelope as AnyEnvelope);
  }
}
