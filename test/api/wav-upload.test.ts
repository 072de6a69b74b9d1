import diagnostics_channel from "node:diagnostics_channel";
import { request, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeWav } from "../../src/inference/audio/wav.js";
import { ADMIN_KEY, startTestEngine, type TestEngine } from "../support/engine.js";
import { answerOf, rawRequest } from "../support/raw-http.js";

/**
 * WAV recordings are bounded by their header before any work (rate 8–48 kHz, at most 10 minutes), and decoded and
 * resampled off the event loop that serves every live room.
 */

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t?.close();
});

const auth = { authorization: `Bearer ${ADMIN_KEY}` };
const BOUNDARY = "----wav-upload-boundary";

/** A PCM WAV of silence: `bits`-bit, `channels` channels, `seconds` long at `rate`. */
function silentWav(rate: number, seconds: number, bits = 16, channels = 1): Uint8Array {
  const blockAlign = channels * (bits / 8);
  const dataBytes = Math.round(rate * seconds) * blockAlign;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, text: string) => [...text].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bits, true);
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  // 8-bit PCM is unsigned: silence is 128.
  if (bits === 8) bytes.fill(128, 44);
  return bytes;
}

function multipartParts(wav: Uint8Array): { head: string; tail: string } {
  return {
    head: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="rec.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
    tail: `\r\n--${BOUNDARY}--\r\n`,
  };
}

async function upload(wav: Uint8Array) {
  const { head, tail } = multipartParts(wav);
  return answerOf(
    await rawRequest({
      port: t.engine.port,
      method: "POST",
      path: "/api/v1/transcribe",
      headers: { ...auth, "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
      body: [Buffer.from(head), wav, Buffer.from(tail)],
    }),
  );
}

async function recognise(wav: Uint8Array) {
  const res = await t.api("POST", "/api/v1/ai/speech-recognition", { audio_data: Buffer.from(wav).toString("base64"), format: "wav" });
  const body = res.body as { error?: { code: string; message?: string } };
  return { status: res.status, code: body.error?.code ?? null, message: body.error?.message ?? "" };
}

describe("WAV sample rates: 8–48 kHz only", () => {
  it.each([16, 4_000, 7_999, 48_001, 96_000, 4_000_000_000])("a header declaring %d Hz → 400 invalid_audio naming the range, on both routes", async (rate) => {
    const wav = encodeWav(new Float32Array(160), rate);
    expect(await upload(wav)).toEqual({ status: 400, code: "invalid_audio" });
    const recognised = await recognise(wav);
    expect(recognised).toMatchObject({ status: 400, code: "invalid_audio" });
    expect(recognised.message).toContain("rates from 8000 to 48000 Hz are accepted");
  });

  it.each([8_000, 11_025, 44_100, 48_000])("%d Hz is transcribed (200)", async (rate) => {
    expect(await upload(silentWav(rate, 0.5))).toEqual({ status: 200, code: null });
  }, 30_000);
});

describe("recording length, computed from the header before decoding", () => {
  it("a WAV over 10 minutes → 413 recording_too_long, on both routes", async () => {
    // 8 kHz 8-bit mono: 10 min 1 s is 4.8 MB.
    const wav = silentWav(8_000, 601, 8);
    expect(await upload(wav)).toEqual({ status: 413, code: "recording_too_long" });
    expect(await recognise(wav)).toMatchObject({ status: 413, code: "recording_too_long" });
  });

  it("PCM over 10 minutes → 413 recording_too_long", async () => {
    const res = await t.api("POST", "/api/v1/ai/speech-recognition", { audio_data: Buffer.alloc(601 * 8_000 * 2).toString("base64"), format: "pcm", sample_rate: 8_000 });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: { code: "recording_too_long" } });
  });

  it("an upload whose declared length is over 64 MB → 413 payload_too_large before it is read", async () => {
    const res = await rawRequest({
      port: t.engine.port,
      method: "POST",
      path: "/api/v1/transcribe",
      headers: { ...auth, "content-type": `multipart/form-data; boundary=${BOUNDARY}`, "content-length": String(65 * 1024 * 1024) },
      // Only a little is sent: the answer must not wait for the rest.
      body: [Buffer.from(multipartParts(new Uint8Array()).head)],
    });
    expect(answerOf(res)).toEqual({ status: 413, code: "payload_too_large" });
  });
});

describe("malformed uploads", () => {
  it("a form that ends inside its file → 400 invalid_request (its stream's error was uncaught)", async () => {
    const { head } = multipartParts(new Uint8Array());
    const res = await rawRequest({
      port: t.engine.port,
      method: "POST",
      path: "/api/v1/transcribe",
      headers: { ...auth, "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
      body: [Buffer.from(head), encodeWav(new Float32Array(1_600), 16_000)],
    });
    expect(answerOf(res)).toEqual({ status: 400, code: "invalid_request" });
  });

  it("an Expect header other than 100-continue → 400 invalid_request, as JSON", async () => {
    const res = await rawRequest({ port: t.engine.port, method: "POST", path: "/api/v1/transcribe", headers: { ...auth, expect: "something-else" } });
    expect(answerOf(res)).toEqual({ status: 400, code: "invalid_request" });
  });
});

describe("decoding runs in the pool, off the engine's event loop", () => {
  it("while a 2-minute 44.1 kHz upload is decoded, resampled and transcribed by the pool, /health answers", async () => {
    const wav = silentWav(44_100, 2 * 60);
    const { head, tail } = multipartParts(wav);
    const order: string[] = [];
    const gateway = t.engine.inference;
    const transcribeWav = gateway.transcribeWav;
    // Marks the moment the pool's answer is back: decoding, resampling and the VAD over two minutes happen before.
    gateway.transcribeWav = async (bytes) => {
      const result = await transcribeWav.call(gateway, bytes);
      order.push("transcribed");
      return result;
    };
    // The engine runs in this process: once it has read the whole upload, /health is asked. Had the decoding been
    // done on this loop, nothing could answer it until the recording had been decoded.
    const health = new Promise<void>((resolve, reject) => {
      const onStart = (message: unknown) => {
        const incoming = (message as { request: IncomingMessage }).request;
        if (incoming.url !== "/api/v1/transcribe" || incoming.socket.localPort !== t.engine.port) return;
        diagnostics_channel.unsubscribe("http.server.request.start", onStart);
        incoming.once("end", () => {
          rawRequest({ port: t.engine.port, method: "GET", path: "/health" }).then((res) => {
            order.push(`health ${res.status}`);
            resolve();
          }, reject);
        });
      };
      diagnostics_channel.subscribe("http.server.request.start", onStart);
    });
    try {
      const answered = new Promise<number>((resolve, reject) => {
        const req = request({
          host: "127.0.0.1",
          port: t.engine.port,
          method: "POST",
          path: "/api/v1/transcribe",
          agent: false,
          headers: { ...auth, "content-type": `multipart/form-data; boundary=${BOUNDARY}`, "content-length": String(head.length + wav.length + tail.length) },
        });
        req.on("response", (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.write(head);
        req.write(wav);
        req.end(tail);
      });
      await health;
      expect(await answered).toBe(200);
      expect(order).toEqual(["health 200", "transcribed"]);
    } finally {
      gateway.transcribeWav = transcribeWav;
    }
  }, 60_000);
});
