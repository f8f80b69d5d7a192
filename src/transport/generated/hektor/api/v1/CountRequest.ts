// Original file: proto/hektor/api/v1/points.proto


export interface CountRequest {
  'collection'?: (string);
  'filter_json'?: (string);
}

export interface CountRequest__Output {
  'collection': (string);
  'filter_json': (string);
}
