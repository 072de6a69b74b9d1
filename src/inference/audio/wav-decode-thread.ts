import { serveRequests } from "../request-thread-port.js";
import { isAudioError } from "./audio-error.js";
import { float32ToPcm16 } from "./pcm.js";
import { resample } from "./resample.js";
import { parseWav } from "./wav.js";

/**
 * The WAV decoding thread (`WavDecoder` starts it): WAV bytes → 16-bit mono PCM at `toRate`. Decoding and resampling
 * cost CPU in proportion to the recording, so they run here, never on the pool's event loop.
 */
export interface DecodeRequest {
  wav: Uint8Array;
  toRate: number;
}

export type DecodeReply =
  | { ok: true; pcm16: Uint8Array }
  /** `invalid_audio`: the bytes are not audio we read; `internal`: anything else (logged by the pool). */
  | { ok: false; code: "invalid_audio" | "internal"; message: string };

serveRequests<DecodeRequest, DecodeReply>((request) => {
  try {
    const wav = parseWav(request.wav);
    const pcm16 = float32ToPcm16(resample(wav.samples, wav.sampleRate, request.toRate));
    return { reply: { ok: true, pcm16 }, transfer: [pcm16.buffer as ArrayBuffer] };
  } catch (error) {
    const message = error instanceof Error ? error.message : "the WAV file could not be decoded";
    return { reply: { ok: false, code: isAudioError(error) ? "invalid_audio" : "internal", message } };
  }
});
