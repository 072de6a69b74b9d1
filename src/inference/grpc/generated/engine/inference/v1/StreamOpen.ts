// Original file: proto/inference.proto

import type { StreamVad as _engine_inference_v1_StreamVad, StreamVad__Output as _engine_inference_v1_StreamVad__Output } from '../../../engine/inference/v1/StreamVad.js';
import type { Long } from '@grpc/proto-loader';

export interface StreamOpen {
  'stream_id'?: (string);
  'session_id'?: (string);
  'participant_id'?: (string);
  'sample_rate'?: (number);
  'tutor_id'?: (string);
  'offset_ms'?: (number | string | Long);
  'stages'?: (string)[];
  'vad'?: (_engine_inference_v1_StreamVad | null);
}

export interface StreamOpen__Output {
  'stream_id': (string);
  'session_id': (string);
  'participant_id': (string);
  'sample_rate': (number);
  'tutor_id': (string);
  'offset_ms': (number);
  'stages': (string)[];
  'vad': (_engine_inference_v1_StreamVad__Output | null);
}
