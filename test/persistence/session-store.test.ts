/** Runs the `SessionStore` contract on every backend: PGlite in memory, PGlite on disk, and Postgres when configured. */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/persistence/database.js";
import { DrizzleSessionStore } from "../../src/persistence/drizzle-session-store.js";
import { openPgliteDatabase } from "../../src/persistence/pglite-database.js";
import { openPostgresDatabase } from "../../src/persistence/postgres-database.js";
import { createFreshPostgresDatabase } from "../support/postgres.js";
import { sessionStoreContract, type OpenedStore } from "./session-store.contract.js";

const DATABASE_URL = process.env.DATABASE_URL;

async function migratedStore(database: Database, cleanup: () => Promise<void> = async () => {}): Promise<OpenedStore> {
  await database.migrate();
  const store = new DrizzleSessionStore(database.db, { onClose: () => database.close() });
  return {
    store,
    close: async () => {
      await store.close();
      await cleanup();
    },
  };
}

sessionStoreContract("PGlite in memory", async () => migratedStore(await openPgliteDatabase()));

sessionStoreContract("PGlite in a data folder", async () => {
  const dir = await mkdtemp(join(tmpdir(), "engine-pglite-"));
  // A folder that does not exist yet: openPgliteDatabase creates it.
  const database = await openPgliteDatabase({ dataDir: join(dir, "nested", "pglite") });
  return migratedStore(database, () => rm(dir, { recursive: true, force: true }));
});

describe("PGlite in a data folder: reopen", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "engine-pglite-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps sessions, participants and events across a close and reopen", async () => {
    const id = `s-${randomUUID()}`;
    const at = new Date("2030-01-01T00:00:00.000Z");
    const first = await migratedStore(await openPgliteDatabase({ dataDir: dir }));
    await first.store.createSession({
      id,
      kind: "meeting",
      title: "persisted",
      tutorId: null,
      studentId: null,
      kbId: null,
      maxParticipants: 4,
      idleTimeoutMs: 60_000,
      maxDurationMs: 3_600_000,
      at,
    });
    await first.store.recordJoin({ sessionId: id, participantId: "p1", name: "Ada", role: "host", at });
    await first.store.recordTransition({ sessionId: id, status: "live", snapshot: { value: "live" }, reason: null, at });
    await first.close();

    const second = await migratedStore(await openPgliteDatabase({ dataDir: dir }));
    try {
      expect(await second.store.getSession(id)).toMatchObject({ title: "persisted", status: "live", snapshot: { value: "live" } });
      expect(await second.store.listParticipants(id)).toMatchObject([{ participantId: "p1", connected: true }]);
      expect((await second.store.listEvents(id)).map((e) => e.type)).toEqual(["lifecycle.created", "participant.joined", "lifecycle.live"]);
      expect(await second.store.countOpenSessions()).toBe(1);
    } finally {
      await second.close();
    }
  });
});

describe.skipIf(!DATABASE_URL)("PostgreSQL (DATABASE_URL)", () => {
  sessionStoreContract("PostgreSQL", async () => {
    const fresh = await createFreshPostgresDatabase(DATABASE_URL ?? "");
    const database = await openPostgresDatabase({ url: fresh.url, maxConnections: 4 });
    return migratedStore(database, fresh.drop);
  });
});
