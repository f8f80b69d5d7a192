// Original file: proto/hektor/cluster/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface ReplicationBatch {
  'from'?: (string);
  'collection'?: (string);
  /**
   * The collection incarnation (creating Raft index); a mismatch is dropped.
   */
  'incarnation'?: (number | string | Long);
  'shard'?: (number);
  /**
   * Replication messages, each msgpack-encoded by src/cluster/replication-codec.ts.
   */
  'messages'?: (Buffer | Uint8Array | string)[];
}

export interface ReplicationBatch__Output {
  'from': (string);
  'collection': (string);
  /**
   * The collection incarnation (creating Raft index); a mismatch is dropped.
   */
  'incarnation': (number);
  'shard': (number);
  /**
   * Replication messages, each msgpack-encoded by src/cluster/replication-codec.ts.
   */
  'messages': (Buffer)[];
}
