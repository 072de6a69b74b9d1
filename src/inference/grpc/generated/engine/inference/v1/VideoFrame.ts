// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface VideoFrame {
  'stream_id'?: (string);
  'seq'?: (number | string | Long);
  'jpeg'?: (Buffer | Uint8Array | string);
  'captured_at_ms'?: (number | string | Long);
}

export interface VideoFrame__Output {
  'stream_id': (string);
  'seq': (number);
  'jpeg': (Buffer);
  'captured_at_ms': (number);
}
