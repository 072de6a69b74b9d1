import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeWav } from "../../src/inference/audio/wav.js";
import { healthShape, postForm, requestJson, serviceErrorCode, serviceErrorShape, statusShape, transcribeShape } from "../support/asr-service-client.js";
import { ADMIN_KEY, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { words } from "../support/speech-bounds.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

/**
 * The ASR service's API on the engine's defaults: ASR_API_OPEN unset (the admin key is needed) and no language model
 * configured (LLM_URL unset), so nothing can be optimised and nothing pretends to be.
 */

let t: TestEngine;
let wav: Uint8Array;

beforeAll(async () => {
  t = await startTestEngine({ inferenceModels: ["silero_vad_v5", "whisper_tiny_en_int8"] });
  const speech = await createSpeechSynthesizer().synthesize("please send the report before the meeting");
  wav = encodeWav(padWithSilence(speech.samples16k, 300, 300), speech.sampleRate);
  await expectModelsLoaded(t);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

const url = (path: string) => `${t.engine.httpUrl}${path}`;
const audio = () => ({ field: "audio", bytes: wav, name: "speech.wav", type: "audio/wav" });

describe("ASR_API_OPEN=false (the default)", () => {
  it.each([
    ["POST", "/api/asr/transcribe"],
    ["POST", "/api/asr/transcribe-and-optimize"],
    ["POST", "/api/llm/optimize"],
    ["GET", "/api/status"],
  ])("%s %s without the key: 401 unauthorized in the service's shape", async (method, path) => {
    const res = method === "GET" ? await requestJson(url(path), null, "GET") : await postForm(url(path), null, audio());
    expect(res.status).toBe(401);
    expect(serviceErrorShape.parse(res.body)).toMatchObject({ code: "unauthorized", retryable: false });
  });

  it("a wrong key: 401", async () => {
    const res = await requestJson(url("/api/status"), "not-the-admin-key-0123456789", "GET");
    expect(res.status).toBe(401);
    expect(serviceErrorCode(res)).toBe("unauthorized");
  });

  it("with the key: transcribes", async () => {
    const res = await postForm(url("/api/asr/transcribe"), ADMIN_KEY, audio(), { language: "english" });
    expect(res.status).toBe(200);
    expect(words(transcribeShape.parse(res.body).text)).toEqual(expect.arrayContaining(["report", "meeting"]));
  }, 30_000);

  it("health stays open", async () => {
    const res = await requestJson(url("/api/health"), null, "GET");
    expect(res.status).toBe(200);
    expect(healthShape.parse(res.body)).toMatchObject({ status: "healthy" });
  });
});

describe("without a language model", () => {
  it("optimize: 503 llm_unavailable in the service's shape", async () => {
    const res = await requestJson(url("/api/llm/optimize"), ADMIN_KEY, "POST", { text: "hello world", mode: "optimize" });
    expect(res.status).toBe(503);
    expect(serviceErrorShape.parse(res.body)).toMatchObject({ success: false, code: "llm_unavailable", retryable: true });
  });

  it("transcribe-and-optimize: 503 llm_unavailable with the transcript kept", async () => {
    const res = await postForm(url("/api/asr/transcribe-and-optimize"), ADMIN_KEY, audio());
    expect(res.status).toBe(503);
    const body = serviceErrorShape.parse(res.body);
    expect(body.code).toBe("llm_unavailable");
    expect(words(body.raw_text ?? "")).toEqual(expect.arrayContaining(["report", "meeting"]));
  }, 30_000);

  it("status: the LLM is not configured, Whisper is loaded", async () => {
    const res = await requestJson(url("/api/status"), ADMIN_KEY, "GET");
    expect(res.status).toBe(200);
    const body = statusShape.parse(res.body);
    expect(body.llm).toEqual({ configured: false, reachable: false, model: null, latency_ms: null });
    expect(body.asr).toEqual({ model: "whisper_tiny_en_int8", loaded: true, languages: ["en"] });
  });
});
