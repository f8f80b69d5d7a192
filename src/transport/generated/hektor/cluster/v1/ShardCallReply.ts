// Original file: proto/hektor/cluster/v1/cluster.proto


export interface ShardCallReply {
  'ok'?: (boolean);
  'error_code'?: (string);
  'error'?: (string);
  'result'?: (Buffer | Uint8Array | string);
}

export interface ShardCallReply__Output {
  'ok': (boolean);
  'error_code': (string);
  'error': (string);
  'result': (Buffer);
}
