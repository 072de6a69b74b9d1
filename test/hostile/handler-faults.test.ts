import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { EngineMetrics } from "../../src/metrics/engine-metrics.js";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { errorMessage, textBroadcastMessage, transcriptMessage, type TranscriptMessage } from "../../src/protocol/server-messages.js";
import { expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { streamPcm } from "../support/room-audio-client.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";
import { metricValue, parsePrometheus } from "../support/prometheus.js";

/**
 * An unexpected exception inside a room's message handler (a bug, simulated by making one of the room's own calls
 * throw once): the sender gets `internal`, it is counted, and the sender, the other participants and the process
 * go on. The engine runs in this process, so an exception escaping to the process would fail the run.
 */

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function internalErrors(): Promise<number> {
  return metricValue(parsePrometheus(await t.engine.metrics.text()), "engine_errors_total", { source: "room", code: "internal" }) ?? 0;
}

describe("an exception inside a message handler", () => {
  it("answers internal to its sender only; the next message of the same client is handled", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const host = await t.join(id, token);
    const bob = await t.join(id, await t.token(id, "bob", "participant", { name: "Bob" }));
    const internalBefore = await internalErrors();

    const atHost: unknown[] = [];
    let hostGotText: () => void = () => {};
    const hostHeard = new Promise<void>((resolve) => (hostGotText = resolve));
    host.onMessage("text", (m: unknown) => {
      atHost.push(textBroadcastMessage.parse(m));
      hostGotText();
    });
    const hostErrors: unknown[] = [];
    host.onMessage("error", (m: unknown) => hostErrors.push(m));
    const bobError = new Promise<unknown>((resolve) => bob.onMessage("error", resolve));

    // The handler's first step (counting the message) throws, once, as a bug would.
    vi.spyOn(EngineMetrics.prototype, "messageReceived").mockImplementationOnce(() => {
      throw new Error("a bug in a handler");
    });
    bob.send("text", { content: "first" });
    expect(errorMessage.parse(await bobError)).toEqual({ code: "internal", message: "the message could not be handled", type: "text" });

    const second = new Promise<unknown>((resolve) => bob.onMessage("text", resolve));
    bob.send("text", { content: "second" });
    expect(await second).toMatchObject({ from: "bob", content: "second" });
    await hostHeard;
    expect(atHost).toEqual([expect.objectContaining({ from: "bob", content: "second" })]);
    expect(hostErrors).toEqual([]);
    expect(await internalErrors()).toBe(internalBefore + 1);
  });
});

describe("an exception while a pool result is applied (outside Colyseus' hooks)", () => {
  it("is logged and counted; the transcript was already sent and is still persisted, and the next one arrives", async () => {
    await expectModelsLoaded(t);
    const speech = float32ToPcm16(padWithSilence((await createSpeechSynthesizer().synthesize("hello world, this is a test")).samples16k, 500, 1_500));
    const { id, token } = await t.createSession({ kind: "meeting" });
    const speaker = await t.join(id, token);
    const finals: TranscriptMessage[] = [];
    const waiters: (() => void)[] = [];
    speaker.onMessage("transcript", (m: unknown) => {
      const parsed = transcriptMessage.parse(m);
      if (!parsed.final) return;
      finals.push(parsed);
      waiters.shift()?.();
    });
    const nextFinal = () => new Promise<void>((resolve) => waiters.push(resolve));
    const internalBefore = await internalErrors();

    vi.spyOn(EngineMetrics.prototype, "transcriptDelivered").mockImplementationOnce(() => {
      throw new Error("a bug after the broadcast");
    });
    const first = nextFinal();
    await streamPcm(speaker, speech);
    await first;
    const second = nextFinal();
    await streamPcm(speaker, speech);
    await second;

    expect(finals).toHaveLength(2);
    expect(await internalErrors()).toBe(internalBefore + 1);
    // Ending the session flushes its writes: both segments are stored, the one whose delivery failed too.
    expect((await t.api("DELETE", `/api/v1/sessions/${id}`)).status).toBe(204);
    const stored = await t.api("GET", `/api/v1/sessions/${id}/transcript`);
    expect((stored.body as { segments: { segment_id: string }[] }).segments.map((seg) => seg.segment_id)).toEqual(finals.map((f) => f.segment_id));
  }, 60_000);
});
