/** The database backends themselves: migrations (idempotent, on both), jsonb storage, and opening by configuration. */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isEngineError } from "../../src/errors.js";
import type { Database } from "../../src/persistence/database.js";
import { DrizzleSessionStore } from "../../src/persistence/drizzle-session-store.js";
import { openDatabase } from "../../src/persistence/open-database.js";
import { openPgliteDatabase } from "../../src/persistence/pglite-database.js";
import { openPostgresDatabase } from "../../src/persistence/postgres-database.js";
import { createFreshPostgresDatabase } from "../support/postgres.js";

const DATABASE_URL = process.env.DATABASE_URL;

/** Rows of a raw query, whichever driver answered (PGlite returns `{rows}`, postgres.js an array). */
async function rows(database: Database, query: ReturnType<typeof sql>): Promise<Record<string, unknown>[]> {
  const result: unknown = await database.db.execute(query);
  const list: unknown = Array.isArray(result) ? result : (result as { rows?: unknown }).rows;
  if (!Array.isArray(list)) throw new Error("unexpected result shape");
  return list as Record<string, unknown>[];
}

function backendSuite(name: string, open: () => Promise<{ database: Database; cleanup: () => Promise<void> }>): void {
  describe(name, () => {
    let database: Database | undefined;
    let cleanup: () => Promise<void> = async () => {};
    const db = (): Database => {
      if (database === undefined) throw new Error("not opened");
      return database;
    };

    // Migrated here, not by the first test: every test below needs the tables, whichever runs.
    beforeAll(async () => {
      ({ database, cleanup } = await open());
      await db().migrate();
    });
    afterAll(async () => {
      await database?.close();
      await cleanup();
    });

    it("migrates, and migrating again is a no-op", async () => {
      const applied = await rows(db(), sql`select hash from drizzle.__drizzle_migrations`);
      await db().migrate();
      expect(await rows(db(), sql`select hash from drizzle.__drizzle_migrations`)).toEqual(applied);
      expect(applied.length).toBeGreaterThan(0);
      const tables = await rows(
        db(),
        sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
      );
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["participants", "session_events", "sessions"]));
    });

    it("pings", async () => {
      await expect(db().ping()).resolves.toBeUndefined();
    });

    it("stores snapshots and event data as JSON objects, not JSON strings", async () => {
      const store = new DrizzleSessionStore(db().db);
      const id = `json-${Date.now()}-${Math.random()}`;
      const at = new Date();
      await store.createSession({
        id,
        kind: "meeting",
        title: null,
        tutorId: null,
        studentId: null,
        kbId: null,
        maxParticipants: 2,
        idleTimeoutMs: 1,
        maxDurationMs: 1,
        at,
      });
      await store.recordTransition({ sessionId: id, status: "live", snapshot: { value: "live" }, reason: null, at });
      const [session] = await rows(db(), sql`select jsonb_typeof(snapshot) as t from sessions where id = ${id}`);
      expect(session?.t).toBe("object");
      const events = await rows(db(), sql`select jsonb_typeof(data) as t from session_events where session_id = ${id}`);
      expect(events.map((e) => e.t)).toEqual(["object", "object"]);
    });
  });
}

backendSuite("PGlite backend", async () => ({ database: await openPgliteDatabase(), cleanup: async () => {} }));

describe.skipIf(!DATABASE_URL)("PostgreSQL backend (DATABASE_URL)", () => {
  backendSuite("PostgreSQL backend", async () => {
    const fresh = await createFreshPostgresDatabase(DATABASE_URL ?? "");
    return { database: await openPostgresDatabase({ url: fresh.url }), cleanup: fresh.drop };
  });
});

describe("openDatabase", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "engine-data-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("opens PGlite under <dataDir>/pglite when no URL is given", async () => {
    const database = await openDatabase({ dataDir: dir });
    try {
      expect(database.kind).toBe("pglite");
      await database.migrate();
      expect((await stat(join(dir, "pglite"))).isDirectory()).toBe(true);
    } finally {
      await database.close();
    }
  });

  it("fails with a retryable database_unavailable when PostgreSQL cannot be reached", async () => {
    const error: unknown = await openDatabase({ databaseUrl: "postgres://nobody@127.0.0.1:1/none", dataDir: dir }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isEngineError(error, "database_unavailable")).toBe(true);
    expect(isEngineError(error) && error.retryable).toBe(true);
  });

  it.runIf(DATABASE_URL)("opens PostgreSQL when a URL is given", async () => {
    const database = await openDatabase({ databaseUrl: DATABASE_URL ?? "", dataDir: dir });
    try {
      expect(database.kind).toBe("postgres");
      await database.ping();
    } finally {
      await database.close();
    }
  });
});
