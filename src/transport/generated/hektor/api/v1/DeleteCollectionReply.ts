// Original file: proto/hektor/api/v1/points.proto


export interface DeleteCollectionReply {
  'deleted'?: (boolean);
}

export interface DeleteCollectionReply__Output {
  'deleted': (boolean);
}
