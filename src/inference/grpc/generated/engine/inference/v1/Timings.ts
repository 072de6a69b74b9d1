// Original file: proto/inference.proto


export interface Timings {
  'queue_ms'?: (number | string);
  'asr_ms'?: (number | string);
  'total_ms'?: (number | string);
}

export interface Timings__Output {
  'queue_ms': (number);
  'asr_ms': (number);
  'total_ms': (number);
}
