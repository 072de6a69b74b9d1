import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import pino from "pino";
import { TutorInstances, type TutorInstancesDeps } from "../../src/tutor/tutor-instances.js";
import { defaultTutorProfile, type TutorProfile } from "../../src/tutor/tutor-profile.js";
import { UnconfiguredLlm } from "../../src/tutor/llm/unconfigured-llm.js";

function setup(options: { idleMs?: number; maxInstances?: number } = {}) {
  const stored = new Map<string, TutorProfile>();
  const counts = { hit: 0, miss: 0, evicted: [] as string[], instances: 0 };
  const speech: TutorInstancesDeps["speech"] = { synthesize: async () => ({ pcm16: new Uint8Array(4), sampleRate: 22_050 }) };
  const deps: TutorInstancesDeps = {
    profiles: { get: async (id) => stored.get(id) ?? null },
    defaultProfile: defaultTutorProfile({ name: "Default" }),
    defaultModel: "m",
    createLlm: () => new UnconfiguredLlm(),
    speech,
    logger: pino({ level: "silent" }),
    counters: {
      hit: () => (counts.hit += 1),
      miss: () => (counts.miss += 1),
      evicted: (reason) => counts.evicted.push(reason),
      instances: (n) => (counts.instances = n),
    },
  };
  const tutors = new TutorInstances(deps, { idleMs: options.idleMs ?? 1_000, maxInstances: options.maxInstances ?? 10 });
  const now = new Date();
  const store = (id: string, name: string) =>
    stored.set(id, { ...defaultTutorProfile({ name, llm: { model: "custom" } }), tutor_id: id, created_at: now, updated_at: now });
  return { tutors, counts, store };
}

describe("TutorInstances", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("one instance per tutor, shared by its sessions, made once for concurrent first uses", async () => {
    const { tutors, counts, store } = setup();
    store("t1", "Ada");
    const [a, b] = await Promise.all([tutors.acquire("t1"), tutors.acquire("t1")]);
    const c = await tutors.acquire("t2");
    expect(a.instance).toBe(b.instance);
    expect(a.instance.refs).toBe(2);
    expect(a.instance.profile.name).toBe("Ada");
    expect(a.instance.llmSettings?.model).toBe("custom");
    // A tutor without a stored profile gets the default one, with the engine's model, in an instance of its own.
    expect(c.instance).not.toBe(a.instance);
    expect(c.instance.profile.name).toBe("Default");
    expect(c.instance.llmSettings?.model).toBe("m");
    expect(counts).toMatchObject({ miss: 2, hit: 1, instances: 2 });
  });

  it("evicts an instance idle for idleMs, not one still in use, and releasing twice counts once", async () => {
    const { tutors, counts } = setup({ idleMs: 1_000 });
    const a = await tutors.acquire("t1");
    const b = await tutors.acquire("t1");
    a.release();
    a.release();
    vi.advanceTimersByTime(5_000);
    expect(tutors.size).toBe(1);
    b.release();
    vi.advanceTimersByTime(999);
    // Taken again before the timer fires: the timer is cleared.
    const again = await tutors.acquire("t1");
    expect(again.instance).toBe(a.instance);
    again.release();
    vi.advanceTimersByTime(1_000);
    expect(tutors.size).toBe(0);
    expect(counts.evicted).toEqual(["idle"]);
  });

  it("past maxInstances evicts the least recently used instance without sessions", async () => {
    const { tutors, counts } = setup({ maxInstances: 2, idleMs: 60_000 });
    const t1 = await tutors.acquire("t1");
    vi.advanceTimersByTime(10);
    const t2 = await tutors.acquire("t2");
    vi.advanceTimersByTime(10);
    t2.release();
    vi.advanceTimersByTime(10);
    t1.release();
    const t3 = await tutors.acquire("t3");
    expect(counts.evicted).toEqual(["capacity"]);
    // t2 was released first: it went; t1 stays.
    expect((await tutors.acquire("t1")).instance).toBe(t1.instance);
    // Every instance in use: none is taken from its sessions, the bound is exceeded instead.
    await tutors.acquire("t4");
    expect(tutors.size).toBe(3);
    t3.release();
  });

  it("a changed profile: new sessions get a new instance, the old one ends with its last session", async () => {
    const { tutors, counts, store } = setup();
    store("t1", "Ada");
    const old = await tutors.acquire("t1");
    store("t1", "Grace");
    tutors.invalidate("t1");
    const fresh = await tutors.acquire("t1");
    expect(fresh.instance).not.toBe(old.instance);
    expect(fresh.instance.profile.name).toBe("Grace");
    expect(old.instance.profile.name).toBe("Ada");
    old.release();
    expect(counts.evicted).toEqual(["changed"]);
    expect(tutors.size).toBe(1);
  });

  it("prewarm tries the voice and the LLM endpoint and reports each", async () => {
    const { tutors } = setup();
    const report = await tutors.prewarm("t9");
    expect(report).toMatchObject({ tutor_id: "t9", profile: "default", voice: { ok: true, sample_rate: 22_050 }, llm: { ok: false, code: "llm_unavailable" } });
    // The prewarmed instance stays for the tutor's next session.
    expect(tutors.size).toBe(1);
  });
});
