// Original file: proto/inference.proto

import type { SpeechEvent as _engine_inference_v1_SpeechEvent, SpeechEvent__Output as _engine_inference_v1_SpeechEvent__Output } from '../../../engine/inference/v1/SpeechEvent.js';
import type { Transcript as _engine_inference_v1_Transcript, Transcript__Output as _engine_inference_v1_Transcript__Output } from '../../../engine/inference/v1/Transcript.js';
import type { StreamError as _engine_inference_v1_StreamError, StreamError__Output as _engine_inference_v1_StreamError__Output } from '../../../engine/inference/v1/StreamError.js';
import type { StreamClosed as _engine_inference_v1_StreamClosed, StreamClosed__Output as _engine_inference_v1_StreamClosed__Output } from '../../../engine/inference/v1/StreamClosed.js';

export interface AudioOut {
  'speech'?: (_engine_inference_v1_SpeechEvent | null);
  'transcript'?: (_engine_inference_v1_Transcript | null);
  'error'?: (_engine_inference_v1_StreamError | null);
  'closed'?: (_engine_inference_v1_StreamClosed | null);
  'msg'?: "speech"|"transcript"|"error"|"closed";
}

export interface AudioOut__Output {
  'speech'?: (_engine_inference_v1_SpeechEvent__Output | null);
  'transcript'?: (_engine_inference_v1_Transcript__Output | null);
  'error'?: (_engine_inference_v1_StreamError__Output | null);
  'closed'?: (_engine_inference_v1_StreamClosed__Output | null);
  'msg'?: "speech"|"transcript"|"error"|"closed";
}
