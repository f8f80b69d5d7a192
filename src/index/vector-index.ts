/**
 * The VectorIndex contract: every implementation (HNSW on a native library, exact scan) answers
 * the same calls and passes the same conformance suite. Points are addressed by dense internal
 * slots that the shard assigns; the index never sees point ids or payloads.
 */

import type { SlotSet } from './slot-set.js';
import type { Distance, SlotHit } from './types.js';

/** Options of one search. */
export interface IndexSearchOptions {
  /** HNSW beam width for this query; ignored by exact indexes. */
  ef?: number;
  /** Force an exact scan even on an approximate index. */
  exact?: boolean;
  /** Only slots for which this returns true may appear in results. */
  accept?: (slot: number) => boolean;
  /**
   * Only slots in this set may appear in results (tested before `accept` when both are given).
   * A graph walk tests it natively, far cheaper than a predicate that calls back into JavaScript.
   */
  acceptSet?: SlotSet;
}

/**
 * The one predicate that `options` imposes (its `acceptSet` and `accept` together), or undefined
 * when it imposes none.
 */
export function combinedAccept(options: IndexSearchOptions | undefined): ((slot: number) => boolean) | undefined {
  const accept = options?.accept;
  const set = options?.acceptSet;
  if (set === undefined) return accept;
  if (accept === undefined) return (slot) => set.has(slot);
  return (slot) => set.has(slot) && accept(slot);
}

/** A nearest-neighbour index over float32 vectors stored by slot. */
export interface VectorIndex {
  /** Vector dimension. */
  readonly dim: number;
  /** Distance function. */
  readonly distance: Distance;
  /** Number of live vectors. */
  readonly count: number;
  /**
   * Inserts or replaces the vector at `slot`. For Cosine the caller passes an already
   * L2-normalised vector. The change is visible to the next search.
   */
  upsert(slot: number, vector: Float32Array): void;
  /** Removes the vector at `slot` (no-op if absent); visible to the next search. */
  remove(slot: number): void;
  /** True if `slot` holds a live vector. */
  has(slot: number): boolean;
  /** The stored vector at `slot` (a view or a copy; do not modify), or undefined. */
  vector(slot: number): Float32Array | undefined;
  /** Up to `k` best hits, best first, ties by lower slot. */
  search(query: Float32Array, k: number, options?: IndexSearchOptions): SlotHit[];
  /**
   * Like `search`, but an index that can search off the JavaScript thread does so (the event loop
   * serves other requests meanwhile). Optional: callers use `search` when it is absent.
   */
  searchAsync?(query: Float32Array, k: number, options?: IndexSearchOptions): Promise<SlotHit[]>;
  /**
   * Exact top-`k` over the given candidate slots only (missing slots, and slots `accept` rejects,
   * are skipped), best first.
   */
  searchAmong(query: Float32Array, slots: Iterable<number>, k: number, accept?: (slot: number) => boolean): SlotHit[];
  /** Releases native memory; the index is unusable afterwards. */
  close(): void;
}
