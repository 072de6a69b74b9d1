/** The `MeetingAnalysisStore` contract, on PGlite and (when DATABASE_URL is set) Postgres. */
import { expect, it } from "vitest";
import { DrizzleMeetingAnalysisStore } from "../../src/persistence/drizzle-meeting-analysis-store.js";
import type { MeetingAnalysisRecord } from "../../src/persistence/meeting-analysis-store.js";
import { storeContract } from "../support/store-contract.js";

storeContract("MeetingAnalysisStore", ({ db, session }) => {
  const store = () => new DrizzleMeetingAnalysisStore(db());
  const record = (sessionId: string, status: "final" | "live", n: number): MeetingAnalysisRecord => ({
    sessionId,
    status,
    version: n,
    payload: { n, nested: { talk_time_ms: [1, 2] }, text: "héllo ✓" },
    computedAt: new Date(Date.UTC(2030, 0, 1, 0, 0, n)),
  });

  it("stores one analysis per session and reads it back as written", async () => {
    const id = await session();
    expect(await store().getMeetingAnalysis(id)).toBeNull();
    expect(await store().saveMeetingAnalysis(record(id, "live", 1))).toBe(true);
    expect(await store().getMeetingAnalysis(id)).toEqual(record(id, "live", 1));
    expect(await store().saveMeetingAnalysis(record(id, "live", 2))).toBe(true);
    expect(await store().getMeetingAnalysis(id)).toEqual(record(id, "live", 2));
  });

  it("a final analysis replaces a live one and another final one, never the reverse", async () => {
    const id = await session();
    await store().saveMeetingAnalysis(record(id, "live", 1));
    expect(await store().saveMeetingAnalysis(record(id, "final", 2))).toBe(true);
    expect(await store().saveMeetingAnalysis(record(id, "live", 3))).toBe(false);
    expect(await store().getMeetingAnalysis(id)).toEqual(record(id, "final", 2));
    expect(await store().saveMeetingAnalysis(record(id, "final", 4))).toBe(true);
    expect(await store().getMeetingAnalysis(id)).toEqual(record(id, "final", 4));
  });

  it("keeps sessions apart and refuses an unknown session", async () => {
    const one = await session();
    const two = await session();
    await store().saveMeetingAnalysis(record(one, "final", 1));
    expect(await store().getMeetingAnalysis(two)).toBeNull();
    await expect(store().saveMeetingAnalysis(record("missing", "final", 1))).rejects.toThrow();
  });
});
