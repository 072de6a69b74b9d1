// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface FrameDropped {
  'stream_id'?: (string);
  'seq'?: (number | string | Long);
}

export interface FrameDropped__Output {
  'stream_id': (string);
  'seq': (number);
}
