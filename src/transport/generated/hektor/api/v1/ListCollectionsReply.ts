// Original file: proto/hektor/api/v1/points.proto


export interface ListCollectionsReply {
  'names'?: (string)[];
}

export interface ListCollectionsReply__Output {
  'names': (string)[];
}
