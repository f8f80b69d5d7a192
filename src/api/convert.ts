/**
 * Conversion of validated request fields into engine values, with the engine's error codes:
 * vectors (size, finiteness, Cosine normalisation), ids, filters, payloads and selectors.
 */

import { HektorError } from '../base/errors.js';
import { parsePointId, type PointId } from '../base/ids.js';
import { LIMITS } from '../base/limits.js';
import { normalize } from '../index/distance.js';
import { parseFilter } from '../index/filter.js';
import type { Distance, Filter, Payload } from '../index/types.js';
import type { CollectionConfig } from '../shard/collection.js';
import type { PayloadSelector } from '../shard/payload.js';

/** Validates a vector for a collection and returns it as float32 (normalised for Cosine). */
export function toVector(raw: unknown, config: CollectionConfig, where: string): Float32Array {
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
  if (values.length !== config.vectors.size) {
    throw new HektorError(
      'invalid_vector',
      `${where}: vector has ${values.length} dimensions but collection "${config.name}" expects ${config.vectors.size}`,
      { expected: config.vectors.size, got: values.length },
    );
  }
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v: unknown = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isFinite(Math.fround(v))) {
      throw new HektorError('invalid_vector', `${where}: element ${i} is ${String(v)}; every element must be a finite float32 number`);
    }
    out[i] = v;
  }
  return prepareVector(out, config.vectors.distance);
}

/** Normalises a Cosine vector; other distances keep it as is. */
export function prepareVector(vector: Float32Array, distance: Distance): Float32Array {
  return distance === 'Cosine' ? normalize(vector) : vector;
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
