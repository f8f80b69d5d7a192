/**
 * The operations of a shard's log. Every write to a shard becomes one of these, with filters
 * already resolved to ids, so that applying the same log on any replica yields the same state
 * (the log that replication ships, DESIGN.md §4).
 */

import type { PointId } from '../base/ids.js';
import type { Payload } from '../index/types.js';

/** A point as written by an upsert; `vector` is already validated and, for Cosine, normalised. */
export interface PointWrite {
  id: PointId;
  vector: Float32Array;
  payload: Payload | null;
}

/** One logged shard operation. */
export type ShardOp =
  | { type: 'upsert'; points: PointWrite[] }
  | { type: 'delete'; ids: PointId[] }
  | { type: 'set_payload'; ids: PointId[]; payload: Payload; key?: string }
  | { type: 'overwrite_payload'; ids: PointId[]; payload: Payload }
  | { type: 'delete_payload'; ids: PointId[]; keys: string[] }
  | { type: 'clear_payload'; ids: PointId[] }
  /**
   * Changes nothing. A replicated shard's new primary logs one at the start of its epoch, so a
   * follower holding entries the new primary lacks meets a conflicting entry at once and
   * truncates them (Raft's leader no-op).
   */
  | { type: 'noop' };

/** A log entry: the operation with its sequence number and the primary epoch that wrote it. */
export interface LogEntry {
  seq: number;
  epoch: number;
  op: ShardOp;
}
