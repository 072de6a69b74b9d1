// Original file: proto/inference.proto

import type { Timings as _engine_inference_v1_Timings, Timings__Output as _engine_inference_v1_Timings__Output } from '../../../engine/inference/v1/Timings.js';
import type { Long } from '@grpc/proto-loader';

export interface Transcript {
  'stream_id'?: (string);
  'segment_id'?: (string);
  'text'?: (string);
  'start_ms'?: (number | string | Long);
  'end_ms'?: (number | string | Long);
  'final'?: (boolean);
  'timings'?: (_engine_inference_v1_Timings | null);
}

export interface Transcript__Output {
  'stream_id': (string);
  'segment_id': (string);
  'text': (string);
  'start_ms': (number);
  'end_ms': (number);
  'final': (boolean);
  'timings': (_engine_inference_v1_Timings__Output | null);
}
