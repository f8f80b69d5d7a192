// Original file: proto/hektor/api/v1/points.proto


export interface GetCollectionRequest {
  'name'?: (string);
}

export interface GetCollectionRequest__Output {
  'name': (string);
}
