// Original file: proto/inference.proto


export interface StreamClosed {
  'stream_id'?: (string);
}

export interface StreamClosed__Output {
  'stream_id': (string);
}
