// Original file: proto/hektor/api/v1/points.proto


export interface CreateCollectionRequest {
  'name'?: (string);
  'size'?: (number);
  /**
   * "Cosine", "Euclid" or "Dot".
   */
  'distance'?: (string);
  'hnsw_m'?: (number);
  'hnsw_ef_construct'?: (number);
  'shard_number'?: (number);
  'on_disk_payload'?: (boolean);
  /**
   * Replicas per shard (0 means 1).
   */
  'replication_factor'?: (number);
  /**
   * "async" (default), "sync" or "semi_sync"; see docs/replication.md.
   */
  'write_consistency_mode'?: (string);
  /**
   * semi_sync: followers that must have each write (0 means 1).
   */
  'write_consistency_min_acks'?: (number);
  /**
   * How long a replicated write may wait for its acknowledgements (0 means the default).
   */
  'write_consistency_timeout_ms'?: (number);
  /**
   * "eventual" (default) or "primary".
   */
  'read_consistency'?: (string);
}

export interface CreateCollectionRequest__Output {
  'name': (string);
  'size': (number);
  /**
   * "Cosine", "Euclid" or "Dot".
   */
  'distance': (string);
  'hnsw_m': (number);
  'hnsw_ef_construct': (number);
  'shard_number': (number);
  'on_disk_payload': (boolean);
  /**
   * Replicas per shard (0 means 1).
   */
  'replication_factor': (number);
  /**
   * "async" (default), "sync" or "semi_sync"; see docs/replication.md.
   */
  'write_consistency_mode': (string);
  /**
   * semi_sync: followers that must have each write (0 means 1).
   */
  'write_consistency_min_acks': (number);
  /**
   * How long a replicated write may wait for its acknowledgements (0 means the default).
   */
  'write_consistency_timeout_ms': (number);
  /**
   * "eventual" (default) or "primary".
   */
  'read_consistency': (string);
}
