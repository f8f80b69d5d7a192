/**
 * Request schemas of the REST API, shaped like Qdrant's so that Qdrant clients work unchanged.
 * Unknown fields are ignored (clients send optional fields Hektor does not use); every field that
 * Hektor reads is validated here, and the handler converts ids, vectors and filters with the
 * engine's own validators so that every error carries a stable code.
 */

import { z } from 'zod';
import { LIMITS } from '../base/limits.js';

const distance = z.enum(['Cosine', 'Euclid', 'Dot']);
const rawId = z.union([z.number(), z.string()]);
const payload = z.record(z.string(), z.unknown());
const rawFilter = z.unknown();

const hnswConfig = z.object({
  m: z.number().int().min(LIMITS.hnswMMin).max(LIMITS.hnswMMax).optional(),
  ef_construct: z.number().int().min(LIMITS.hnswEfConstructMin).max(LIMITS.hnswEfConstructMax).optional(),
});

/** Write acknowledgement modes: the collection's `write_consistency.mode` and the `write_consistency` query. */
export const WRITE_MODES = ['async', 'sync', 'semi_sync'] as const;

/** Read consistency levels: the collection's `read_consistency` and the `read_consistency` query. */
export const READ_CONSISTENCIES = ['eventual', 'primary'] as const;

/**
 * Highest replication_factor a request may ask for. The cluster refuses any factor above its
 * live node count with invalid_config; this bound only keeps absurd values out of the metadata.
 */
export const REPLICATION_FACTOR_MAX = 16;

/** Longest `write_consistency.timeout_ms` a collection may set (ten minutes). */
export const WRITE_TIMEOUT_MS_MAX = 600_000;

/** `write_consistency` of a collection: unknown keys are refused so that a typo is not silently ignored. */
export const writeConsistencyBody = z.strictObject({
  mode: z.enum(WRITE_MODES, { error: `mode must be one of ${WRITE_MODES.join(', ')}` }),
  min_acks: z.number().int().min(1).max(REPLICATION_FACTOR_MAX - 1).optional(),
  timeout_ms: z.number().int().min(1).max(WRITE_TIMEOUT_MS_MAX).optional(),
});

/** `PUT /collections/{name}`. */
export const createCollectionBody = z.object({
  vectors: z.object({
    size: z.number().int().min(LIMITS.vectorSizeMin).max(LIMITS.vectorSizeMax),
    distance,
    hnsw_config: hnswConfig.nullish(),
    on_disk: z.boolean().nullish(),
  }),
  hnsw_config: hnswConfig.nullish(),
  shard_number: z.number().int().min(1).max(LIMITS.shardNumberMax).nullish(),
  replication_factor: z.number().int().min(1).max(REPLICATION_FACTOR_MAX).nullish(),
  write_consistency_factor: z.number().int().min(1).max(REPLICATION_FACTOR_MAX).nullish(),
  write_consistency: writeConsistencyBody.nullish(),
  read_consistency: z.enum(READ_CONSISTENCIES, { error: `read_consistency must be one of ${READ_CONSISTENCIES.join(', ')}` }).nullish(),
  on_disk_payload: z.boolean().nullish(),
});

/** The `with_payload` selector: bool, list of keys, or include/exclude. */
export const withPayload = z
  .union([z.boolean(), z.array(z.string()), z.object({ include: z.array(z.string()) }), z.object({ exclude: z.array(z.string()) })])
  .nullish();

/** `PUT /collections/{name}/points`: a list of points or a column batch. */
export const upsertBody = z.union([
  z.object({
    points: z
      .array(z.object({ id: rawId, vector: z.unknown(), payload: payload.nullish() }))
      .max(LIMITS.upsertBatchPointsMax, `at most ${LIMITS.upsertBatchPointsMax} points per request; split the batch`),
  }),
  z.object({
    batch: z.object({
      ids: z.array(rawId).max(LIMITS.upsertBatchPointsMax, `at most ${LIMITS.upsertBatchPointsMax} points per request; split the batch`),
      vectors: z.array(z.unknown()),
      payloads: z.array(payload.nullish()).nullish(),
    }),
  }),
]);

/** `POST /collections/{name}/points`. */
export const retrieveBody = z.object({
  ids: z.array(rawId).max(LIMITS.idsPerRequestMax),
  with_payload: withPayload,
  with_vector: z.boolean().nullish(),
});

/** A points selector: ids or a filter. */
export const selectorBody = z.object({
  points: z.array(rawId).max(LIMITS.idsPerRequestMax).nullish(),
  filter: rawFilter.optional(),
});

/** `POST /points/payload` and `PUT /points/payload`. */
export const setPayloadBody = selectorBody.extend({ payload, key: z.string().nullish() });

/** `POST /points/payload/delete`. */
export const deletePayloadBody = selectorBody.extend({ keys: z.array(z.string()).min(1) });

const searchParams = z
  .object({
    hnsw_ef: z.number().int().min(1).max(LIMITS.hnswEfMax).nullish(),
    exact: z.boolean().nullish(),
  })
  .nullish();

const limit = z.number().int().min(1).max(LIMITS.searchLimitMax);
const offset = z.number().int().min(0).max(LIMITS.searchOffsetMax);

/** `POST /points/search`. */
export const searchBody = z.object({
  vector: z.unknown(),
  limit,
  offset: offset.nullish(),
  filter: rawFilter.optional(),
  params: searchParams,
  with_payload: withPayload,
  with_vector: z.boolean().nullish(),
  score_threshold: z.number().nullish(),
});

/** `POST /points/search/batch`. */
export const searchBatchBody = z.object({ searches: z.array(searchBody).min(1).max(LIMITS.searchBatchMax) });

/** `POST /points/query`: a nearest-vector query (or a point id whose vector is the query). */
export const queryBody = z.object({
  query: z.unknown().optional(),
  limit: limit.nullish(),
  offset: offset.nullish(),
  filter: rawFilter.optional(),
  params: searchParams,
  with_payload: withPayload,
  with_vector: z.boolean().nullish(),
  score_threshold: z.number().nullish(),
});

/** `POST /points/query/batch`. */
export const queryBatchBody = z.object({ searches: z.array(queryBody).min(1).max(LIMITS.searchBatchMax) });

/** `POST /points/scroll`. */
export const scrollBody = z
  .object({
    offset: rawId.nullish(),
    limit: limit.nullish(),
    filter: rawFilter.optional(),
    with_payload: withPayload,
    with_vector: z.boolean().nullish(),
  })
  .nullish();

/** `POST /points/count`. */
export const countBody = z.object({ filter: rawFilter.optional(), exact: z.boolean().nullish() }).nullish();

/** `PUT /collections/{name}/index`. */
export const createIndexBody = z.object({
  field_name: z.string().min(1),
  field_schema: z.union([
    z.enum(['keyword', 'integer', 'float', 'bool', 'uuid']),
    z.object({ type: z.enum(['keyword', 'integer', 'float', 'bool', 'uuid']) }),
  ]),
});

/** `POST /collections/{name}/truncated/reapply` and `/truncated/drop`: truncated entries of one replica. */
export const resolveTruncatedBody = z.object({
  shard: z.number().int().min(0).max(LIMITS.shardNumberMax - 1),
  peer_id: z.string().min(1).max(256),
  ids: z.array(z.number().int().min(0)).min(1).max(LIMITS.idsPerRequestMax),
});
