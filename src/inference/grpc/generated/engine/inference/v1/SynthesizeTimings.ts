// Original file: proto/inference.proto


export interface SynthesizeTimings {
  'queue_ms'?: (number | string);
  'synth_ms'?: (number | string);
  'total_ms'?: (number | string);
}

export interface SynthesizeTimings__Output {
  'queue_ms': (number);
  'synth_ms': (number);
  'total_ms': (number);
}
