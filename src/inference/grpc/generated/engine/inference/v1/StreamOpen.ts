// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface StreamOpen {
  'stream_id'?: (string);
  'session_id'?: (string);
  'participant_id'?: (string);
  'sample_rate'?: (number);
  'tutor_id'?: (string);
  'offset_ms'?: (number | string | Long);
  'stages'?: (string)[];
}

export interface StreamOpen__Output {
  'stream_id': (string);
  'session_id': (string);
  'participant_id': (string);
  'sample_rate': (number);
  'tutor_id': (string);
  'offset_ms': (number);
  'stages': (string)[];
}
