// Original file: proto/hektor/cluster/v1/cluster.proto


export interface JoinRequest {
  'node_id'?: (string);
  'grpc_address'?: (string);
  'http_address'?: (string);
  'zone'?: (string);
}

export interface JoinRequest__Output {
  'node_id': (string);
  'grpc_address': (string);
  'http_address': (string);
  'zone': (string);
}
