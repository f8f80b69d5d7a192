/**
 * Every bound of the system in one place (TigerBeetle's habit): request sizes, batch sizes,
 * queue lengths. Anything that grows has a named limit here, and docs/configuration.md lists the
 * user-facing ones.
 */

/** Limits enforced at the API edge and inside the engine. */
export const LIMITS = {
  /** Largest HTTP request body, in bytes. */
  requestBodyBytesMax: 64 * 1024 * 1024,
  /** Smallest and largest vector dimension. */
  vectorSizeMin: 1,
  vectorSizeMax: 65536,
  /** Points in one upsert request. */
  upsertBatchPointsMax: 10_000,
  /** Ids in one get or delete request. */
  idsPerRequestMax: 10_000,
  /** Largest `limit` of a search, query or scroll. */
  searchLimitMax: 10_000,
  /** Largest `offset` of a search. */
  searchOffsetMax: 100_000,
  /** Searches in one batch request. */
  searchBatchMax: 256,
  /** Largest per-query `hnsw_ef`. */
  hnswEfMax: 10_000,
  /** HNSW `m` range. */
  hnswMMin: 2,
  hnswMMax: 128,
  /** HNSW `ef_construct` range. */
  hnswEfConstructMin: 4,
  hnswEfConstructMax: 4096,
  /** Collection name length and shards per collection. */
  collectionNameLengthMax: 255,
  shardNumberMax: 64,
  /** Payload of one point, serialised as JSON, in bytes. */
  payloadBytesMax: 1024 * 1024,
  /** Nesting depth of a filter (must/should/must_not inside each other). */
  filterDepthMax: 16,
  /** Conditions in one filter, counted over all levels. */
  filterConditionsMax: 1024,
  /** Values in one `match.any` / `match.except` / `has_id`. */
  matchValuesMax: 10_000,
  /** Operations that one shard commits in one storage transaction (group commit). */
  writeGroupOpsMax: 256,
  /** Operations waiting in one shard's write queue before new writes are refused. */
  writeQueueOpsMax: 10_000,
  /** Operation-log entries a shard keeps after they are applied (for replication catch-up). */
  opLogRetainedEntries: 100_000,
  /** Point changes after which a shard saves its HNSW graph again (fast restart after a crash). */
  indexCheckpointPointChanges: 100_000,
  /** HTTP requests in flight on one node before new ones get 429. */
  httpInFlightMax: 1024,
} as const;
