// Original file: proto/hektor/cluster/v1/cluster.proto


export interface JoinReply {
  'ok'?: (boolean);
  'error_code'?: (string);
  'error'?: (string);
  /**
   * When this node is not the leader: who is (empty if unknown) and where to reach it.
   */
  'leader_id'?: (string);
  'leader_address'?: (string);
  /**
   * The cluster id the joiner must use in Raft batches.
   */
  'cluster_id'?: (string);
}

export interface JoinReply__Output {
  'ok': (boolean);
  'error_code': (string);
  'error': (string);
  /**
   * When this node is not the leader: who is (empty if unknown) and where to reach it.
   */
  'leader_id': (string);
  'leader_address': (string);
  /**
   * The cluster id the joiner must use in Raft batches.
   */
  'cluster_id': (string);
}
