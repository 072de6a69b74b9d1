// Original file: proto/inference.proto

import type { SynthesizeTimings as _engine_inference_v1_SynthesizeTimings, SynthesizeTimings__Output as _engine_inference_v1_SynthesizeTimings__Output } from '../../../engine/inference/v1/SynthesizeTimings.js';

export interface SynthesizeResponse {
  'pcm16'?: (Buffer | Uint8Array | string);
  'sample_rate'?: (number);
  'duration_ms'?: (number | string);
  'timings'?: (_engine_inference_v1_SynthesizeTimings | null);
}

export interface SynthesizeResponse__Output {
  'pcm16': (Buffer);
  'sample_rate': (number);
  'duration_ms': (number);
  'timings': (_engine_inference_v1_SynthesizeTimings__Output | null);
}
