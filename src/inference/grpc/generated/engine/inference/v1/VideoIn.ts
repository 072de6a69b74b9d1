// Original file: proto/inference.proto

import type { VideoStreamOpen as _engine_inference_v1_VideoStreamOpen, VideoStreamOpen__Output as _engine_inference_v1_VideoStreamOpen__Output } from '../../../engine/inference/v1/VideoStreamOpen.js';
import type { VideoFrame as _engine_inference_v1_VideoFrame, VideoFrame__Output as _engine_inference_v1_VideoFrame__Output } from '../../../engine/inference/v1/VideoFrame.js';
import type { StreamClose as _engine_inference_v1_StreamClose, StreamClose__Output as _engine_inference_v1_StreamClose__Output } from '../../../engine/inference/v1/StreamClose.js';

export interface VideoIn {
  'open'?: (_engine_inference_v1_VideoStreamOpen | null);
  'frame'?: (_engine_inference_v1_VideoFrame | null);
  'close'?: (_engine_inference_v1_StreamClose | null);
  'msg'?: "open"|"frame"|"close";
}

export interface VideoIn__Output {
  'open'?: (_engine_inference_v1_VideoStreamOpen__Output | null);
  'frame'?: (_engine_inference_v1_VideoFrame__Output | null);
  'close'?: (_engine_inference_v1_StreamClose__Output | null);
  'msg'?: "open"|"frame"|"close";
}
