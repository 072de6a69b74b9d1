/** The `TranscriptStore` contract, on PGlite and (when DATABASE_URL is set) Postgres. */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/persistence/database.js";
import { DrizzleSessionStore } from "../../src/persistence/drizzle-session-store.js";
import { DrizzleTranscriptStore } from "../../src/persistence/drizzle-transcript-store.js";
import { openPgliteDatabase } from "../../src/persistence/pglite-database.js";
import { openPostgresDatabase } from "../../src/persistence/postgres-database.js";
import { createFreshPostgresDatabase, type FreshPostgresDatabase } from "../support/postgres.js";

const DATABASE_URL = process.env["DATABASE_URL"];

function transcriptStoreContract(name: string, open: () => Promise<{ database: Database; cleanup: () => Promise<void> }>): void {
  describe(`TranscriptStore contract — ${name}`, () => {
    let database: Database;
    let cleanup: () => Promise<void>;
    let transcripts: DrizzleTranscriptStore;
    let sessions: DrizzleSessionStore;

    beforeAll(async () => {
      ({ database, cleanup } = await open());
      await database.migrate();
      transcripts = new DrizzleTranscriptStore(database.db);
      sessions = new DrizzleSessionStore(database.db);
    });
    afterAll(async () => {
      await database.close();
      await cleanup();
    });

    async function session(): Promise<string> {
      const id = `s-${randomUUID()}`;
      await sessions.createSession({
        id, kind: "meeting", title: null, tutorId: null, studentId: null, kbId: null,
        maxParticipants: 4, idleTimeoutMs: 60_000, maxDurationMs: 60_000, at: new Date(),
      });
      return id;
    }

    it("saves segments idempotently on segment id and lists them by start", async () => {
      const id = await session();
      const at = new Date("2030-01-01T00:00:00.000Z");
      const late = { sessionId: id, segmentId: "a/2", participantId: "p1", text: "second", startMs: 5_000, endMs: 6_000, createdAt: at };
      const early = { sessionId: id, segmentId: "b/1", participantId: "p2", text: "first", startMs: 1_000, endMs: 2_500, createdAt: at };
      expect(await transcripts.saveSegment(late)).toBe(true);
      expect(await transcripts.saveSegment(early)).toBe(true);
      expect(await transcripts.saveSegment({ ...late, text: "changed" })).toBe(false);
      expect(await transcripts.listSegments(id)).toEqual([early, late]);
    });

    it("keeps sessions apart, and refuses a segment of an unknown session", async () => {
      const one = await session();
      const two = await session();
      await transcripts.saveSegment({ sessionId: one, segmentId: "x", participantId: "p", text: "one", startMs: 0, endMs: 1, createdAt: new Date() });
      expect(await transcripts.listSegments(two)).toEqual([]);
      await expect(
        transcripts.saveSegment({ sessionId: "missing", segmentId: "x", participantId: "p", text: "?", startMs: 0, endMs: 1, createdAt: new Date() }),
      ).rejects.toThrow();
    });
  });
}

transcriptStoreContract("PGlite in memory", async () => ({ database: await openPgliteDatabase(), cleanup: async () => {} }));

describe.skipIf(!DATABASE_URL)("Postgres", () => {
  let fresh: FreshPostgresDatabase | null = null;
  transcriptStoreContract("Postgres", async () => {
    fresh = await createFreshPostgresDatabase(DATABASE_URL ?? "");
    const current = fresh;
    return { database: await openPostgresDatabase({ url: current.url }), cleanup: () => current.drop() };
  });
});
