// Original file: proto/inference.proto

import type { ModelStatus as _engine_inference_v1_ModelStatus, ModelStatus__Output as _engine_inference_v1_ModelStatus__Output } from '../../../engine/inference/v1/ModelStatus.js';
import type { BatchStats as _engine_inference_v1_BatchStats, BatchStats__Output as _engine_inference_v1_BatchStats__Output } from '../../../engine/inference/v1/BatchStats.js';
import type { QueueStatus as _engine_inference_v1_QueueStatus, QueueStatus__Output as _engine_inference_v1_QueueStatus__Output } from '../../../engine/inference/v1/QueueStatus.js';
import type { ServerStatus as _engine_inference_v1_ServerStatus, ServerStatus__Output as _engine_inference_v1_ServerStatus__Output } from '../../../engine/inference/v1/ServerStatus.js';

export interface PoolStatus {
  'models'?: (_engine_inference_v1_ModelStatus)[];
  'execution_provider'?: (string);
  'open_streams'?: (number);
  'vad_pending'?: (number);
  'vad'?: (_engine_inference_v1_BatchStats | null);
  'asr'?: (_engine_inference_v1_QueueStatus | null);
  'server'?: (_engine_inference_v1_ServerStatus | null);
}

export interface PoolStatus__Output {
  'models': (_engine_inference_v1_ModelStatus__Output)[];
  'execution_provider': (string);
  'open_streams': (number);
  'vad_pending': (number);
  'vad': (_engine_inference_v1_BatchStats__Output | null);
  'asr': (_engine_inference_v1_QueueStatus__Output | null);
  'server': (_engine_inference_v1_ServerStatus__Output | null);
}
