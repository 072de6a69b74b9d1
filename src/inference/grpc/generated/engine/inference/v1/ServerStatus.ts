// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface ServerStatus {
  'handler_faults'?: (number | string | Long);
  'unauthenticated_calls'?: (number | string | Long);
  'malformed_messages'?: (number | string | Long);
}

export interface ServerStatus__Output {
  'handler_faults': (number);
  'unauthenticated_calls': (number);
  'malformed_messages': (number);
}
