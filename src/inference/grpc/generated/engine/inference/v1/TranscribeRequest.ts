// Original file: proto/inference.proto


export interface TranscribeRequest {
  'pcm16'?: (Buffer | Uint8Array | string);
  'sample_rate'?: (number);
  'wav'?: (Buffer | Uint8Array | string);
}

export interface TranscribeRequest__Output {
  'pcm16': (Buffer);
  'sample_rate': (number);
  'wav': (Buffer);
}
