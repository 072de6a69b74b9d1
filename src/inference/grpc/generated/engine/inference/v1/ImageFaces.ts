// Original file: proto/inference.proto

import type { Face as _engine_inference_v1_Face, Face__Output as _engine_inference_v1_Face__Output } from '../../../engine/inference/v1/Face.js';
import type { ImageTimings as _engine_inference_v1_ImageTimings, ImageTimings__Output as _engine_inference_v1_ImageTimings__Output } from '../../../engine/inference/v1/ImageTimings.js';

export interface ImageFaces {
  'width'?: (number);
  'height'?: (number);
  'format'?: (string);
  'faces'?: (_engine_inference_v1_Face)[];
  'timings'?: (_engine_inference_v1_ImageTimings | null);
}

export interface ImageFaces__Output {
  'width': (number);
  'height': (number);
  'format': (string);
  'faces': (_engine_inference_v1_Face__Output)[];
  'timings': (_engine_inference_v1_ImageTimings__Output | null);
}
