// Original file: proto/inference.proto


export interface StreamVad {
  'speech_threshold'?: (number | string);
  'end_of_turn_silence_ms'?: (number);
}

export interface StreamVad__Output {
  'speech_threshold': (number);
  'end_of_turn_silence_ms': (number);
}
