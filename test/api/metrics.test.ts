import type { Room } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { collect, eventually, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { metricTypes, metricValue, parsePrometheus, type PromSample } from "../support/prometheus.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";
import { streamPcm, FRAME_BYTES } from "../support/room-audio-client.js";

const METRICS_TOKEN = "test-metrics-token-0123456789";

let t: TestEngine;
let speech: Uint8Array;
beforeAll(async () => {
  t = await startTestEngine({ metricsToken: METRICS_TOKEN });
  const synthesized = await createSpeechSynthesizer().synthesize("hello world, this is a test of the meeting engine");
  speech = float32ToPcm16(padWithSilence(synthesized.samples16k, 800, 1_500));
  await expectModelsLoaded(t);
}, 120_000);
afterAll(async () => {
  await t.close();
});

async function scrape(token: string | null = METRICS_TOKEN): Promise<Response> {
  return fetch(`${t.engine.httpUrl}/metrics`, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
}

async function samples(): Promise<{ text: string; samples: PromSample[] }> {
  const res = await scrape();
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, samples: parsePrometheus(text) };
}


describe("GET /metrics", () => {
  it("requires the METRICS_TOKEN when one is configured", async () => {
    const bare = await scrape(null);
    expect(bare.status).toBe(401);
    expect(await bare.json()).toMatchObject({ error: { code: "unauthorized" } });
    expect((await scrape("wrong-metrics-token-0123456789")).status).toBe(401);
    // The admin key is not the metrics token.
    expect((await scrape("test-admin-key-0123456789")).status).toBe(401);
  });

  it("answers Prometheus text: Node's process metrics, the engine's families, the pool's status", async () => {
    const unauthorized = (scraped: PromSample[]) => metricValue(scraped, "engine_errors_total", { source: "api", code: "unauthorized" }) ?? 0;
    const before = unauthorized((await samples()).samples);
    expect((await scrape(null)).status).toBe(401);
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    const parsed = parsePrometheus(text);
    expect(metricValue(parsed, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(metricValue(parsed, "nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    const types = metricTypes(text);
    expect(Object.fromEntries([...types].filter(([name]) => name.startsWith("engine_")))).toMatchObject({
      engine_rooms: "gauge",
      engine_connected_clients: "gauge",
      engine_messages_received_total: "counter",
      engine_messages_sent_total: "counter",
      engine_audio_received_seconds_total: "counter",
      engine_stage_latency_seconds: "histogram",
      engine_transcripts_persisted_total: "counter",
      engine_db_write_seconds: "histogram",
      engine_errors_total: "counter",
      engine_inference_pool_up: "gauge",
      engine_inference_queue_depth: "gauge",
      engine_inference_vad_batch_size: "histogram",
      engine_inference_vad_batch_seconds: "histogram",
      engine_video_frames_total: "counter",
      engine_video_stage_latency_seconds: "histogram",
      engine_inference_model_batch_size: "histogram",
      engine_inference_model_queue_depth: "gauge",
      engine_inference_asr_interim_total: "counter",
    });
    expect(metricValue(parsed, "engine_inference_pool_up", { pool: "0" })).toBe(1);
    expect(metricValue(parsed, "engine_inference_queue_depth", { pool: "0", queue: "asr_live" })).toBe(0);
    expect(metricValue(parsed, "engine_inference_model_loaded", { pool: "0", model: "whisper_tiny_en_int8" })).toBe(1);
    // Interim captions are off in the test engines: their counts are there, at zero.
    for (const outcome of ["completed", "skipped", "failed"]) {
      expect(metricValue(parsed, "engine_inference_asr_interim_total", { pool: "0", model: "whisper_tiny_en_int8", outcome })).toBe(0);
    }
    // The unauthorized scrape above is an API error.
    expect(unauthorized(parsed)).toBe(before + 1);
  });

  it("the counters move after a participant streams speech and a transcript arrives", async () => {
    const before = (await samples()).samples;
    const { id, token } = await t.createSession({ kind: "meeting" });
    const speaker = await t.join(id, token);
    const listener = await t.join(id, await t.token(id, "listener", "participant", { name: "Listener" }));
    const heard = collect<{ final: boolean; text: string }>(listener, "transcript");

    const during = await eventually(async () => {
      const { samples: now } = await samples();
      return (metricValue(now, "engine_rooms", { kind: "meeting", status: "live" }) ?? 0) >= 1 ? now : undefined;
    });
    expect(metricValue(during, "engine_connected_clients")).toBeGreaterThanOrEqual(2);

    await streamPcm(speaker, speech);
    speaker.sendBytes("audio", new Uint8Array(641)); // odd byte count: an `invalid_audio` reply
    await eventually(() => heard.find((m) => m.final && m.text !== ""), 20_000);

    const { text, samples: after } = await eventually(async () => {
      const scraped = await samples();
      return (metricValue(scraped.samples, "engine_transcripts_persisted_total") ?? 0) >= 1 ? scraped : undefined;
    });
    const moved = (name: string, labels: Record<string, string> = {}) =>
      (metricValue(after, name, labels) ?? 0) - (metricValue(before, name, labels) ?? 0);

    const frames = Math.floor(speech.byteLength / FRAME_BYTES);
    expect(moved("engine_messages_received_total", { type: "audio" })).toBe(frames + 1);
    expect(moved("engine_audio_received_seconds_total")).toBeCloseTo((frames * 20) / 1000, 3);
    expect(moved("engine_transcripts_persisted_total")).toBeGreaterThanOrEqual(1);
    // Speaker and listener each got the transcript.
    expect(moved("engine_messages_sent_total", { type: "transcript" })).toBeGreaterThanOrEqual(2);
    for (const stage of ["asr_queue_wait", "asr_run", "speech_end_to_transcript"]) {
      expect(moved("engine_stage_latency_seconds_count", { stage })).toBeGreaterThanOrEqual(1);
    }
    expect(metricValue(after, "engine_stage_latency_seconds_sum", { stage: "asr_run" })).toBeGreaterThan(0);
    expect(moved("engine_db_write_seconds_count")).toBeGreaterThan(0);
    expect(moved("engine_db_write_seconds_count", { write: "transcript.segment" })).toBeGreaterThanOrEqual(1);
    expect(moved("engine_errors_total", { source: "room", code: "invalid_audio" })).toBe(1);
    expect(moved("engine_inference_vad_batch_size_count", { pool: "0" })).toBeGreaterThan(0);
    expect(moved("engine_inference_model_batch_size_count", { pool: "0", model: "silero_vad_v5" })).toBeGreaterThan(0);
    expect(moved("engine_inference_vad_batch_seconds_count", { pool: "0" })).toBeGreaterThan(0);
    expect(moved("engine_inference_asr_completed_total", { pool: "0" })).toBeGreaterThanOrEqual(1);
    expect(metricValue(after, "engine_rooms", { kind: "meeting", status: "live" })).toBeGreaterThanOrEqual(1);

    // Labels carry vocabularies, never who: no participant id or name anywhere. The session id (an opaque UUID) only
    // in engine_room_clients, the one series per room (this /metrics is behind METRICS_TOKEN), saying which process
    // holds it.
    for (const personal of ["listener", "Listener"]) expect(text).not.toContain(personal);
    const withSessionId = text.split("\n").filter((line) => line.includes(id));
    expect(withSessionId.length).toBeGreaterThan(0);
    for (const line of withSessionId) expect(line).toMatch(/^engine_room_clients\{session_id="[^"]+",kind="meeting",process_id="[^"]+"\} \d+$/);
  }, 60_000);
});
