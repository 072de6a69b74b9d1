// Original file: proto/inference.proto

import type { Face as _engine_inference_v1_Face, Face__Output as _engine_inference_v1_Face__Output } from '../../../engine/inference/v1/Face.js';
import type { FrameTimings as _engine_inference_v1_FrameTimings, FrameTimings__Output as _engine_inference_v1_FrameTimings__Output } from '../../../engine/inference/v1/FrameTimings.js';
import type { Long } from '@grpc/proto-loader';

export interface FrameFaces {
  'stream_id'?: (string);
  'seq'?: (number | string | Long);
  'at_ms'?: (number | string | Long);
  'faces'?: (_engine_inference_v1_Face)[];
  'timings'?: (_engine_inference_v1_FrameTimings | null);
}

export interface FrameFaces__Output {
  'stream_id': (string);
  'seq': (number);
  'at_ms': (number);
  'faces': (_engine_inference_v1_Face__Output)[];
  'timings': (_engine_inference_v1_FrameTimings__Output | null);
}
