/**
 * Conversion of validated request fields into engine values, with the engine's error codes:
 * vectors (size, finiteness, Cosine normalisation), ids, filters, payloads, selectors and the
 * replication settings of a collection.
 */

import { HektorError } from '../base/errors.js';
import { parsePointId, type PointId } from '../base/ids.js';
import { LIMITS } from '../base/limits.js';
import { normalizeOwned } from '../index/distance.js';
import { parseFilter } from '../index/filter.js';
import type { Distance, Filter, Payload } from '../index/types.js';
import type { CollectionConfig, ReadConsistency, WriteConsistency } from '../shard/collection.js';
import type { PayloadSelector } from '../shard/payload.js';

/**
 * Validates a vector for a collection and returns it as float32 (normalised for Cosine). A
 * Float32Array (what the search body's fast path reads) is taken over: it is normalised in place
 * and returned.
 */
export function toVector(raw: unknown, config: CollectionConfig, where: string): Float32Array {
  // The search body's fast path (vector-body.ts) has already read the vector into finite float32s.
  if (raw instanceof Float32Array) return prepareOwnedVector(checkedLength(raw, config, where), config.vectors.distance);
  let values = raw;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const named = raw as Record<string, unknown>;
    const keys = Object.keys(named);
    if ('vector' in named && 'name' in named && (named.name === '' || named.name === undefined)) values = named.vector;
    else if (keys.length === 1 && keys[0] === '') values = named[''];
    else {
      throw new HektorError('invalid_vector', `${where}: named vectors are not supported; send the vector as an array of ${config.vectors.size} numbers`);
    }
  }
  if (!Array.isArray(values)) {
    throw new HektorError('invalid_vector', `${where}: a vector must be an array of ${config.vectors.size} numbers`);
  }
  checkedLength(values, config, where);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v: unknown = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isFinite(Math.fround(v))) {
      throw new HektorError('invalid_vector', `${where}: element ${i} is ${String(v)}; every element must be a finite float32 number`);
    }
    out[i] = v;
  }
  return prepareOwnedVector(out, config.vectors.distance);
}

/** `values` when it has the collection's dimension; else the invalid_vector error. */
function checkedLength<T extends { length: number }>(values: T, config: CollectionConfig, where: string): T {
  if (values.length !== config.vectors.size) {
    throw new HektorError(
      'invalid_vector',
      `${where}: vector has ${values.length} dimensions but collection "${config.name}" expects ${config.vectors.size}`,
      { expected: config.vectors.size, got: values.length },
    );
  }
  return values;
}

/**
 * Normalises a Cosine vector in place (no caller keeps another reference to it: allocating a
 * typed array costs a search about as much as normalising one); other distances keep it as is.
 */
function prepareOwnedVector(vector: Float32Array, distance: Distance): Float32Array {
  return distance === 'Cosine' ? normalizeOwned(vector) : vector;
}

/** Validates a list of ids. */
export function toIds(raw: readonly (number | string)[]): PointId[] {
  return raw.map((id) => parsePointId(id));
}

/** Parses an optional filter (absent or null means none). */
export function toFilter(raw: unknown): Filter | undefined {
  if (raw === undefined || raw === null) return undefined;
  return parseFilter(raw);
}

/** Checks a payload's size and returns it typed. */
export function toPayload(raw: Record<string, unknown> | null | undefined, where: string): Payload | null {
  if (raw === undefined || raw === null) return null;
  const bytes = Buffer.byteLength(JSON.stringify(raw));
  if (bytes > LIMITS.payloadBytesMax) {
    throw new HektorError('payload_too_large', `${where}: payload is ${bytes} bytes; the limit is ${LIMITS.payloadBytesMax}`);
  }
  return raw as Payload;
}

/** The with_payload selector with the endpoint's default. */
export function toSelector(raw: boolean | string[] | { include: string[] } | { exclude: string[] } | null | undefined, fallback: boolean): PayloadSelector {
  if (raw === undefined || raw === null) return fallback;
  if (Array.isArray(raw)) return { include: raw };
  return raw;
}

/** The replication fields of a create-collection request, as validated by the schema. */
export interface RawReplicationConfig {
  replication_factor?: number | null | undefined;
  write_consistency_factor?: number | null | undefined;
  write_consistency?: { mode: WriteConsistency['mode']; min_acks?: number | undefined; timeout_ms?: number | undefined } | null | undefined;
  read_consistency?: ReadConsistency | null | undefined;
}

/** The replication fields of a collection config. */
export type ReplicationConfig = Pick<CollectionConfig, 'replication_factor' | 'write_consistency_factor' | 'write_consistency' | 'read_consistency'>;

/**
 * Checks the replication settings against each other (each is already in range) and returns them
 * for the collection config. A combination that can never acknowledge a write is refused with
 * invalid_config, so that the mistake shows at creation instead of on every write. Whether the
 * cluster has `replication_factor` live nodes is checked by the controller when it places shards.
 */
export function toReplicationConfig(raw: RawReplicationConfig): ReplicationConfig {
  const replicationFactor = raw.replication_factor ?? 1;
  const factor = raw.write_consistency_factor ?? 1;
  if (factor > replicationFactor) {
    throw new HektorError(
      'invalid_config',
      `write_consistency_factor ${factor} exceeds replication_factor ${replicationFactor}: a write cannot be acknowledged by more replicas than its shard has`,
    );
  }
  const out: ReplicationConfig = { replication_factor: replicationFactor, write_consistency_factor: factor };
  const wc = raw.write_consistency;
  if (wc !== undefined && wc !== null) {
    if (wc.mode !== 'async' && replicationFactor < 2) {
      throw new HektorError('invalid_config', `write_consistency mode ${wc.mode} needs replication_factor >= 2 (it waits for followers); use mode async or raise replication_factor`);
    }
    if (wc.min_acks !== undefined && wc.mode !== 'semi_sync') {
      throw new HektorError('invalid_config', `write_consistency.min_acks applies only to mode semi_sync, not ${wc.mode}; remove it`);
    }
    if (wc.min_acks !== undefined && wc.min_acks > replicationFactor - 1) {
      throw new HektorError(
        'invalid_config',
        `write_consistency.min_acks ${wc.min_acks} must be at most replication_factor - 1 = ${replicationFactor - 1} (the followers of each shard)`,
      );
    }
    out.write_consistency = {
      mode: wc.mode,
      ...(wc.min_acks === undefined ? {} : { min_acks: wc.min_acks }),
      ...(wc.timeout_ms === undefined ? {} : { timeout_ms: wc.timeout_ms }),
    };
  }
  if (raw.read_consistency !== undefined && raw.read_consistency !== null) out.read_consistency = raw.read_consistency;
  return out;
}
