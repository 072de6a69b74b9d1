import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { collect, eventually, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { streamPcm, type TranscriptMessage } from "../support/room-audio-client.js";
import { words } from "../support/speech-bounds.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

/*
 * The engine's in-process pool thread dying after start-up (terminated, as a crash would end it): it is started
 * again on the same loopback port, the room's link reconnects there, `/ready` says not ready until its models are
 * back, and the room transcribes again. The restart is counted.
 */

const BEFORE = { text: "good morning everyone", key: ["morning", "everyone"] };
const AFTER = { text: "the quarterly numbers look good to me", key: ["quarterly", "numbers"] };

let t: TestEngine | undefined;
let before: Uint8Array;
let after: Uint8Array;

beforeAll(async () => {
  const synthesizer = createSpeechSynthesizer();
  before = float32ToPcm16(padWithSilence((await synthesizer.synthesize(BEFORE.text)).samples16k, 400, 1_200));
  after = float32ToPcm16(padWithSilence((await synthesizer.synthesize(AFTER.text)).samples16k, 400, 1_200));
  t = await startTestEngine();
  await expectModelsLoaded(t);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

async function readyStatus(engine: TestEngine): Promise<number> {
  return (await engine.api("GET", "/ready", undefined, null)).status;
}

describe("the in-process pool thread", () => {
  it("restarted on the same port after it dies: the room's link reconnects and transcribes again, /ready follows it, the restart is counted", async () => {
    if (t === undefined) throw new Error("no engine");
    const engine = t;
    const pool = engine.engine.pool;
    if (pool === null) throw new Error("no in-process pool");
    const gateway = engine.engine.inference;
    await eventually(async () => ((await readyStatus(engine)) === 200 ? true : undefined), 10_000);

    const { id, token } = await engine.createSession({ kind: "meeting" });
    const speaker = await engine.join(id, token);
    const transcripts = collect<TranscriptMessage>(speaker, "transcript");
    const heard = (key: string[]) => transcripts.find((m) => m.final && key.some((w) => words(m.text).includes(w)));
    await streamPcm(speaker, before);
    await eventually(() => heard(BEFORE.key), 30_000);

    await pool.terminate();
    await eventually(() => (gateway.pools()[0]?.state === "unhealthy" ? true : undefined), 10_000);
    expect(await readyStatus(engine)).toBe(503);
    // The same address: the gateway's client to it stays valid.
    await eventually(() => (pool.restarts === 1 && gateway.pools()[0]?.state === "healthy" && gateway.pools()[0]?.tasks.includes("asr") ? true : undefined), 90_000);
    expect(gateway.pools()[0]?.address).toBe(pool.address);
    await eventually(async () => ((await readyStatus(engine)) === 200 ? true : undefined), 10_000);

    await streamPcm(speaker, after);
    const again = await eventually(() => heard(AFTER.key), 60_000);
    expect(again.segment_id).not.toBe(heard(BEFORE.key)?.segment_id);
    expect(speaker.connection.isOpen).toBe(true);

    const metrics = await (await fetch(`${engine.engine.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^engine_inference_thread_restarts_total 1$/m);
    expect(metrics).toMatch(/^engine_inference_link_restores_total\{kind="audio",moved="false"\} 1$/m);
  }, 180_000);
});
