// Original file: proto/inference.proto

import type { ImageTimings as _engine_inference_v1_ImageTimings, ImageTimings__Output as _engine_inference_v1_ImageTimings__Output } from '../../../engine/inference/v1/ImageTimings.js';

export interface EnhanceResponse {
  'image'?: (Buffer | Uint8Array | string);
  'format'?: (string);
  'width'?: (number);
  'height'?: (number);
  'input_width'?: (number);
  'input_height'?: (number);
  'model'?: (string);
  'scale'?: (number);
  'timings'?: (_engine_inference_v1_ImageTimings | null);
}

export interface EnhanceResponse__Output {
  'image': (Buffer);
  'format': (string);
  'width': (number);
  'height': (number);
  'input_width': (number);
  'input_height': (number);
  'model': (string);
  'scale': (number);
  'timings': (_engine_inference_v1_ImageTimings__Output | null);
}
