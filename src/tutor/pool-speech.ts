import type { InferenceGateway } from "../inference/inference-gateway.js";
import type { TutorSpeech } from "./tutor-instances.js";

/** A tutor's speech through the inference pool's `tts` model (never on the engine's event loop). */
export function poolSpeech(gateway: InferenceGateway): TutorSpeech {
  return {
    async synthesize(text, voice, signal, continuation) {
      const request = { text, voice: voice.name, rateWpm: voice.rateWpm, ...(continuation === true ? { continuation } : {}) };
      const result = await gateway.synthesize(request, signal === undefined ? {} : { signal });
      // The samples' bytes as they lie: little-endian, as `tutor.audio` is, on every platform Node ships for.
      const { pcm16 } = result;
      return { pcm16: new Uint8Array(pcm16.buffer, pcm16.byteOffset, pcm16.byteLength), sampleRate: result.sampleRate };
    },
  };
}
