import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DEFAULT_TUTOR_PROFILE, defaultTutorProfile, tutorSettings } from "../../src/tutor/tutor-profile.js";

const issuesOf = (value: unknown): string[] => {
  const parsed = tutorSettings.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
};

describe("tutor settings", () => {
  it("an empty body takes every default", () => {
    expect(tutorSettings.parse({})).toEqual(DEFAULT_TUTOR_PROFILE);
    expect(DEFAULT_TUTOR_PROFILE).toMatchObject({
      language: "en",
      llm: { model: null, temperature: 0.7, max_tokens: 300 },
      voice: { name: "en-us", rate_wpm: 175 },
      turn: { vad_threshold: 0.5, end_of_turn_silence_ms: 500, min_interruption_ms: 300 },
    });
    expect(DEFAULT_TUTOR_PROFILE.system_prompt.length).toBeGreaterThan(100);
    expect(DEFAULT_TUTOR_PROFILE.greeting).not.toBe("");
  });

  it("a partial group keeps the defaults of its other fields", () => {
    expect(tutorSettings.parse({ llm: { temperature: 1.2 }, voice: { name: "en-gb-x-rp" }, greeting: "" })).toMatchObject({
      llm: { model: null, temperature: 1.2, max_tokens: 300 },
      voice: { name: "en-gb-x-rp", rate_wpm: 175 },
      greeting: "",
    });
  });

  it("refuses other languages with a reason, and every out-of-range or unknown field", () => {
    expect(issuesOf({ language: "fr" })).toEqual([expect.stringMatching(/^language: only English \("en"\) is supported: .*Whisper tiny\.en/)]);
    const issues = issuesOf({
      llm: { temperature: 3, max_tokens: 5_000, top_p: 1 },
      voice: { name: "en us; rm", rate_wpm: 50 },
      turn: { vad_threshold: 0.99, end_of_turn_silence_ms: 100, min_interruption_ms: 2_001 },
      system_prompt: "x".repeat(8_001),
      greeting: "x".repeat(501),
      colour: "blue",
    });
    expect(issues.map((issue) => issue.split(":")[0])).toEqual(
      expect.arrayContaining([
        "llm.temperature", "llm.max_tokens", "llm", "voice.name", "voice.rate_wpm", "turn.vad_threshold",
        "turn.end_of_turn_silence_ms", "turn.min_interruption_ms", "system_prompt", "greeting", "",
      ]),
    );
    expect(issuesOf({ name: "bad\u0000name" })).toHaveLength(1);
    expect(issuesOf({ voice: { name: "x".repeat(41) } })).toHaveLength(1);
  });
});

describe("defaultTutorProfile", () => {
  it("merges overrides deep over the defaults, undefined keeping a default", () => {
    const settings = defaultTutorProfile({ voice: { rate_wpm: 150 }, llm: { model: "llama3.2:3b" }, greeting: undefined, system_prompt: "Be brief." });
    expect(settings).toEqual({
      ...DEFAULT_TUTOR_PROFILE,
      system_prompt: "Be brief.",
      llm: { ...DEFAULT_TUTOR_PROFILE.llm, model: "llama3.2:3b" },
      voice: { name: "en-us", rate_wpm: 150 },
    });
    expect(defaultTutorProfile()).toEqual(DEFAULT_TUTOR_PROFILE);
    // The constant is never changed by a merge.
    expect(DEFAULT_TUTOR_PROFILE.voice.rate_wpm).toBe(175);
  });

  it("throws a ZodError naming each bad field by its path", () => {
    let caught: unknown;
    try {
      defaultTutorProfile({ language: "de", voice: { rate_wpm: 1_000 } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(z.ZodError);
    expect((caught as z.ZodError).issues.map((issue) => issue.path.join("."))).toEqual(["language", "voice.rate_wpm"]);
  });
});
