import { describe, expect, it } from "vitest";
import { ConfigError, configFromEnv } from "../../src/config.js";
import { defaultTutorProfile } from "../../src/tutor/tutor-profile.js";

describe("tutor and LLM configuration", () => {
  it("reads the LLM endpoint and the default tutor's settings", () => {
    const config = configFromEnv({
      LLM_URL: "http://localhost:11434/v1",
      LLM_MODEL: "llama3.2:3b",
      LLM_FIRST_TOKEN_TIMEOUT_MS: "5000",
      TUTOR_IDLE_MS: "60000",
      TUTOR_MAX_INSTANCES: "3",
      TUTOR_GREETING: "",
      TUTOR_VOICE: "en-gb",
      TUTOR_RATE_WPM: "150",
      TUTOR_TEMPERATURE: "0.2",
      TUTOR_MIN_INTERRUPTION_MS: "500",
    });
    expect(config).toMatchObject({ llmUrl: "http://localhost:11434/v1", llmModel: "llama3.2:3b", llmFirstTokenTimeoutMs: 5_000, tutorIdleMs: 60_000, tutorMaxInstances: 3 });
    const profile = defaultTutorProfile(config.defaultTutor);
    expect(profile).toMatchObject({ greeting: "", voice: { name: "en-gb", rate_wpm: 150 }, llm: { temperature: 0.2 }, turn: { min_interruption_ms: 500 } });
  });

  it("names the variable of a bad setting", () => {
    expect(() => configFromEnv({ LLM_URL: "http://localhost:11434/v1" })).toThrow(/LLM_MODEL: required when LLM_URL is set/);
    expect(() => configFromEnv({ LLM_URL: "ftp://x" , LLM_MODEL: "m" })).toThrow(ConfigError);
    expect(() => configFromEnv({ TUTOR_RATE_WPM: "10" })).toThrow(/TUTOR_RATE_WPM/);
    expect(() => configFromEnv({ TUTOR_VAD_THRESHOLD: "2" })).toThrow(/TUTOR_VAD_THRESHOLD/);
    expect(() => configFromEnv({ TUTOR_TEMPERATURE: "hot" })).toThrow(/TUTOR_TEMPERATURE/);
  });

  it("without LLM_URL no LLM is configured; SESSION_TIMEOUT_SECONDS is read like SESSION_TIMEOUT", () => {
    const config = configFromEnv({ SESSION_TIMEOUT_SECONDS: "120" });
    expect(config.llmUrl).toBeNull();
    expect(config.maxDurationMs).toBe(120_000);
  });
});
