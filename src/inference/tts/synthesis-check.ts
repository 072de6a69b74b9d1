import { PoolError } from "../pool-error.js";
import { SYNTHESIS_DEFAULTS, SYNTHESIS_LIMITS, type SynthesisRequest } from "../pool-types.js";
import type { TtsModel, TtsUtterance } from "../registry/model-module.js";

/** A voice id and an optional `+variant`, in the characters eSpeak's ids use. */
const VOICE_SHAPE = /^([a-z0-9-]{1,48})(?:\+([A-Za-z0-9_-]{1,48}))?$/;

/**
 * A synthesis request as the utterance the model speaks, its text trimmed and its defaults filled in; PoolError
 * `invalid_text` (not retryable) for text empty or over 1,000 characters (code points) once trimmed, a rate that is
 * not a whole number of 80–450 words a minute, or a voice the model lacks. Checked before the request queues, so a
 * refusal costs nothing; without `voices` (the model not loaded yet) the voice only has to look like one.
 */
export function checkSynthesis(request: SynthesisRequest, voices?: Pick<TtsModel, "voices" | "variants">): TtsUtterance {
  const text = typeof request.text === "string" ? request.text.trim() : "";
  const { maxTextChars, minRateWpm, maxRateWpm } = SYNTHESIS_LIMITS;
  if (text === "") throw new PoolError("invalid_text", "there is no text to synthesize");
  const chars = [...text].length;
  if (chars > maxTextChars) throw new PoolError("invalid_text", `the text has ${chars} characters; one request takes at most ${maxTextChars} (one sentence)`);
  const rateWpm = request.rateWpm ?? SYNTHESIS_DEFAULTS.rateWpm;
  if (!Number.isInteger(rateWpm) || rateWpm < minRateWpm || rateWpm > maxRateWpm) {
    throw new PoolError("invalid_text", `the rate must be a whole number of ${minRateWpm}–${maxRateWpm} words a minute`);
  }
  const voice = request.voice ?? SYNTHESIS_DEFAULTS.voice;
  const shape = typeof voice === "string" ? VOICE_SHAPE.exec(voice) : null;
  if (shape === null) throw new PoolError("invalid_text", "a voice is an id such as en-us, en-gb-x-rp or en-us+f3");
  const [, id = "", variant] = shape;
  if (voices !== undefined && !voices.voices.includes(id)) throw new PoolError("invalid_text", `the synthesizer has no voice "${id}"`);
  if (voices !== undefined && variant !== undefined && !voices.variants.includes(variant)) {
    throw new PoolError("invalid_text", `the synthesizer has no voice variant "${variant}"`);
  }
  return { text, voice, rateWpm };
}
