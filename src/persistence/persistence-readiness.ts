import type { ReadinessCheck } from "../api/readiness.js";
import type { PersistenceHealth } from "../metrics/write-metrics.js";

/**
 * `/ready`'s `persistence`: not ready while any room of this process has its writes piling up (`degraded`), so a
 * load balancer sends no new sessions to a process that is close to losing writes. The `database` check says whether
 * the database answers now; this one says whether the rooms have caught up with it.
 */
export function persistenceReadiness(health: PersistenceHealth): ReadinessCheck {
  return {
    name: "persistence",
    check: async () => {
      const value = { degraded_rooms: health.degradedRooms, buffered_writes: health.bufferedWrites };
      if (health.degradedRooms === 0) return { ok: true, value };
      return { ok: false, value, reason: `${health.degradedRooms} room(s) have database writes piling up unwritten` };
    },
  };
}
