import { parentPort } from "node:worker_threads";
import { isAudioError } from "./audio-error.js";
import { float32ToPcm16 } from "./pcm.js";
import { resample } from "./resample.js";
import { parseWav } from "./wav.js";

/**
 * The WAV decoding thread (`WavDecoder` starts it): WAV bytes → 16-bit mono PCM at `toRate`. Decoding and resampling
 * cost CPU in proportion to the recording, so they run here, never on the pool's event loop.
 */
export interface DecodeRequest {
  id: number;
  wav: Uint8Array;
  toRate: number;
}

export type DecodeReply =
  | { id: number; ok: true; pcm16: Uint8Array }
  /** `invalid_audio`: the bytes are not audio we read; `internal`: anything else (logged by the pool). */
  | { id: number; ok: false; code: "invalid_audio" | "internal"; message: string };

function decode(request: DecodeRequest): DecodeReply {
  try {
    const wav = parseWav(request.wav);
    const pcm16 = float32ToPcm16(resample(wav.samples, wav.sampleRate, request.toRate));
    return { id: request.id, ok: true, pcm16 };
  } catch (error) {
    const message = error instanceof Error ? error.message : "the WAV file could not be decoded";
    return { id: request.id, ok: false, code: isAudioError(error) ? "invalid_audio" : "internal", message };
  }
}

const port = parentPort;
if (port !== null) {
  port.on("message", (request: DecodeRequest) => {
    const reply = decode(request);
    port.postMessage(reply, reply.ok ? [reply.pcm16.buffer as ArrayBuffer] : []);
  });
}
