// Original file: proto/inference.proto

import type { Segment as _engine_inference_v1_Segment, Segment__Output as _engine_inference_v1_Segment__Output } from '../../../engine/inference/v1/Segment.js';
import type { TranscribeTimings as _engine_inference_v1_TranscribeTimings, TranscribeTimings__Output as _engine_inference_v1_TranscribeTimings__Output } from '../../../engine/inference/v1/TranscribeTimings.js';
import type { Long } from '@grpc/proto-loader';

export interface TranscribeResponse {
  'text'?: (string);
  'segments'?: (_engine_inference_v1_Segment)[];
  'duration_ms'?: (number | string | Long);
  'timings'?: (_engine_inference_v1_TranscribeTimings | null);
}

export interface TranscribeResponse__Output {
  'text': (string);
  'segments': (_engine_inference_v1_Segment__Output)[];
  'duration_ms': (number);
  'timings': (_engine_inference_v1_TranscribeTimings__Output | null);
}
