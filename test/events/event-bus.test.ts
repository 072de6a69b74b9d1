import { once } from "node:events";
import { randomUUID } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { EventBus } from "../../src/events/event-bus.js";
import { LocalEventBus } from "../../src/events/local-event-bus.js";
import { RedisEventBus, type RedisEventBusOptions } from "../../src/events/redis-event-bus.js";
import { createLogger } from "../../src/logger.js";
import { EventMetrics } from "../../src/metrics/event-metrics.js";
import { testRedisUrl } from "../support/engine.js";
import { eventBusContract, type BusUnderTest } from "./event-bus.contract.js";
import { collectEvents, counterValue, envelopeOf, publishAny, SAMPLE_DATA } from "./sample-events.js";

const logger = createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent");
const redisUrl = testRedisUrl();

function deps(): { registry: Registry; deps: { counters: EventMetrics; logger: typeof logger } } {
  const registry = new Registry();
  return { registry, deps: { counters: new EventMetrics(registry), logger } };
}

function redisBus(url: string, options: Partial<RedisEventBusOptions> = {}): BusUnderTest & { bus: RedisEventBus } {
  const made = deps();
  return { bus: new RedisEventBus(url, made.deps, options), registry: made.registry };
}

eventBusContract("LocalEventBus", {
  make() {
    const made = deps();
    return { bus: new LocalEventBus(made.deps), registry: made.registry };
  },
  observer: (publisher) => publisher.bus,
});

if (redisUrl === null) {
  describe.skip("RedisEventBus: REDIS_URL is not set, so there is no Redis to run against (CI sets it)", () => {
    it("runs the EventBus contract and the outage cases against a real Redis", () => {});
  });
} else {
  const url = redisUrl;
  eventBusContract("RedisEventBus", { make: () => redisBus(url), observer: () => redisBus(url).bus });

  describe("RedisEventBus: bounds", () => {
    const open: EventBus[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((bus) => bus.close()));
    });
    const track = <T extends { bus: EventBus }>(made: T): T => (open.push(made.bus), made);
    const dropped = (t: BusUnderTest, reason: string) => counterValue(t.registry, "engine_events_dropped_total", { topic: "meeting_events", reason });

    it("with its Redis unreachable (a closed port) publishing neither throws nor waits; the queue's overflow and what close cannot flush are counted", async () => {
      const server = createServer();
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      const { port } = server.address() as AddressInfo;
      await new Promise((resolve) => server.close(resolve));
      const t = track(redisBus(`redis://127.0.0.1:${port}/0`, { maxQueued: 10, closeTimeoutMs: 300 }));
      const sessionId = randomUUID();
      const startedMs = performance.now();
      const accepted = Array.from({ length: 25 }, () => publishAny(t.bus, envelopeOf("meeting.started", sessionId, {})));
      expect(performance.now() - startedMs).toBeLessThan(100);
      expect(accepted.filter(Boolean).length).toBe(10);
      expect(await dropped(t, "queue_full")).toBe(15);
      const closingMs = performance.now();
      await t.bus.close();
      expect(performance.now() - closingMs).toBeLessThan(1_000);
      expect(await dropped(t, "closed")).toBe(10);
      expect(await counterValue(t.registry, "engine_events_published_total", { topic: "meeting_events" })).toBe(0);
    });

    it("a full queue drops new envelopes and counts them; those queued are published", async () => {
      const t = track(redisBus(url, { maxQueued: 5 }));
      const sessionId = randomUUID();
      const watched = await collectEvents(track(redisBus(url)).bus, "meeting_events", sessionId, 5);
      // One synchronous burst: the queue drains only after the publisher's turn, so it fills.
      const sent = Array.from({ length: 20 }, (_, i) => envelopeOf("participant.joined", sessionId, { participant_id: `p-${i}`, role: "participant" }));
      const accepted = sent.map((envelope) => publishAny(t.bus, envelope));
      expect(accepted).toEqual(sent.map((_, i) => i < 5));
      expect(await dropped(t, "queue_full")).toBe(15);
      expect(await watched.done).toEqual(sent.slice(0, 5));
      await t.bus.close();
      expect(await counterValue(t.registry, "engine_events_published_total", { topic: "meeting_events" })).toBe(5);
    });

    it("a message on a topic that is not a valid envelope is counted and dropped, never thrown", async () => {
      const t = track(redisBus(url));
      const sessionId = randomUUID();
      const watched = await collectEvents(t.bus, "ai_events", sessionId, 1);
      const raw = new Redis(url);
      try {
        const valid = envelopeOf("meeting_analysis.completed", sessionId, SAMPLE_DATA["meeting_analysis.completed"]);
        await raw.publish("ai_events", "not json {");
        await raw.publish("ai_events", JSON.stringify({ ...valid, data: { status: "final" } }));
        await raw.publish("ai_events", JSON.stringify(envelopeOf("meeting.started", sessionId, {})));
        await raw.publish("ai_events", JSON.stringify(valid));
        expect(await watched.done).toEqual([valid]);
        expect(await counterValue(t.registry, "engine_events_malformed_total", { topic: "ai_events" })).toBe(3);
      } finally {
        raw.disconnect();
      }
    });
  });
}
