// Original file: proto/inference.proto


export interface EnhanceRequest {
  'image'?: (Buffer | Uint8Array | string);
  'scale'?: (number);
  'format'?: (string);
  'quality'?: (number);
}

export interface EnhanceRequest__Output {
  'image': (Buffer);
  'scale': (number);
  'format': (string);
  'quality': (number);
}
