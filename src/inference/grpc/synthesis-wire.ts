import { int16ToPcm16, pcm16ToInt16 } from "../audio/pcm.js";
import { PoolError } from "../pool-error.js";
import type { SynthesisRequest, SynthesisResult } from "../pool-types.js";
import type { SynthesizeRequest, SynthesizeRequest__Output } from "./generated/engine/inference/v1/SynthesizeRequest.js";
import type { SynthesizeResponse, SynthesizeResponse__Output } from "./generated/engine/inference/v1/SynthesizeResponse.js";

/**
 * Synthesize both ways, side by side so they agree: the engine's request to protobuf (client) and back (server), the
 * pool's result to protobuf (server) and back (client). proto3 has no unset: an empty voice and a zero rate mean the
 * defaults, so the client checks a request before it goes (a rate of 0 is refused there, not taken as the default).
 */

export function synthesisRequestToWire(request: SynthesisRequest): SynthesizeRequest {
  return { text: request.text, voice: request.voice ?? "", rate_wpm: request.rateWpm ?? 0, continuation: request.continuation === true };
}

export function synthesisRequestFromWire(wire: SynthesizeRequest__Output): SynthesisRequest {
  return {
    text: wire.text,
    ...(wire.voice === "" ? {} : { voice: wire.voice }),
    ...(wire.rate_wpm === 0 ? {} : { rateWpm: wire.rate_wpm }),
    ...(wire.continuation ? { continuation: true } : {}),
  };
}

export function synthesisResultToWire(result: SynthesisResult): SynthesizeResponse {
  const { queueMs, synthMs, totalMs } = result.timings;
  return {
    pcm16: int16ToPcm16(result.pcm16),
    sample_rate: result.sampleRate,
    duration_ms: result.durationMs,
    timings: { queue_ms: queueMs, synth_ms: synthMs, total_ms: totalMs },
  };
}

export function synthesisResultFromWire(wire: SynthesizeResponse__Output): SynthesisResult {
  if (wire.sample_rate === 0 || wire.pcm16.byteLength % 2 !== 0) throw new PoolError("internal", "the pool answered Synthesize with unreadable audio");
  return {
    pcm16: pcm16ToInt16(wire.pcm16),
    sampleRate: wire.sample_rate,
    durationMs: wire.duration_ms,
    timings: { queueMs: wire.timings?.queue_ms ?? 0, synthMs: wire.timings?.synth_ms ?? 0, totalMs: wire.timings?.total_ms ?? 0 },
  };
}
