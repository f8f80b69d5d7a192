// Original file: proto/hektor/cluster/v1/cluster.proto


export interface ReplicaCallReply {
  'ok'?: (boolean);
  'error_code'?: (string);
  'error'?: (string);
  /**
   * The answer as JSON.
   */
  'result'?: (Buffer | Uint8Array | string);
}

export interface ReplicaCallReply__Output {
  'ok': (boolean);
  'error_code': (string);
  'error': (string);
  /**
   * The answer as JSON.
   */
  'result': (Buffer);
}
