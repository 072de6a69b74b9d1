// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface Segment {
  'text'?: (string);
  'start_ms'?: (number | string | Long);
  'end_ms'?: (number | string | Long);
}

export interface Segment__Output {
  'text': (string);
  'start_ms': (number);
  'end_ms': (number);
}
