// Original file: proto/hektor/api/v1/points.proto


export interface CreateCollectionReply {
  'created'?: (boolean);
}

export interface CreateCollectionReply__Output {
  'created': (boolean);
}
