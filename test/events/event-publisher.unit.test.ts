import { randomUUID } from "node:crypto";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { EventPublisher } from "../../src/events/event-publisher.js";
import { EVENT_TOPICS, EVENT_TYPES_BY_TOPIC, parseEnvelope, topicOf, type AnyEnvelope, type EventData } from "../../src/events/event-types.js";
import { LocalEventBus } from "../../src/events/local-event-bus.js";
import { createLogger } from "../../src/logger.js";
import { EventMetrics } from "../../src/metrics/event-metrics.js";
import { ALL_EVENT_TYPES, collectEvents, counterValue, SAMPLE_DATA } from "./sample-events.js";

function publisher(): { events: EventPublisher; bus: LocalEventBus; registry: Registry } {
  const registry = new Registry();
  const bus = new LocalEventBus({ counters: new EventMetrics(registry), logger: createLogger("silent") });
  return { events: new EventPublisher(bus), bus, registry };
}

describe("the event catalog", () => {
  it("lists every type under exactly one topic", () => {
    const listed = EVENT_TOPICS.flatMap((topic) => EVENT_TYPES_BY_TOPIC[topic]);
    expect([...listed].sort()).toEqual([...ALL_EVENT_TYPES].sort());
    for (const topic of EVENT_TOPICS) for (const type of EVENT_TYPES_BY_TOPIC[topic]) expect(topicOf(type)).toBe(topic);
  });
});

describe("EventPublisher", () => {
  it("wraps each event in a valid envelope of its topic: a fresh UUID, the time now, the session and the data", async () => {
    const { events, bus } = publisher();
    const sessionId = randomUUID();
    const watched = await Promise.all(EVENT_TOPICS.map((topic) => collectEvents(bus, topic, sessionId, EVENT_TYPES_BY_TOPIC[topic].length)));
    const beforeMs = Date.now();
    for (const type of ALL_EVENT_TYPES) expect(events.publish(type, sessionId, SAMPLE_DATA[type])).toBe(true);
    const afterMs = Date.now();
    const received: AnyEnvelope[] = (await Promise.all(watched.map((w) => w.done))).flat();
    expect(received.map((e) => e.type).sort()).toEqual([...ALL_EVENT_TYPES].sort());
    for (const envelope of received) {
      expect(parseEnvelope(topicOf(envelope.type), envelope)).toEqual(envelope);
      expect(envelope.session_id).toBe(sessionId);
      expect(envelope.data).toEqual(SAMPLE_DATA[envelope.type]);
      expect(envelope.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const atMs = Date.parse(envelope.at);
      expect(atMs).toBeGreaterThanOrEqual(beforeMs);
      expect(atMs).toBeLessThanOrEqual(afterMs);
    }
    expect(new Set(received.map((e) => e.id)).size).toBe(received.length);
  });

  it("never carries an SDP, a candidate or a name: data the catalog does not list is refused and counted", async () => {
    const { events, registry } = publisher();
    const sessionId = randomUUID();
    // What a careless call site might pass: the relayed signal whole, or a participant's display name.
    const signal = { ...SAMPLE_DATA["signal.relayed"], sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" } as EventData<"signal.relayed">;
    const candidate = { ...SAMPLE_DATA["signal.relayed"], kind: "ice_candidate", candidate: { candidate: "candidate:1 1 udp 1 10.0.0.1 9 typ host" } } as EventData<"signal.relayed">;
    const joined = { ...SAMPLE_DATA["participant.joined"], name: "Alice Example" } as EventData<"participant.joined">;
    expect(events.publish("signal.relayed", sessionId, signal)).toBe(false);
    expect(events.publish("signal.relayed", sessionId, candidate)).toBe(false);
    expect(events.publish("participant.joined", sessionId, joined)).toBe(false);
    expect(await counterValue(registry, "engine_events_dropped_total", { topic: "signaling_events", reason: "invalid" })).toBe(2);
    expect(await counterValue(registry, "engine_events_dropped_total", { topic: "meeting_events", reason: "invalid" })).toBe(1);
    expect(await counterValue(registry, "engine_events_published_total", { topic: "signaling_events" })).toBe(0);
  });
});
