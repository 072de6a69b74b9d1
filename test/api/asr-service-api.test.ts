import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeWav } from "../../src/inference/audio/wav.js";
import { MODE_INSTRUCTIONS } from "../../src/api/transcript-optimizer.js";
import { ERROR_TABLE } from "../../src/protocol/error-codes.js";
import {
  healthShape,
  optimizeShape,
  postForm,
  requestJson,
  serviceErrorCode,
  serviceErrorShape,
  statusShape,
  transcribeAndOptimizeShape,
  transcribeShape,
} from "../support/asr-service-client.js";
import { ADMIN_KEY, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { LlmTestServer, type RecordedRequest } from "../support/llm-test-server.js";
import { words } from "../support/speech-bounds.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

/**
 * The ASR service's API served by a real engine (real Whisper, ASR_API_OPEN=true as that service's clients send no
 * key) with a language model: the test LLM server, a real HTTP endpoint that records what it is asked.
 */

const SENTENCE = "hello world, this is a test of the meeting engine";
const WORDS = ["hello", "world", "test", "meeting", "engine"];
const MODEL = "test-model";

let t: TestEngine;
let llm: LlmTestServer;
let wav: Uint8Array;
let seconds = 0;

/** The test server's answer: the text it was given, marked, so a test sees it went through the model. */
const reply = (request: RecordedRequest) => `[model] ${request.messages.findLast((m) => m.role === "user")?.content ?? ""}`;

beforeAll(async () => {
  llm = await LlmTestServer.start({ tokenIntervalMs: 1, reply, models: [MODEL] });
  t = await startTestEngine({
    llmUrl: llm.baseUrl,
    llmModel: MODEL,
    asrApiOpen: true,
    inferenceModels: ["silero_vad_v5", "whisper_tiny_en_int8"],
  });
  const speech = await createSpeechSynthesizer().synthesize(SENTENCE);
  const padded = padWithSilence(speech.samples16k, 500, 500);
  seconds = padded.length / speech.sampleRate;
  wav = encodeWav(padded, speech.sampleRate);
  await expectModelsLoaded(t);
}, 120_000);

afterAll(async () => {
  await t?.close();
  await llm?.close();
});

const url = (path: string) => `${t.engine.httpUrl}${path}`;
const audio = () => ({ field: "audio", bytes: wav, name: "speech.wav", type: "audio/wav" });

/** The n-th chat request from now on. */
function nextRequest(): Promise<RecordedRequest> {
  return llm.waitForRequest(llm.requests.length + 1);
}

describe("POST /api/asr/transcribe", () => {
  it("transcribes `curl -F audio=@speech.wav` into the service's shape, without a key", async () => {
    const res = await postForm(url("/api/asr/transcribe"), null, audio());
    expect(res.status).toBe(200);
    const body = transcribeShape.parse(res.body);
    expect(words(body.text)).toEqual(expect.arrayContaining(WORDS));
    expect(body.text).toBe(body.raw_text.replace(/\s+/g, " ").trim());
    expect(body.duration).toBeCloseTo(seconds, 2);
  }, 30_000);

  it.each(["en", "English", "EN"])("takes language=%s", async (language) => {
    const res = await postForm(url("/api/asr/transcribe"), ADMIN_KEY, audio(), { language });
    expect(res.status).toBe(200);
    expect(transcribeShape.parse(res.body).language).toBe("en");
  }, 30_000);

  it("refuses language=fr with 400 language_unsupported naming en", async () => {
    const res = await postForm(url("/api/asr/transcribe"), null, audio(), { language: "fr" });
    expect(res.status).toBe(400);
    const body = serviceErrorShape.parse(res.body);
    expect(body).toMatchObject({ code: "language_unsupported", retryable: false });
    expect(body.error).toContain('"en"');
    expect(body.error).toContain("Whisper tiny.en");
  });

  it("refuses a form without a file: 400 invalid_request", async () => {
    const res = await postForm(url("/api/asr/transcribe"), null, null, { language: "en" });
    expect(res.status).toBe(400);
    expect(serviceErrorCode(res)).toBe("invalid_request");
  });

  it("refuses the file in another field: 400 invalid_request naming audio", async () => {
    const res = await postForm(url("/api/asr/transcribe"), null, { ...audio(), field: "file" });
    expect(res.status).toBe(400);
    expect(serviceErrorShape.parse(res.body)).toMatchObject({ code: "invalid_request", error: expect.stringContaining("audio") });
  });

  it("refuses garbage: 400 invalid_audio", async () => {
    const res = await postForm(url("/api/asr/transcribe"), null, { field: "audio", bytes: new TextEncoder().encode("not a wav at all"), name: "notes.txt", type: "text/plain" });
    expect(res.status).toBe(400);
    expect(serviceErrorShape.parse(res.body)).toMatchObject({ code: "invalid_audio", retryable: false });
  });

  it("refuses a recording over 10 minutes: 413 recording_too_long", async () => {
    // 601 s of 8 kHz 8-bit silence (4.8 MB): refused from its header.
    const long = encodeWav(new Float32Array(8_000 * 601), 8_000);
    const res = await postForm(url("/api/asr/transcribe"), null, { field: "audio", bytes: long, name: "long.wav", type: "audio/wav" });
    expect(res.status).toBe(413);
    expect(serviceErrorCode(res)).toBe("recording_too_long");
  }, 30_000);

  it("answers unknown service paths in the service's shape: 404 not_found", async () => {
    const res = await requestJson(url("/api/asr/nothing-here"), null, "GET");
    expect(res.status).toBe(404);
    expect(serviceErrorCode(res)).toBe("not_found");
  });
});

describe("POST /api/llm/optimize", () => {
  it.each(["optimize", "format", "punctuate"] as const)("mode %s: the model's text, asked with the mode's instruction and the text", async (mode) => {
    const text = "the whether today is grate and we will meat at noon";
    const received = nextRequest();
    const res = await requestJson(url("/api/llm/optimize"), null, "POST", { text, mode });
    expect(res.status).toBe(200);
    expect(optimizeShape.parse(res.body)).toEqual({ success: true, text: `[model] ${text}`, original_text: text, mode, model: MODEL });
    const request = await received;
    expect(request.model).toBe(MODEL);
    expect(request.messages).toEqual([
      { role: "system", content: MODE_INSTRUCTIONS[mode] },
      { role: "user", content: text },
    ]);
  });

  it("mode custom: the caller's prompt is the instruction", async () => {
    const prompt = "Rewrite this as a formal meeting note.";
    const received = nextRequest();
    const res = await requestJson(url("/api/llm/optimize"), null, "POST", { text: "we agreed to ship friday", mode: "custom", prompt });
    expect(res.status).toBe(200);
    expect(optimizeShape.parse(res.body).text).toBe("[model] we agreed to ship friday");
    expect((await received).messages).toEqual([
      { role: "system", content: prompt },
      { role: "user", content: "we agreed to ship friday" },
    ]);
  });

  it.each([
    ["an unknown mode", { text: "hello", mode: "summarise" }, 400, "invalid_request"],
    ["custom without a prompt", { text: "hello", mode: "custom" }, 400, "invalid_request"],
    ["no text", { mode: "optimize" }, 400, "invalid_request"],
    ["empty text", { text: "   ", mode: "optimize" }, 400, "invalid_text"],
    ["text over 20,000 characters", { text: "a".repeat(20_001), mode: "optimize" }, 400, "invalid_text"],
    ["a prompt over 2,000 characters", { text: "hello", mode: "custom", prompt: "p".repeat(2_001) }, 400, "invalid_text"],
    ["malformed JSON", "{\"text\":", 400, "invalid_request"],
  ])("refuses %s: %d %s", async (_name, body, status, code) => {
    const before = llm.requests.length;
    const res =
      typeof body === "string"
        ? await fetch(url("/api/llm/optimize"), { method: "POST", headers: { "content-type": "application/json" }, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }))
        : await requestJson(url("/api/llm/optimize"), null, "POST", body);
    expect(res.status).toBe(status);
    expect(serviceErrorCode(res)).toBe(code);
    expect(llm.requests.length).toBe(before);
  });

  it("takes exactly 20,000 characters", async () => {
    const text = "b".repeat(20_000);
    const res = await requestJson(url("/api/llm/optimize"), null, "POST", { text, mode: "punctuate" });
    expect(res.status).toBe(200);
  });

  it("a model that fails: 503 llm_unavailable in the service's shape, never the text back", async () => {
    llm.failures.push({ kind: "http", status: 500 });
    const res = await requestJson(url("/api/llm/optimize"), null, "POST", { text: "hello there", mode: "optimize" });
    expect(res.status).toBe(503);
    expect(serviceErrorShape.parse(res.body)).toMatchObject({ success: false, code: "llm_unavailable", retryable: ERROR_TABLE.llm_unavailable.retryable });
  });
});

describe("POST /api/asr/transcribe-and-optimize", () => {
  it("transcribes, then optimizes (mode optimize by default)", async () => {
    const received = nextRequest();
    const res = await postForm(url("/api/asr/transcribe-and-optimize"), null, audio());
    expect(res.status).toBe(200);
    const body = transcribeAndOptimizeShape.parse(res.body);
    expect(body).toMatchObject({ mode: "optimize", optimized: true, language: "en", model: MODEL });
    expect(words(body.raw_text)).toEqual(expect.arrayContaining(WORDS));
    expect(body.text).toBe(`[model] ${body.raw_text.replace(/\s+/g, " ").trim()}`);
    expect(body.duration).toBeCloseTo(seconds, 2);
    expect((await received).messages[0]).toEqual({ role: "system", content: MODE_INSTRUCTIONS.optimize });
  }, 30_000);

  it("takes mode and prompt fields", async () => {
    const received = nextRequest();
    const res = await postForm(url("/api/asr/transcribe-and-optimize"), null, audio(), { mode: "custom", prompt: "List the topics." });
    expect(res.status).toBe(200);
    expect(transcribeAndOptimizeShape.parse(res.body).mode).toBe("custom");
    expect((await received).messages[0]).toEqual({ role: "system", content: "List the topics." });
  }, 30_000);

  it("refuses an unknown mode before transcribing: 400 invalid_request", async () => {
    const res = await postForm(url("/api/asr/transcribe-and-optimize"), null, audio(), { mode: "shout" });
    expect(res.status).toBe(400);
    expect(serviceErrorCode(res)).toBe("invalid_request");
  });

  it("a model that fails: 503 llm_unavailable, the transcript still in the body", async () => {
    llm.failures.push({ kind: "http", status: 502 });
    const res = await postForm(url("/api/asr/transcribe-and-optimize"), null, audio());
    expect(res.status).toBe(503);
    const body = serviceErrorShape.parse(res.body);
    expect(body.code).toBe("llm_unavailable");
    expect(words(body.raw_text ?? "")).toEqual(expect.arrayContaining(WORDS));
    expect(body.language).toBe("en");
    expect(body.duration).toBeCloseTo(seconds, 2);
  }, 30_000);
});

describe("GET /api/status and /api/health", () => {
  it("reports Whisper loaded, English, and the LLM reachable", async () => {
    const res = await requestJson(url("/api/status"), null, "GET");
    expect(res.status).toBe(200);
    const body = statusShape.parse(res.body);
    expect(body.asr).toEqual({ model: "whisper_tiny_en_int8", loaded: true, languages: ["en"] });
    expect(body.llm).toMatchObject({ configured: true, reachable: true, model: MODEL });
    expect(body.llm.latency_ms).toBeGreaterThanOrEqual(0);
    expect(body.pool.reachable).toBe(true);
    expect(body.pool.models).toEqual(expect.arrayContaining([{ name: "whisper_tiny_en_int8", task: "asr", state: "loaded" }]));
  });

  it("health answers without a key", async () => {
    const res = await requestJson(url("/api/health"), null, "GET");
    expect(res.status).toBe(200);
    expect(healthShape.parse(res.body).status).toBe("healthy");
  });

  it("leaves the engine's own /api/v1 routes to their key check", async () => {
    const res = await requestJson(url("/api/v1/sessions"), null, "GET");
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: "unauthorized" } });
  });
});
