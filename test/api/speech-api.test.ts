import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { encodeWav } from "../../src/inference/audio/wav.js";
import { ADMIN_KEY, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { words } from "../support/speech-bounds.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

const SENTENCE = "hello world, this is a test of the meeting engine";
// Not "hello": eSpeak's "hello world" opening is heard as "the lord world" / "the low world" at some cuts by either encoder window (scripts/bench/window-wer.ts).
const WORDS = ["world", "test", "meeting", "engine"];

let t: TestEngine;
let wav: Uint8Array;
let pcm: Uint8Array;

beforeAll(async () => {
  // Recognition needs only the VAD and Whisper.
  t = await startTestEngine({ inferenceModels: ["silero_vad_v5", "whisper_tiny_en_int8"] });
  const synthesized = await createSpeechSynthesizer().synthesize(SENTENCE);
  const padded = padWithSilence(synthesized.samples16k, 500, 500);
  wav = encodeWav(padded, synthesized.sampleRate);
  pcm = float32ToPcm16(padded);
  await expectModelsLoaded(t);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

interface RecognitionBody {
  text: string;
  segments: { text: string; start_ms: number; end_ms: number }[];
  language: string;
  timings: { vad_ms: number; asr_ms: number; total_ms: number };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

function errorCode(body: unknown): unknown {
  return typeof body === "object" && body !== null && "error" in body && typeof body.error === "object" && body.error !== null && "code" in body.error
    ? body.error.code
    : undefined;
}

/** A multipart upload through Node's fetch (FormData + Blob); `file` absent sends only a text field. */
async function upload(file?: { bytes: Uint8Array; name: string; type: string }): Promise<{ status: number; body: unknown }> {
  const form = new FormData();
  form.append("note", "test upload");
  if (file !== undefined) form.append("file", new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  const response = await fetch(`${t.engine.httpUrl}/api/v1/transcribe`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    body: form,
  });
  return { status: response.status, body: await response.json() };
}

const RECOGNITION = "/api/v1/ai/speech-recognition";

describe("POST /api/v1/ai/speech-recognition", () => {
  it("transcribes a base64 WAV", async () => {
    const res = await t.api("POST", RECOGNITION, { audio_data: base64(wav), format: "wav" });
    expect(res.status).toBe(200);
    const body = res.body as RecognitionBody;
    expect(words(body.text)).toEqual(expect.arrayContaining(WORDS));
    expect(body.language).toBe("en");
    expect(body.segments.length).toBeGreaterThan(0);
    for (const segment of body.segments) expect(segment.end_ms).toBeGreaterThan(segment.start_ms);
    // Whisper ran, and the total covers it.
    expect(body.timings.asr_ms).toBeGreaterThan(0);
    expect(body.timings.total_ms).toBeGreaterThanOrEqual(body.timings.asr_ms);
  }, 30_000);

  it("transcribes base64 16 kHz PCM", async () => {
    const res = await t.api("POST", RECOGNITION, { audio_data: base64(pcm), format: "pcm", sample_rate: 16_000 });
    expect(res.status).toBe(200);
    const body = res.body as RecognitionBody;
    expect(words(body.text)).toEqual(expect.arrayContaining(WORDS));
    expect(body.language).toBe("en");
    expect(body.segments.length).toBeGreaterThan(0);
  }, 30_000);

  it.each([
    ["base64 garbage", { audio_data: "@@@notbase64", format: "pcm", sample_rate: 16_000 }, 400, "invalid_audio"],
    ["pcm without sample_rate", { audio_data: base64(new Uint8Array(320)), format: "pcm" }, 400, "invalid_request"],
    ["an unsupported sample_rate", { audio_data: base64(new Uint8Array(320)), format: "pcm", sample_rate: 44_100 }, 400, "invalid_request"],
    ["an odd PCM byte count", { audio_data: base64(new Uint8Array(321)), format: "pcm", sample_rate: 16_000 }, 400, "invalid_audio"],
    ["a payload that is not WAV with format wav", { audio_data: base64(new TextEncoder().encode("this is not a wav file")), format: "wav" }, 400, "invalid_audio"],
  ])("refuses %s", async (_name, body, status, code) => {
    const res = await t.api("POST", RECOGNITION, body);
    expect(res.status).toBe(status);
    expect(errorCode(res.body)).toBe(code);
  });

  it("refuses a recording over 10 minutes with 413 recording_too_long", async () => {
    const tooLong = new Uint8Array((10 * 60 + 1) * 8_000 * 2);
    const res = await t.api("POST", RECOGNITION, { audio_data: base64(tooLong), format: "pcm", sample_rate: 8_000 });
    expect(res.status).toBe(413);
    expect(errorCode(res.body)).toBe("recording_too_long");
  }, 30_000);

  it("takes the meeting system's body: integer or string ids, language en-US", async () => {
    const res = await t.api("POST", RECOGNITION, { audio_data: base64(pcm), format: "pcm", sample_rate: 16_000, meeting_id: 42, user_id: "u-7", language: "en-US" });
    expect(res.status).toBe(200);
    const body = res.body as RecognitionBody;
    expect(words(body.text)).toEqual(expect.arrayContaining(WORDS));
    expect(body.language).toBe("en");
  }, 30_000);

  it.each(["en", "EN", "english", "English", "en_GB"])("takes language %s", async (language) => {
    const res = await t.api("POST", RECOGNITION, { audio_data: base64(wav), format: "wav", meeting_id: "m-1", user_id: 3, language });
    expect(res.status).toBe(200);
  }, 30_000);

  it.each(["fr", "zh-CN", "auto", "deutsch"])("refuses language %s with 400 language_unsupported naming the loaded model's languages", async (language) => {
    const res = await t.api("POST", RECOGNITION, { audio_data: base64(wav), format: "wav", meeting_id: 42, user_id: 7, language });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe("language_unsupported");
    expect((res.body as { error: { message: string } }).error.message).toContain("only English (Whisper tiny.en)");
  });

  it.each([
    ["meeting_id and session_id that differ", { meeting_id: 1, session_id: "2" }],
    ["user_id and participant_id that differ", { user_id: "a", participant_id: "b" }],
    ["a negative meeting_id", { meeting_id: -1 }],
    ["a fractional user_id", { user_id: 1.5 }],
    ["an empty meeting_id", { meeting_id: "" }],
  ])("refuses %s with invalid_request", async (_name, ids) => {
    const res = await t.api("POST", RECOGNITION, { audio_data: base64(pcm), format: "pcm", sample_rate: 16_000, ...ids });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe("invalid_request");
  });

  it("takes aliases that agree with the engine's fields", async () => {
    const res = await t.api("POST", RECOGNITION, { audio_data: base64(pcm), format: "pcm", sample_rate: 16_000, meeting_id: 5, session_id: "5", user_id: "u", participant_id: "u" });
    expect(res.status).toBe(200);
  }, 30_000);

  it("needs the admin key", async () => {
    const res = await t.api("POST", RECOGNITION, { audio_data: base64(wav), format: "wav" }, null);
    expect(res.status).toBe(401);
    expect(errorCode(res.body)).toBe("unauthorized");
  });
});

describe("POST /api/v1/transcribe", () => {
  it("transcribes an uploaded WAV", async () => {
    const res = await upload({ bytes: wav, name: "speech.wav", type: "audio/wav" });
    expect(res.status).toBe(200);
    const body = res.body as { text: string; segments: unknown[]; duration_ms: number };
    expect(words(body.text)).toEqual(expect.arrayContaining(WORDS));
    expect(body.segments.length).toBeGreaterThan(0);
    expect(body.duration_ms).toBe(Math.round((pcm.byteLength / 2 / 16_000) * 1000));
  }, 30_000);

  it("refuses a text file with invalid_audio", async () => {
    const res = await upload({ bytes: new TextEncoder().encode("just some notes\n"), name: "notes.txt", type: "text/plain" });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe("invalid_audio");
  });

  it("refuses an upload without a file with invalid_request", async () => {
    const res = await upload();
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe("invalid_request");
  });
});

describe("GET /api/v1/sessions/{id}/transcript", () => {
  it("answers 404 for an unknown session", async () => {
    const res = await t.api("GET", "/api/v1/sessions/no-such-session/transcript");
    expect(res.status).toBe(404);
    expect(errorCode(res.body)).toBe("session_not_found");
  });

  it("answers 400 for an unknown format", async () => {
    const { id } = await t.createSession({ kind: "meeting" });
    const res = await t.api("GET", `/api/v1/sessions/${id}/transcript?format=xml`);
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe("invalid_request");
    const json = await t.api("GET", `/api/v1/sessions/${id}/transcript`);
    expect(json.status).toBe(200);
    expect(json.body).toEqual({ session_id: id, segments: [] });
  });
});
