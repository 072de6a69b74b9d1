/**
 * MAX_SESSIONS across processes: the store counts and inserts under one database lock, so creations racing through
 * separate connections (as separate engine processes have) never pass the limit.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/persistence/database.js";
import { DrizzleSessionStore } from "../../src/persistence/drizzle-session-store.js";
import { openPgliteDatabase } from "../../src/persistence/pglite-database.js";
import { openPostgresDatabase } from "../../src/persistence/postgres-database.js";
import type { NewSession, SessionStore } from "../../src/persistence/store.js";
import { createFreshPostgresDatabase, type FreshPostgresDatabase } from "../support/postgres.js";

const DATABASE_URL = process.env.DATABASE_URL;

function newSession(maxOpen: number): NewSession {
  return { id: randomUUID(), kind: "meeting", title: null, tutorId: null, studentId: null, kbId: null, maxParticipants: 4, idleTimeoutMs: 60_000, maxDurationMs: 600_000, at: new Date(), maxOpen };
}

/** Fires `attempts` creations at once, spread over the stores; answers how many succeeded and each refusal's code. */
async function race(stores: readonly SessionStore[], attempts: number, maxOpen: number): Promise<{ created: number; refusals: unknown[] }> {
  const results = await Promise.allSettled(
    Array.from({ length: attempts }, (_, i) => (stores[i % stores.length] as SessionStore).createSession(newSession(maxOpen))),
  );
  return {
    created: results.filter((r) => r.status === "fulfilled").length,
    refusals: results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code?: unknown }).code] : [])),
  };
}

describe("session limit, one PGlite database", () => {
  let database: Database;
  let store: DrizzleSessionStore;
  beforeAll(async () => {
    database = await openPgliteDatabase();
    await database.migrate();
    store = new DrizzleSessionStore(database.db, { onClose: () => database.close() });
  });
  afterAll(() => store.close());

  it("concurrent creations stop at the limit with max_sessions; ended sessions free their slot", async () => {
    const { created, refusals } = await race([store], 12, 5);
    expect(created).toBe(5);
    expect(refusals).toEqual(Array(7).fill("max_sessions"));
    const [first] = await store.listOpenSessions();
    await store.recordTransition({ sessionId: first?.id ?? "", status: "ended", snapshot: null, reason: "requested", at: new Date() });
    expect((await race([store], 3, 5)).created).toBe(1);
  });
});

describe.skipIf(DATABASE_URL === undefined)("session limit, two connections to one Postgres database (DATABASE_URL)", () => {
  let fresh: FreshPostgresDatabase;
  const stores: DrizzleSessionStore[] = [];
  beforeAll(async () => {
    fresh = await createFreshPostgresDatabase(DATABASE_URL ?? "");
    for (let i = 0; i < 2; i += 1) {
      const database = await openPostgresDatabase({ url: fresh.url });
      await database.migrate();
      stores.push(new DrizzleSessionStore(database.db, { onClose: () => database.close() }));
    }
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await fresh?.drop();
  });

  it("creations racing through both never pass the limit", async () => {
    const { created, refusals } = await race(stores, 20, 6);
    expect(created).toBe(6);
    expect(refusals).toEqual(Array(14).fill("max_sessions"));
  });
});
