// Original file: proto/inference.proto


export interface StreamError {
  'stream_id'?: (string);
  'code'?: (string);
  'message'?: (string);
  'segment_id'?: (string);
}

export interface StreamError__Output {
  'stream_id': (string);
  'code': (string);
  'message': (string);
  'segment_id': (string);
}
