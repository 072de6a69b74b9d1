/** The `TutorStore` contract, on PGlite and (when DATABASE_URL is set) Postgres. */
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { DrizzleTutorStore } from "../../src/persistence/drizzle-tutor-store.js";
import { defaultTutorProfile, type TutorProfile } from "../../src/tutor/tutor-profile.js";
import { storeContract } from "../support/store-contract.js";

const T0 = Date.parse("2030-01-01T00:00:00.000Z");

function profile(overrides: Partial<TutorProfile> = {}): TutorProfile {
  return { tutor_id: `t-${randomUUID()}`, ...defaultTutorProfile({ name: "Ada" }), created_at: new Date(T0), updated_at: new Date(T0), ...overrides };
}

storeContract("TutorStore", ({ db }) => {
  const store = () => new DrizzleTutorStore(db());

  it("inserts a profile and reads it back as written", async () => {
    const written = profile({ llm: { model: "llama3.2:3b", temperature: 0.2, max_tokens: 120 }, greeting: "" });
    expect(await store().put(written)).toEqual({ created: true, profile: written });
    expect(await store().get(written.tutor_id)).toEqual(written);
    expect(await store().get(`t-${randomUUID()}`)).toBeNull();
  });

  it("replaces a profile by id, keeping when it was created", async () => {
    const first = profile();
    await store().put(first);
    const later = { ...first, name: "Grace", voice: { name: "en-gb", rate_wpm: 150 }, created_at: new Date(T0 + 5_000), updated_at: new Date(T0 + 5_000) };
    const replaced = await store().put(later);
    expect(replaced).toEqual({ created: false, profile: { ...later, created_at: new Date(T0) } });
    expect(await store().get(first.tutor_id)).toEqual(replaced.profile);
  });

  it("two racing puts of a new id make one insert and one replace", async () => {
    const id = `t-${randomUUID()}`;
    const results = await Promise.all([store().put(profile({ tutor_id: id, name: "One" })), store().put(profile({ tutor_id: id, name: "Two" }))]);
    expect(results.map((result) => result.created).sort()).toEqual([false, true]);
  });

  it("deletes once", async () => {
    const written = profile();
    await store().put(written);
    expect(await store().delete(written.tutor_id)).toBe(true);
    expect(await store().delete(written.tutor_id)).toBe(false);
    expect(await store().get(written.tutor_id)).toBeNull();
  });

  it("lists by id in pages, with the total", async () => {
    const before = (await store().list({ limit: 1, offset: 0 })).total;
    const prefix = `list-${randomUUID()}`;
    for (const suffix of ["c", "a", "b"]) await store().put(profile({ tutor_id: `${prefix}-${suffix}` }));
    const all = await store().list({ limit: 1_000, offset: 0 });
    expect(all.total).toBe(before + 3);
    const ours = all.items.filter((item) => item.tutor_id.startsWith(prefix)).map((item) => item.tutor_id);
    expect(ours).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    const ids = all.items.map((item) => item.tutor_id);
    const page = await store().list({ limit: 2, offset: 1 });
    expect(page.items.map((item) => item.tutor_id)).toEqual(ids.slice(1, 3));
  });
});
