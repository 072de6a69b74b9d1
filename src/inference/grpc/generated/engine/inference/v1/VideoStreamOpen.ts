// Original file: proto/inference.proto


export interface VideoStreamOpen {
  'stream_id'?: (string);
  'session_id'?: (string);
  'participant_id'?: (string);
}

export interface VideoStreamOpen__Output {
  'stream_id': (string);
  'session_id': (string);
  'participant_id': (string);
}
