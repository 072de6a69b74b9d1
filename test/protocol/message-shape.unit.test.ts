import fc from "fast-check";
import { Packr, unpack } from "msgpackr";
import { describe, expect, it } from "vitest";
import { inspectControlMessage, MAX_CONTROL_MESSAGE_BYTES, signalMessage, textMessage } from "../../src/protocol/client-messages.js";
import { inspectMessage } from "../../src/protocol/message-shape.js";
import { hostileValue } from "../fuzz/hostile-values.js";

const LIMITS = { maxBytes: 1_000, maxDepth: 4, maxValues: 50 };

describe("a decoded message's shape, checked before any schema", () => {
  it("never throws, whatever MessagePack decodes to (fast-check, 500 hostile values)", () => {
    const packr = new Packr({ structuredClone: true });
    fc.assert(
      fc.property(hostileValue, (value) => {
        let decoded: unknown = value;
        try {
          decoded = unpack(packr.pack(value));
        } catch {
          // Values the packer itself refuses are checked as they are.
        }
        const shape = inspectControlMessage(decoded);
        expect(typeof shape.ok).toBe("boolean");
        // Whatever it lets through, JSON can encode within the limit.
        if (shape.ok) expect(Buffer.byteLength(JSON.stringify(decoded) ?? "")).toBeLessThanOrEqual(MAX_CONTROL_MESSAGE_BYTES * 1.1 + 64);
      }),
      { numRuns: 500, seed: 9 },
    );
  }, 30_000);

  it("refuses what JSON cannot carry, naming where it is", () => {
    const circular: Record<string, unknown> = {};
    circular["me"] = circular;
    expect(inspectMessage({ a: 2n ** 63n }, LIMITS)).toMatchObject({ ok: false, problem: "unsupported_value", detail: expect.stringContaining("a is a 64-bit integer") });
    expect(inspectMessage({ a: [new Map()] }, LIMITS)).toMatchObject({ ok: false, problem: "unsupported_value", detail: expect.stringContaining("a[0] is a map") });
    expect(inspectMessage(new Uint8Array(2), LIMITS)).toMatchObject({ ok: false, problem: "unsupported_value" });
    expect(inspectMessage({ n: Number.NaN }, LIMITS)).toMatchObject({ ok: false, problem: "unsupported_value" });
    expect(inspectMessage(circular, LIMITS)).toMatchObject({ ok: false, problem: "unsupported_value", detail: expect.stringContaining("circular") });
    expect(inspectMessage(Object.create({ inherited: 1 }) as object, LIMITS)).toMatchObject({ ok: false, problem: "unsupported_value" });
  });

  it("bounds size, depth and count before looking further", () => {
    expect(inspectMessage({ s: "x".repeat(2_000) }, LIMITS)).toMatchObject({ ok: false, problem: "too_large" });
    expect(inspectMessage([[[[[["deep"]]]]]], LIMITS)).toMatchObject({ ok: false, problem: "too_large", detail: expect.stringContaining("deeper") });
    expect(inspectMessage(Array.from({ length: 1_000_000 }, () => 0), LIMITS)).toMatchObject({ ok: false, problem: "too_large", detail: expect.stringContaining("values") });
    expect(inspectMessage({ to: "bob", type: "offer", sdp: "v=0" }, LIMITS)).toEqual({ ok: true, bytes: expect.any(Number) });
  });

  it("lets the schemas see only messages the wire protocol describes", () => {
    expect(signalMessage.safeParse({ to: "bob", type: "ice_candidate", candidate: { candidate: "c", sdpMid: "0", sdpMLineIndex: 0 } }).success).toBe(true);
    expect(signalMessage.safeParse({ to: "bob", type: "ice_candidate", candidate: { candidate: "c", extra: 1 } }).success).toBe(false);
    expect(textMessage.safeParse({ content: "  " }).success).toBe(false);
  });
});
