// Original file: proto/inference.proto


export interface StreamClose {
  'stream_id'?: (string);
}

export interface StreamClose__Output {
  'stream_id': (string);
}
