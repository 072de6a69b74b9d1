// Original file: proto/inference.proto

import type { FrameFaces as _engine_inference_v1_FrameFaces, FrameFaces__Output as _engine_inference_v1_FrameFaces__Output } from '../../../engine/inference/v1/FrameFaces.js';
import type { FrameDropped as _engine_inference_v1_FrameDropped, FrameDropped__Output as _engine_inference_v1_FrameDropped__Output } from '../../../engine/inference/v1/FrameDropped.js';
import type { StreamError as _engine_inference_v1_StreamError, StreamError__Output as _engine_inference_v1_StreamError__Output } from '../../../engine/inference/v1/StreamError.js';
import type { StreamClosed as _engine_inference_v1_StreamClosed, StreamClosed__Output as _engine_inference_v1_StreamClosed__Output } from '../../../engine/inference/v1/StreamClosed.js';

export interface VideoOut {
  'faces'?: (_engine_inference_v1_FrameFaces | null);
  'dropped'?: (_engine_inference_v1_FrameDropped | null);
  'error'?: (_engine_inference_v1_StreamError | null);
  'closed'?: (_engine_inference_v1_StreamClosed | null);
  'msg'?: "faces"|"dropped"|"error"|"closed";
}

export interface VideoOut__Output {
  'faces'?: (_engine_inference_v1_FrameFaces__Output | null);
  'dropped'?: (_engine_inference_v1_FrameDropped__Output | null);
  'error'?: (_engine_inference_v1_StreamError__Output | null);
  'closed'?: (_engine_inference_v1_StreamClosed__Output | null);
  'msg'?: "faces"|"dropped"|"error"|"closed";
}
