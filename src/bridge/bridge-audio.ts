import { WavDecoder } from "../inference/audio/wav-decoder.js";
import type { Logger } from "../logger.js";
import { BRIDGE_MAX_AUDIO_BYTES, BRIDGE_MAX_AUDIO_MS } from "../protocol/tutor-bridge-messages.js";

/** What the bridge streams into the room: 16-bit mono PCM at this rate (its join `sample_rate`). */
export const BRIDGE_SAMPLE_RATE = 16_000;
const BYTES_PER_MS = (BRIDGE_SAMPLE_RATE * 2) / 1000;

/** A bridge audio message that cannot be taken, with the code its `error` carries. */
export class BridgeAudioError extends Error {
  readonly code: "invalid_audio" | "recording_too_long" | "payload_too_large" | "overloaded";

  constructor(code: BridgeAudioError["code"], message: string) {
    super(message);
    this.name = "BridgeAudioError";
    this.code = code;
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** File signatures of what people send by mistake: a headerless PCM stream would otherwise take any bytes. */
const NOT_AUDIO: readonly { name: string; magic: readonly number[] }[] = [
  { name: "a JPEG image", magic: [0xff, 0xd8, 0xff] },
  { name: "a PNG image", magic: [0x89, 0x50, 0x4e, 0x47] },
  { name: "a GIF image", magic: [0x47, 0x49, 0x46, 0x38] },
  { name: "a PDF", magic: [0x25, 0x50, 0x44, 0x46] },
  { name: "an MP3 (ID3)", magic: [0x49, 0x44, 0x33] },
  { name: "an Ogg file", magic: [0x4f, 0x67, 0x67, 0x53] },
  { name: "a FLAC file", magic: [0x66, 0x4c, 0x61, 0x43] },
  { name: "a WebM/Matroska file", magic: [0x1a, 0x45, 0xdf, 0xa3] },
  { name: "a ZIP archive", magic: [0x50, 0x4b, 0x03, 0x04] },
];

/**
 * The audio of a bridge `audio` message → 16-bit mono PCM at 16 kHz: a WAV file (any rate 8–48 kHz, decoded and
 * resampled on a thread of its own, never on the engine's event loop) or headerless 16-bit PCM at 16 kHz.
 */
export class BridgeAudio {
  readonly #wav: WavDecoder;

  constructor(logger: Logger) {
    this.#wav = new WavDecoder(logger, { maxRecordingMs: BRIDGE_MAX_AUDIO_MS, toRate: BRIDGE_SAMPLE_RATE });
  }

  async toPcm16(base64: string): Promise<Uint8Array> {
    const bytes = decodeBase64(base64);
    if (isWav(bytes)) {
      try {
        return await this.#wav.toPcm16(bytes);
      } catch (error) {
        const code = typeof error === "object" && error !== null && "code" in error ? error.code : null;
        if (code === "recording_too_long") throw new BridgeAudioError("recording_too_long", `audio is limited to ${BRIDGE_MAX_AUDIO_MS / 1000} s`);
        if (code === "overloaded") throw new BridgeAudioError("overloaded", "too many recordings are being decoded; try again shortly");
        throw new BridgeAudioError("invalid_audio", error instanceof Error ? error.message : "the WAV file could not be decoded");
      }
    }
    const looksLike = NOT_AUDIO.find(({ magic }) => magic.every((byte, i) => bytes[i] === byte));
    if (looksLike !== undefined) throw new BridgeAudioError("invalid_audio", `data is ${looksLike.name}, not a WAV file or 16-bit PCM`);
    if (looksLikeText(bytes)) throw new BridgeAudioError("invalid_audio", "data is text, not a WAV file or 16-bit PCM");
    if (bytes.byteLength % 2 !== 0) throw new BridgeAudioError("invalid_audio", "16-bit PCM has an even number of bytes");
    if (bytes.byteLength / BYTES_PER_MS > BRIDGE_MAX_AUDIO_MS) {
      throw new BridgeAudioError("recording_too_long", `audio is limited to ${BRIDGE_MAX_AUDIO_MS / 1000} s (16-bit PCM at 16 kHz)`);
    }
    return bytes;
  }

  close(): Promise<void> {
    return this.#wav.close();
  }
}

function decodeBase64(text: string): Uint8Array {
  const compact = text.replace(/\s+/g, "");
  // Node's decoder skips characters outside the alphabet silently: anything else is refused here first.
  if (!BASE64.test(compact) || compact.length % 4 === 1) throw new BridgeAudioError("invalid_audio", "data is not valid base64");
  if (Math.floor((compact.length * 3) / 4) > BRIDGE_MAX_AUDIO_BYTES + 2) {
    throw new BridgeAudioError("payload_too_large", `audio is limited to ${BRIDGE_MAX_AUDIO_BYTES / (1024 * 1024)} MB`);
  }
  const bytes = new Uint8Array(Buffer.from(compact, "base64"));
  if (bytes.byteLength === 0) throw new BridgeAudioError("invalid_audio", "data is empty");
  if (bytes.byteLength > BRIDGE_MAX_AUDIO_BYTES) throw new BridgeAudioError("payload_too_large", `audio is limited to ${BRIDGE_MAX_AUDIO_BYTES / (1024 * 1024)} MB`);
  return bytes;
}

function isWav(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 12 && String.fromCharCode(...bytes.subarray(0, 4)) === "RIFF" && String.fromCharCode(...bytes.subarray(8, 12)) === "WAVE";
}

/** Printable ASCII throughout its first bytes: speech as PCM almost never is (a sample's high byte spans 0–255). */
function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 256);
  if (head.byteLength < 16) return false;
  return head.every((byte) => byte === 0x09 || byte === 0x0a || byte === 0x0d || (byte >= 0x20 && byte < 0x7f));
}
