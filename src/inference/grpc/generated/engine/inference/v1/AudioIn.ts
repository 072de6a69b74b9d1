// Original file: proto/inference.proto

import type { StreamOpen as _engine_inference_v1_StreamOpen, StreamOpen__Output as _engine_inference_v1_StreamOpen__Output } from '../../../engine/inference/v1/StreamOpen.js';
import type { AudioChunk as _engine_inference_v1_AudioChunk, AudioChunk__Output as _engine_inference_v1_AudioChunk__Output } from '../../../engine/inference/v1/AudioChunk.js';
import type { StreamClose as _engine_inference_v1_StreamClose, StreamClose__Output as _engine_inference_v1_StreamClose__Output } from '../../../engine/inference/v1/StreamClose.js';

export interface AudioIn {
  'open'?: (_engine_inference_v1_StreamOpen | null);
  'chunk'?: (_engine_inference_v1_AudioChunk | null);
  'close'?: (_engine_inference_v1_StreamClose | null);
  'msg'?: "open"|"chunk"|"close";
}

export interface AudioIn__Output {
  'open'?: (_engine_inference_v1_StreamOpen__Output | null);
  'chunk'?: (_engine_inference_v1_AudioChunk__Output | null);
  'close'?: (_engine_inference_v1_StreamClose__Output | null);
  'msg'?: "open"|"chunk"|"close";
}
