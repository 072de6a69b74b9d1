// Original file: proto/inference.proto

import type { BatchStats as _engine_inference_v1_BatchStats, BatchStats__Output as _engine_inference_v1_BatchStats__Output } from '../../../engine/inference/v1/BatchStats.js';
import type { QueueStatus as _engine_inference_v1_QueueStatus, QueueStatus__Output as _engine_inference_v1_QueueStatus__Output } from '../../../engine/inference/v1/QueueStatus.js';
import type { StreamStates as _engine_inference_v1_StreamStates, StreamStates__Output as _engine_inference_v1_StreamStates__Output } from '../../../engine/inference/v1/StreamStates.js';
import type { InterimRuns as _engine_inference_v1_InterimRuns, InterimRuns__Output as _engine_inference_v1_InterimRuns__Output } from '../../../engine/inference/v1/InterimRuns.js';

export interface ModelStatus {
  'name'?: (string);
  'loaded'?: (boolean);
  'error'?: (string);
  'task'?: (string);
  'runtime'?: (string);
  'batching'?: (string);
  'threads'?: (number);
  'instances'?: (number);
  'state'?: (string);
  'load_ms'?: (number | string);
  'warmup_ms'?: (number | string);
  'batch'?: (_engine_inference_v1_BatchStats | null);
  'queue'?: (_engine_inference_v1_QueueStatus | null);
  'stream_states'?: (_engine_inference_v1_StreamStates | null);
  'interim'?: (_engine_inference_v1_InterimRuns | null);
}

export interface ModelStatus__Output {
  'name': (string);
  'loaded': (boolean);
  'error': (string);
  'task': (string);
  'runtime': (string);
  'batching': (string);
  'threads': (number);
  'instances': (number);
  'state': (string);
  'load_ms': (number);
  'warmup_ms': (number);
  'batch': (_engine_inference_v1_BatchStats__Output | null);
  'queue': (_engine_inference_v1_QueueStatus__Output | null);
  'stream_states': (_engine_inference_v1_StreamStates__Output | null);
  'interim': (_engine_inference_v1_InterimRuns__Output | null);
}
