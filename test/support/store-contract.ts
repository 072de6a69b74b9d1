import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe } from "vitest";
import type { Database, EngineDb } from "../../src/persistence/database.js";
import { DrizzleSessionStore } from "../../src/persistence/drizzle-session-store.js";
import { openPgliteDatabase } from "../../src/persistence/pglite-database.js";
import { openPostgresDatabase } from "../../src/persistence/postgres-database.js";
import { createFreshPostgresDatabase } from "./postgres.js";

/** What a store's contract needs of its database: the migrated database, and a fresh session row to hang rows on. */
export interface StoreContractContext {
  db(): EngineDb;
  session(): Promise<string>;
}

/**
 * Registers a store's contract suite once per backend: PGlite in memory always, and a fresh database on
 * DATABASE_URL's server when it is set (as CI runs it). Each run migrates its database first.
 */
export function storeContract(title: string, suite: (context: StoreContractContext) => void): void {
  const backends: { name: string; open: () => Promise<{ database: Database; cleanup: () => Promise<void> }> }[] = [
    { name: "PGlite in memory", open: async () => ({ database: await openPgliteDatabase(), cleanup: async () => {} }) },
  ];
  const url = process.env["DATABASE_URL"];
  if (url) {
    backends.push({
      name: "Postgres",
      open: async () => {
        const fresh = await createFreshPostgresDatabase(url);
        return { database: await openPostgresDatabase({ url: fresh.url }), cleanup: () => fresh.drop() };
      },
    });
  }
  for (const backend of backends) {
    describe(`${title} contract — ${backend.name}`, () => {
      let opened: { database: Database; cleanup: () => Promise<void> } | undefined;
      let sessions: DrizzleSessionStore | undefined;
      beforeAll(async () => {
        opened = await backend.open();
        await opened.database.migrate();
        sessions = new DrizzleSessionStore(opened.database.db);
      });
      afterAll(async () => {
        await opened?.database.close();
        await opened?.cleanup();
      });
      suite({
        db() {
          if (opened === undefined) throw new Error("the database is not open yet");
          return opened.database.db;
        },
        async session() {
          if (sessions === undefined) throw new Error("the database is not open yet");
          const id = `s-${randomUUID()}`;
          await sessions.createSession({
            id, kind: "meeting", title: null, tutorId: null, studentId: null, kbId: null,
            maxParticipants: 4, idleTimeoutMs: 60_000, maxDurationMs: 60_000, at: new Date(),
          });
          return id;
        },
      });
    });
  }
}
