// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

// Original file: proto/inference.proto

export const _engine_inference_v1_SpeechEvent_Kind = {
  KIND_UNSPECIFIED: 'KIND_UNSPECIFIED',
  STARTED: 'STARTED',
  ENDED: 'ENDED',
} as const;

export type _engine_inference_v1_SpeechEvent_Kind =
  | 'KIND_UNSPECIFIED'
  | 0
  | 'STARTED'
  | 1
  | 'ENDED'
  | 2

export type _engine_inference_v1_SpeechEvent_Kind__Output = typeof _engine_inference_v1_SpeechEvent_Kind[keyof typeof _engine_inference_v1_SpeechEvent_Kind]

export interface SpeechEvent {
  'stream_id'?: (string);
  'kind'?: (_engine_inference_v1_SpeechEvent_Kind);
  'at_ms'?: (number | string | Long);
}

export interface SpeechEvent__Output {
  'stream_id': (string);
  'kind': (_engine_inference_v1_SpeechEvent_Kind__Output);
  'at_ms': (number);
}
