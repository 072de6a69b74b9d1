// Original file: proto/inference.proto

import type { HistogramBucket as _engine_inference_v1_HistogramBucket, HistogramBucket__Output as _engine_inference_v1_HistogramBucket__Output } from '../../../engine/inference/v1/HistogramBucket.js';
import type { Long } from '@grpc/proto-loader';

export interface BatchStats {
  'batches'?: (number | string | Long);
  'items'?: (number | string | Long);
  'mean_batch_size'?: (number | string);
  'max_batch_size'?: (number);
  'size_buckets'?: (_engine_inference_v1_HistogramBucket)[];
  'run_ms_total'?: (number | string);
  'run_ms_buckets'?: (_engine_inference_v1_HistogramBucket)[];
}

export interface BatchStats__Output {
  'batches': (number);
  'items': (number);
  'mean_batch_size': (number);
  'max_batch_size': (number);
  'size_buckets': (_engine_inference_v1_HistogramBucket__Output)[];
  'run_ms_total': (number);
  'run_ms_buckets': (_engine_inference_v1_HistogramBucket__Output)[];
}
