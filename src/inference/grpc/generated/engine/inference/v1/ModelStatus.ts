// Original file: proto/inference.proto


export interface ModelStatus {
  'name'?: (string);
  'loaded'?: (boolean);
  'error'?: (string);
}

export interface ModelStatus__Output {
  'name': (string);
  'loaded': (boolean);
  'error': (string);
}
