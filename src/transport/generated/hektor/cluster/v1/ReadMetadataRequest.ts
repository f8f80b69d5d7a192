// Original file: proto/hektor/cluster/v1/cluster.proto


export interface ReadMetadataRequest {
  'linearizable'?: (boolean);
}

export interface ReadMetadataRequest__Output {
  'linearizable': (boolean);
}
