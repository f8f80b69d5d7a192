// Original file: proto/hektor/cluster/v1/cluster.proto


/**
 * Raft messages, each JSON-encoded by src/cluster/codec.ts.
 */
export interface RaftBatch {
  'cluster_id'?: (string);
  'from'?: (string);
  'to'?: (string);
  'messages'?: (Buffer | Uint8Array | string)[];
}

/**
 * Raft messages, each JSON-encoded by src/cluster/codec.ts.
 */
export interface RaftBatch__Output {
  'cluster_id': (string);
  'from': (string);
  'to': (string);
  'messages': (Buffer)[];
}
