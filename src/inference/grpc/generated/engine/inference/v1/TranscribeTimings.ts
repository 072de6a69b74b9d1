// Original file: proto/inference.proto


export interface TranscribeTimings {
  'vad_ms'?: (number | string);
  'asr_ms'?: (number | string);
  'total_ms'?: (number | string);
}

export interface TranscribeTimings__Output {
  'vad_ms': (number);
  'asr_ms': (number);
  'total_ms': (number);
}
