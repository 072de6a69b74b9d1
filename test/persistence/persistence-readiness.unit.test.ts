import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { WriteMetrics } from "../../src/metrics/write-metrics.js";
import { persistenceReadiness } from "../../src/persistence/persistence-readiness.js";

describe("the persistence readiness check", () => {
  it("is ready while no room is degraded, whatever is buffered; not ready while one is; ready again when it recovers", async () => {
    const metrics = new WriteMetrics(new Registry(), () => {});
    const check = persistenceReadiness(metrics);
    expect(check.name).toBe("persistence");
    metrics.writesBuffered(3);
    expect(await check.check()).toEqual({ ok: true, value: { degraded_rooms: 0, buffered_writes: 3 } });
    metrics.writesBuffered(500);
    metrics.persistenceDegraded(true);
    expect(await check.check()).toEqual({
      ok: false,
      value: { degraded_rooms: 1, buffered_writes: 503 },
      reason: "1 room(s) have database writes piling up unwritten",
    });
    metrics.persistenceDegraded(false);
    metrics.writesBuffered(-503);
    expect(await check.check()).toEqual({ ok: true, value: { degraded_rooms: 0, buffered_writes: 0 } });
  });
});
