/**
 * Hash routing: which shard of a collection owns a point id. Pure and stable across processes
 * and versions, because every node (and every future node) must route a key the same way.
 */

import { createHash } from 'node:crypto';
import type { PointId } from '../base/ids.js';

/** A stable 32-bit hash of a point id (first four bytes of its SHA-1 over a typed encoding). */
export function hashPointId(id: PointId): number {
  const text = typeof id === 'number' ? `n:${id}` : `u:${id}`;
  return createHash('sha1').update(text).digest().readUInt32BE(0);
}

/** The shard (0-based) of `id` among `shardCount` shards. */
export function shardOf(id: PointId, shardCount: number): number {
  return shardCount === 1 ? 0 : hashPointId(id) % shardCount;
}
