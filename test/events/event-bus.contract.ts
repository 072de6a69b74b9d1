import { randomUUID } from "node:crypto";
import type { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { EventBus } from "../../src/events/event-bus.js";
import { EVENT_TOPICS, EVENT_TYPES_BY_TOPIC, type AnyEnvelope, type EventTopic } from "../../src/events/event-types.js";
import { ALL_EVENT_TYPES, collectEvents, counterValue, envelopeOf, publishAny, SAMPLE_DATA } from "./sample-events.js";

export interface BusUnderTest {
  bus: EventBus;
  registry: Registry;
}

export interface BusFactory {
  /** A new bus with its own metrics registry. */
  make(): BusUnderTest;
  /** A bus that sees what `publisher` publishes: the same one in process, another connection on Redis. */
  observer(publisher: BusUnderTest): EventBus;
}

const published = (t: BusUnderTest, topic: EventTopic) => counterValue(t.registry, "engine_events_published_total", { topic });
const dropped = (t: BusUnderTest, topic: EventTopic, reason: string) => counterValue(t.registry, "engine_events_dropped_total", { topic, reason });

/** What every EventBus implementation must do (run by event-bus.test.ts against each). */
export function eventBusContract(name: string, factory: BusFactory): void {
  describe(`${name}: the EventBus contract`, () => {
    const open: EventBus[] = [];
    const make = (): BusUnderTest => {
      const made = factory.make();
      open.push(made.bus);
      return made;
    };
    const observe = (publisher: BusUnderTest): EventBus => {
      const bus = factory.observer(publisher);
      open.push(bus);
      return bus;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((bus) => bus.close()));
    });

    it("delivers every event type on its own topic, as published", async () => {
      const t = make();
      const sessionId = randomUUID();
      const watched = await Promise.all(
        EVENT_TOPICS.map((topic) => collectEvents(observe(t), topic, sessionId, EVENT_TYPES_BY_TOPIC[topic].length)),
      );
      const sent = ALL_EVENT_TYPES.map((type) => envelopeOf(type, sessionId, SAMPLE_DATA[type]));
      for (const envelope of sent) expect(publishAny(t.bus, envelope)).toBe(true);
      const received = await Promise.all(watched.map((w) => w.done));
      for (const [index, topic] of EVENT_TOPICS.entries()) {
        expect(received[index]).toEqual(sent.filter((e) => EVENT_TYPES_BY_TOPIC[topic].includes(e.type)));
      }
      await t.bus.close();
      for (const topic of EVENT_TOPICS) expect(await published(t, topic)).toBe(EVENT_TYPES_BY_TOPIC[topic].length);
    });

    it("refuses an envelope that is not a valid event of its topic: not delivered, counted as invalid", async () => {
      const t = make();
      const sessionId = randomUUID();
      const watched = await collectEvents(observe(t), "signaling_events", sessionId, 1);
      const valid = envelopeOf("signal.relayed", sessionId, SAMPLE_DATA["signal.relayed"]);
      const invalid: unknown[] = [
        { ...valid, id: "not-a-uuid" },
        { ...valid, at: "yesterday" },
        { ...valid, session_id: "" },
        // An SDP (or any field the catalog does not list) is never carried.
        { ...valid, data: { ...SAMPLE_DATA["signal.relayed"], sdp: "v=0\r\n" } },
        { ...valid, data: { ...SAMPLE_DATA["signal.relayed"], kind: "renegotiate" } },
        // A type of another topic.
        { ...envelopeOf("participant.joined", sessionId, SAMPLE_DATA["participant.joined"]) },
        { ...valid, type: "signal.unknown" },
      ];
      for (const envelope of invalid) expect(t.bus.publish("signaling_events", envelope as AnyEnvelope & { type: "signal.relayed" })).toBe(false);
      expect(t.bus.publish("signaling_events", valid as AnyEnvelope & { type: "signal.relayed" })).toBe(true);
      expect(await watched.done).toEqual([valid]);
      expect(await dropped(t, "signaling_events", "invalid")).toBe(invalid.length);
    });

    it("keeps one publisher's order", async () => {
      const t = make();
      const sessionId = randomUUID();
      const count = 500;
      const watched = await collectEvents(observe(t), "meeting_events", sessionId, count);
      for (let i = 0; i < count; i += 1) {
        publishAny(t.bus, envelopeOf("participant.joined", sessionId, { participant_id: `p-${i}`, role: "participant" }));
      }
      const received = await watched.done;
      expect(received.map((e) => (e.type === "participant.joined" ? e.data.participant_id : e.type))).toEqual(
        Array.from({ length: count }, (_, i) => `p-${i}`),
      );
    });

    it("delivers to several subscribers, and no more to one that unsubscribed", async () => {
      const t = make();
      const bus = observe(t);
      const sessionId = randomUUID();
      const first = envelopeOf("meeting.started", sessionId, {});
      const second = envelopeOf("meeting.ended", sessionId, { reason: "idle_timeout" });
      const leaving: AnyEnvelope[] = [];
      const unsubscribe = await bus.subscribe("meeting_events", (e) => e.session_id === sessionId && leaving.push(e));
      const staying = [await collectEvents(bus, "meeting_events", sessionId, 2), await collectEvents(bus, "meeting_events", sessionId, 2)];
      const firstSeen = await collectEvents(bus, "meeting_events", sessionId, 1);
      publishAny(t.bus, first);
      await firstSeen.done;
      expect(leaving).toEqual([first]);
      await unsubscribe();
      // Idempotent: the second call removes nothing (and does not unsubscribe the topic from under the others).
      await unsubscribe();
      publishAny(t.bus, second);
      for (const watched of staying) expect(await watched.done).toEqual([first, second]);
      // The bus delivers each envelope to every handler of its topic in one pass: the staying ones saw the second,
      // so the one that left would have too.
      expect(leaving).toEqual([first]);
    });

    it("a handler that throws stops neither the others nor the publisher", async () => {
      const t = make();
      const bus = observe(t);
      const sessionId = randomUUID();
      await bus.subscribe("ai_events", () => {
        throw new Error("a subscriber's bug");
      });
      const watched = await collectEvents(bus, "ai_events", sessionId, 2);
      const sent = [
        envelopeOf("tutor.turn.completed", sessionId, SAMPLE_DATA["tutor.turn.completed"]),
        envelopeOf("meeting_analysis.completed", sessionId, SAMPLE_DATA["meeting_analysis.completed"]),
      ];
      for (const envelope of sent) expect(publishAny(t.bus, envelope)).toBe(true);
      expect(await watched.done).toEqual(sent);
    });

    it("close flushes what was published before it; later publishes are dropped and counted", async () => {
      const t = make();
      const sessionId = randomUUID();
      const watched = await collectEvents(observe(t), "ai_events", sessionId, 50);
      for (let i = 0; i < 50; i += 1) {
        publishAny(t.bus, envelopeOf("speech_recognition.completed", sessionId, { ...SAMPLE_DATA["speech_recognition.completed"], segment_id: `s-${i}` }));
      }
      await t.bus.close();
      expect(await published(t, "ai_events")).toBe(50);
      expect((await watched.done).length).toBe(50);
      expect(publishAny(t.bus, envelopeOf("meeting.started", sessionId, {}))).toBe(false);
      expect(await dropped(t, "meeting_events", "closed")).toBe(1);
      // Idempotent.
      await t.bus.close();
    });
  });
}
