import { describe, expect, it } from "vitest";
import { hasWords } from "../../src/inference/pool-interim.js";

describe("hasWords", () => {
  it("takes Whisper's non-speech annotations for no words", () => {
    expect(hasWords("[BLANK_AUDIO]")).toBe(false);
    expect(hasWords(" (music) ")).toBe(false);
    expect(hasWords("")).toBe(false);
    expect(hasWords("quick")).toBe(true);
    expect(hasWords("[BLANK_AUDIO] the quick")).toBe(true);
  });
});
