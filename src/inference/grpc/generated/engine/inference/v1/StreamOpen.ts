// Original file: proto/inference.proto


export interface StreamOpen {
  'stream_id'?: (string);
  'session_id'?: (string);
  'participant_id'?: (string);
  'sample_rate'?: (number);
  'tutor_id'?: (string);
}

export interface StreamOpen__Output {
  'stream_id': (string);
  'session_id': (string);
  'participant_id': (string);
  'sample_rate': (number);
  'tutor_id': (string);
}
