import { CloseCode, type Room } from "@colyseus/sdk";
import { describe, expect, it } from "vitest";
import { connectionLost, rejoin, REJOIN_DEFAULTS } from "../../web/src/rejoin.js";

/** A client whose joins fail with `errors` in turn, then succeed; the waits are recorded, never slept. */
function scripted(errors: string[]) {
  const calls: { sessionId: string; options: unknown }[] = [];
  const room = { roomId: "s1" } as unknown as Room;
  const client = {
    joinById: async (sessionId: string, options: Record<string, unknown>): Promise<Room> => {
      calls.push({ sessionId, options });
      const error = errors.shift();
      if (error !== undefined) throw new Error(error);
      return room;
    },
  };
  const waits: number[] = [];
  const wait = async (ms: number) => {
    waits.push(ms);
  };
  return { client, calls, waits, wait, room };
}

describe("the browser client's rejoin after a lost connection", () => {
  it("a consented close is a departure; any other close (dropped, failed to reconnect) is a lost connection", () => {
    expect(connectionLost(CloseCode.CONSENTED)).toBe(false);
    expect(connectionLost(CloseCode.FAILED_TO_RECONNECT)).toBe(true);
    expect(connectionLost(CloseCode.ABNORMAL_CLOSURE)).toBe(true);
  });

  it("joins again by id with its options after a doubling backoff, through the engine's restart", async () => {
    const { client, calls, waits, wait, room } = scripted(["fetch failed", "fetch failed", "session_ended"]);
    expect(await rejoin(client, "s1", { sample_rate: 48_000 }, REJOIN_DEFAULTS, wait)).toEqual({ room });
    expect(waits).toEqual([500, 1_000, 2_000, 4_000]);
    expect(calls).toEqual(Array.from({ length: 4 }, () => ({ sessionId: "s1", options: { sample_rate: 48_000 } })));
  });

  it("gives up at once on a refusal no retry changes, and after its attempts otherwise", async () => {
    const final = scripted(["token_expired"]);
    expect(await rejoin(final.client, "s1", {}, REJOIN_DEFAULTS, final.wait)).toEqual({ error: "token_expired" });
    expect(final.calls).toHaveLength(1);

    const bounded = scripted(Array.from({ length: 20 }, () => "fetch failed"));
    expect(await rejoin(bounded.client, "s1", {}, REJOIN_DEFAULTS, bounded.wait)).toEqual({ error: "fetch failed" });
    expect(bounded.calls).toHaveLength(REJOIN_DEFAULTS.attempts);
    expect(Math.max(...bounded.waits)).toBe(REJOIN_DEFAULTS.maxDelayMs);
  });
});
