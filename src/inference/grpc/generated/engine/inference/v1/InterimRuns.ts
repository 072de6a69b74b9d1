// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface InterimRuns {
  'running'?: (number);
  'completed'?: (number | string | Long);
  'skipped'?: (number | string | Long);
  'failed'?: (number | string | Long);
}

export interface InterimRuns__Output {
  'running': (number);
  'completed': (number);
  'skipped': (number);
  'failed': (number);
}
