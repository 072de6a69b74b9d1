// Original file: proto/inference.proto


export interface ImageTimings {
  'queue_ms'?: (number | string);
  'decode_ms'?: (number | string);
  'detect_ms'?: (number | string);
  'expression_ms'?: (number | string);
  'run_ms'?: (number | string);
  'encode_ms'?: (number | string);
  'total_ms'?: (number | string);
}

export interface ImageTimings__Output {
  'queue_ms': (number);
  'decode_ms': (number);
  'detect_ms': (number);
  'expression_ms': (number);
  'run_ms': (number);
  'encode_ms': (number);
  'total_ms': (number);
}
