// Original file: proto/inference.proto


export interface Face {
  'x'?: (number | string);
  'y'?: (number | string);
  'width'?: (number | string);
  'height'?: (number | string);
  'score'?: (number | string);
  'expression'?: (string);
  'scores'?: ({[key: string]: number | string});
}

export interface Face__Output {
  'x': (number);
  'y': (number);
  'width': (number);
  'height': (number);
  'score': (number);
  'expression': (string);
  'scores': ({[key: string]: number});
}
