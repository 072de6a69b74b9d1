// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface StreamStates {
  'open'?: (number);
  'opened'?: (number | string | Long);
  'freed_on_close'?: (number | string | Long);
  'freed_idle'?: (number | string | Long);
}

export interface StreamStates__Output {
  'open': (number);
  'opened': (number);
  'freed_on_close': (number);
  'freed_idle': (number);
}
