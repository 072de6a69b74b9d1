// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface HistogramBucket {
  'upper_bound'?: (number | string);
  'count'?: (number | string | Long);
}

export interface HistogramBucket__Output {
  'upper_bound': (number);
  'count': (number);
}
