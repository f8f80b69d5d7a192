// Original file: proto/hektor/cluster/v1/cluster.proto


export interface ShardSnapshotChunk {
  /**
   * A page of points, msgpack-encoded by src/cluster/replication-codec.ts.
   */
  'points'?: (Buffer | Uint8Array | string);
}

export interface ShardSnapshotChunk__Output {
  /**
   * A page of points, msgpack-encoded by src/cluster/replication-codec.ts.
   */
  'points': (Buffer);
}
