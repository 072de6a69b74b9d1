/** The `AnalysisStore` contract, on PGlite and (when DATABASE_URL is set) Postgres. */
import { expect, it } from "vitest";
import type { AnalysisRecord } from "../../src/persistence/analysis-store.js";
import { DrizzleAnalysisStore } from "../../src/persistence/drizzle-analysis-store.js";
import { storeContract } from "../support/store-contract.js";

storeContract("AnalysisStore", ({ db, session }) => {
  const store = () => new DrizzleAnalysisStore(db());
  const row = (sessionId: string, kind: string, atMs: number, participantId: string | null = "p1"): AnalysisRecord => ({
    sessionId, participantId, kind, atMs, payload: { kind, atMs, nested: { faces: 1 } }, createdAt: new Date("2030-01-01T00:00:00.000Z"),
  });

  it("saves a batch and lists it by offset, ties in the order written, payloads as written", async () => {
    const id = await session();
    const rows = [row(id, "expression", 2_000), row(id, "no_face", 1_000), row(id, "expression", 2_000, "p2"), row(id, "meeting", 0, null)];
    await store().saveAnalyses(rows);
    const listed = await store().listAnalyses(id, { limit: 10, offset: 0 });
    expect(listed.total).toBe(4);
    expect(listed.items).toEqual([rows[3], rows[1], rows[0], rows[2]]);
  });

  it("filters by kind and participant, pages, and keeps sessions apart", async () => {
    const one = await session();
    const two = await session();
    await store().saveAnalyses([row(one, "expression", 1), row(one, "expression", 2, "p2"), row(one, "no_face", 3), row(two, "expression", 4)]);
    const expressions = await store().listAnalyses(one, { kinds: ["expression"], limit: 1, offset: 1 });
    expect(expressions.total).toBe(2);
    expect(expressions.items.map((item) => item.participantId)).toEqual(["p2"]);
    const ofP1 = await store().listAnalyses(one, { participantId: "p1", limit: 10, offset: 0 });
    expect(ofP1.items.map((item) => item.kind)).toEqual(["expression", "no_face"]);
    expect((await store().listAnalyses(two, { limit: 10, offset: 0 })).total).toBe(1);
    await store().saveAnalyses([]);
  });

  it("refuses a whole batch holding a row of an unknown session", async () => {
    const id = await session();
    await expect(store().saveAnalyses([row(id, "expression", 1), row("missing", "expression", 2)])).rejects.toThrow();
    expect((await store().listAnalyses(id, { limit: 10, offset: 0 })).total).toBe(0);
  });
});
