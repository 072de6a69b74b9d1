/** The `TranscriptStore` contract, on PGlite and (when DATABASE_URL is set) Postgres. */
import { expect, it } from "vitest";
import { DrizzleTranscriptStore } from "../../src/persistence/drizzle-transcript-store.js";
import { storeContract } from "../support/store-contract.js";

storeContract("TranscriptStore", ({ db, session }) => {
  const store = () => new DrizzleTranscriptStore(db());

  it("saves segments idempotently on segment id and lists them by start", async () => {
    const id = await session();
    const at = new Date("2030-01-01T00:00:00.000Z");
    const late = { sessionId: id, segmentId: "a/2", participantId: "p1", text: "second", startMs: 5_000, endMs: 6_000, createdAt: at };
    const early = { sessionId: id, segmentId: "b/1", participantId: "p2", text: "first", startMs: 1_000, endMs: 2_500, createdAt: at };
    expect(await store().saveSegment(late)).toBe(true);
    expect(await store().saveSegment(early)).toBe(true);
    expect(await store().saveSegment({ ...late, text: "changed" })).toBe(false);
    expect(await store().listSegments(id)).toEqual([early, late]);
  });

  it("keeps sessions apart, and refuses a segment of an unknown session", async () => {
    const one = await session();
    const two = await session();
    await store().saveSegment({ sessionId: one, segmentId: "x", participantId: "p", text: "one", startMs: 0, endMs: 1, createdAt: new Date() });
    expect(await store().listSegments(two)).toEqual([]);
    await expect(
      store().saveSegment({ sessionId: "missing", segmentId: "x", participantId: "p", text: "?", startMs: 0, endMs: 1, createdAt: new Date() }),
    ).rejects.toThrow();
  });
});
