// Original file: proto/inference.proto

import type { DeepfakeFace as _engine_inference_v1_DeepfakeFace, DeepfakeFace__Output as _engine_inference_v1_DeepfakeFace__Output } from '../../../engine/inference/v1/DeepfakeFace.js';
import type { ImageTimings as _engine_inference_v1_ImageTimings, ImageTimings__Output as _engine_inference_v1_ImageTimings__Output } from '../../../engine/inference/v1/ImageTimings.js';

export interface DeepfakeResponse {
  'width'?: (number);
  'height'?: (number);
  'format'?: (string);
  'model'?: (string);
  'faces'?: (_engine_inference_v1_DeepfakeFace)[];
  'whole_image'?: (boolean);
  'timings'?: (_engine_inference_v1_ImageTimings | null);
}

export interface DeepfakeResponse__Output {
  'width': (number);
  'height': (number);
  'format': (string);
  'model': (string);
  'faces': (_engine_inference_v1_DeepfakeFace__Output)[];
  'whole_image': (boolean);
  'timings': (_engine_inference_v1_ImageTimings__Output | null);
}
