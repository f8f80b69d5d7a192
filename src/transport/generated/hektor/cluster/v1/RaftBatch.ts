// Original file: proto/hektor/cluster/v1/cluster.proto


/**
 * Raft messages, each JSON-encoded by src/cluster/codec.ts.
 */
export interface RaftBatch {
  'cluster_id'?: (string);
  'from'?: (string);
  'to'?: (string);
  'messages'?: (Buffer | Uint8Array | string)[];
  /**
   * The sender's gRPC address, so that a node that has not caught up on the member list yet
   * (a joining learner) can answer.
   */
  'from_address'?: (string);
}

/**
 * Raft messages, each JSON-encoded by src/cluster/codec.ts.
 */
export interface RaftBatch__Output {
  'cluster_id': (string);
  'from': (string);
  'to': (string);
  'messages': (Buffer)[];
  /**
   * The sender's gRPC address, so that a node that has not caught up on the member list yet
   * (a joining learner) can answer.
   */
  'from_address': (string);
}
