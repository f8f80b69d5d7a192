/**
 * Point ids: an unsigned 64-bit integer or a UUID. In JSON an integer id must lie within the range
 * that JavaScript numbers represent exactly (0 .. 2^53-1); a larger number would already have been
 * rounded by the JSON parser, so it is refused instead of silently changed. UUIDs are kept in
 * canonical lowercase hyphenated form.
 *
 * Storage keys encode ids so that byte order equals id order: every integer id sorts before every
 * UUID, integers by value, UUIDs by their bytes (the order Qdrant's scroll uses).
 */

import { HektorError } from './errors.js';

/** A point id as the API and the engine see it. */
export type PointId = number | string;

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID_BRACED_RE = /^\{([0-9a-f-]{32,36})\}$/i;

/** Validates and canonicalises a point id, or throws invalid_point_id. */
export function parsePointId(raw: unknown): PointId {
  if (typeof raw === 'number') {
    if (Number.isSafeInteger(raw) && raw >= 0) return raw;
    throw new HektorError(
      'invalid_point_id',
      `point id ${String(raw)} is not an unsigned integer within 0..${Number.MAX_SAFE_INTEGER}; use a smaller integer or a UUID string`,
    );
  }
  if (typeof raw === 'string') {
    const braced = UUID_BRACED_RE.exec(raw);
    const text = braced?.[1] ?? raw;
    if (UUID_RE.test(text)) {
      const hex = text.replace(/-/g, '').toLowerCase();
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    throw new HektorError('invalid_point_id', `point id "${raw.slice(0, 64)}" is not a UUID; string ids must be UUIDs, integer ids must be JSON numbers`);
  }
  throw new HektorError('invalid_point_id', `point id must be an unsigned integer or a UUID string, got ${raw === null ? 'null' : typeof raw}`);
}

/** Encodes an id as an order-preserving storage key. */
export function encodePointKey(id: PointId): Buffer {
  if (typeof id === 'number') {
    const key = Buffer.alloc(9);
    key[0] = 0;
    key.writeBigUInt64BE(BigInt(id), 1);
    return key;
  }
  const key = Buffer.alloc(17);
  key[0] = 1;
  Buffer.from(id.replace(/-/g, ''), 'hex').copy(key, 1);
  return key;
}

/** Decodes a storage key made by encodePointKey. */
export function decodePointKey(key: Uint8Array): PointId {
  const buf = Buffer.from(key.buffer, key.byteOffset, key.length);
  if (buf[0] === 0 && buf.length === 9) return Number(buf.readBigUInt64BE(1));
  const hex = buf.subarray(1, 17).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Total order on ids matching the storage key order: integers first, then UUIDs. */
export function comparePointIds(a: PointId, b: PointId): number {
  if (typeof a === 'number') {
    if (typeof b === 'number') return a - b;
    return -1;
  }
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A string form of an id that distinguishes 5 from "5", for use as a Map key. */
export function pointIdKey(id: PointId): string {
  return typeof id === 'number' ? `n${id}` : `u${id}`;
}
