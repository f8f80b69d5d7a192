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
}
