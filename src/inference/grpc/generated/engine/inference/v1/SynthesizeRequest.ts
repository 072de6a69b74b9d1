// Original file: proto/inference.proto


export interface SynthesizeRequest {
  'text'?: (string);
  'voice'?: (string);
  'rate_wpm'?: (number);
  'continuation'?: (boolean);
}

export interface SynthesizeRequest__Output {
  'text': (string);
  'voice': (string);
  'rate_wpm': (number);
  'continuation': (boolean);
}
