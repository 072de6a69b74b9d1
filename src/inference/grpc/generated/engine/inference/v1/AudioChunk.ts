// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface AudioChunk {
  'stream_id'?: (string);
  'seq'?: (number | string | Long);
  'pcm16'?: (Buffer | Uint8Array | string);
}

export interface AudioChunk__Output {
  'stream_id': (string);
  'seq': (number);
  'pcm16': (Buffer);
}
