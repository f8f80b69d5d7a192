// Original file: proto/hektor/api/v1/points.proto


export interface DeleteCollectionRequest {
  'name'?: (string);
}

export interface DeleteCollectionRequest__Output {
  'name': (string);
}
