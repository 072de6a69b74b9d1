import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { orAfter } from "../src/or-after.js";

describe("orAfter", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("answers the value when it comes first, and leaves no timer behind", async () => {
    await expect(orAfter(Promise.resolve(7), 1_000, "late")).resolves.toBe(7);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("answers the fallback once the time passed first", async () => {
    const waiting = orAfter(new Promise<number>(() => {}), 1_000, "late");
    await vi.advanceTimersByTimeAsync(999);
    let answered: number | string | undefined;
    void waiting.then((value) => (answered = value));
    await vi.advanceTimersByTimeAsync(0);
    expect(answered).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(answered).toBe("late");
  });

  it("passes a rejection through, and clears its timer", async () => {
    await expect(orAfter(Promise.reject(new Error("refused")), 1_000, null)).rejects.toThrow("refused");
    expect(vi.getTimerCount()).toBe(0);
  });
});
