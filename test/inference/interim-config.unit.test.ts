import { describe, expect, it } from "vitest";
import { configFromEnv } from "../../src/config.js";
import { ConfigError } from "../../src/env-fields.js";

describe("ASR_INTERIM", () => {
  it("switches interim captions; on by default", () => {
    expect(configFromEnv({}).asrInterim).toBe(true);
    expect(configFromEnv({ ASR_INTERIM: "false" }).asrInterim).toBe(false);
    expect(configFromEnv({ ASR_INTERIM: "1" }).asrInterim).toBe(true);
    expect(() => configFromEnv({ ASR_INTERIM: "sometimes" })).toThrow(ConfigError);
  });
});
