// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface BatchStats {
  'batches'?: (number | string | Long);
  'items'?: (number | string | Long);
  'mean_batch_size'?: (number | string);
  'max_batch_size'?: (number);
}

export interface BatchStats__Output {
  'batches': (number);
  'items': (number);
  'mean_batch_size': (number);
  'max_batch_size': (number);
}
