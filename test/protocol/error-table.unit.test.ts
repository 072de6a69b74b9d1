import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { EngineError } from "../../src/errors.js";
import { JOIN_REJECTIONS, JoinRejection } from "../../src/auth/join-rejections.js";
import { AudioError } from "../../src/inference/audio/audio-error.js";
import { InferenceError } from "../../src/inference/models/inference-error.js";
import { PoolError } from "../../src/inference/pool-error.js";
import { ERROR_CODES, ERROR_TABLE, isRetryable } from "../../src/protocol/error-codes.js";
import { withErrorTable } from "../../src/protocol/error-table-markdown.js";

describe("the error table", () => {
  it("is the README's (run `npm run docs:errors` after changing it)", async () => {
    const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
    expect(withErrorTable(readme)).toBe(readme);
  });

  it("gives every error class its retryable flag, whichever class carries the code", () => {
    expect(new EngineError("model_unavailable", "x").retryable).toBe(true);
    expect(new PoolError("model_unavailable", "x").retryable).toBe(true);
    expect(new InferenceError("model_unavailable", "x").retryable).toBe(true);
    expect(new PoolError("deadline_exceeded", "x").retryable).toBe(new EngineError("deadline_exceeded", "x").retryable);
    expect(new AudioError("x").retryable).toBe(false);
    expect(new JoinRejection("session_full").retryable).toBe(true);
    expect(new JoinRejection("token_expired").retryable).toBe(false);
    for (const code of ERROR_CODES) expect(isRetryable(code)).toBe(ERROR_TABLE[code].retryable);
  });

  it("answers each API code with its HTTP status and each join rejection with its fixed number", () => {
    expect(new EngineError("invalid_request", "x").status).toBe(400);
    expect(new EngineError("max_sessions", "x").status).toBe(503);
    expect(JOIN_REJECTIONS).toMatchObject({ token_missing: 440, token_invalid: 441, session_not_found: 446, invalid_join_options: 450 });
    expect(new JoinRejection("session_ended").numericCode).toBe(449);
  });

  it("keeps join numbers unique and inside 440–450, and every code on at least one surface", () => {
    const numbers = Object.values(JOIN_REJECTIONS);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const n of numbers) expect(n).toBeGreaterThanOrEqual(440);
    for (const n of numbers) expect(n).toBeLessThanOrEqual(450);
    for (const code of ERROR_CODES) expect(ERROR_TABLE[code].surfaces.length).toBeGreaterThan(0);
  });
});
