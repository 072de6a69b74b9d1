// Original file: proto/inference.proto


export interface DeepfakeFace {
  'x'?: (number | string);
  'y'?: (number | string);
  'width'?: (number | string);
  'height'?: (number | string);
  'fake_probability'?: (number | string);
  'face_score'?: (number | string);
}

export interface DeepfakeFace__Output {
  'x': (number);
  'y': (number);
  'width': (number);
  'height': (number);
  'fake_probability': (number);
  'face_score': (number);
}
