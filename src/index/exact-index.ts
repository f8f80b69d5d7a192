/**
 * ExactIndex: brute-force search over a flat arena. It is the reference every approximate index is
 * measured against, and the right index for small collections, where a scan is as fast as a graph
 * walk and always exact.
 */

import { assert } from '../base/assert.js';
import { VectorArena } from './arena.js';
import type { Distance, SlotHit } from './types.js';
import { combinedAccept, type IndexSearchOptions, type VectorIndex } from './vector-index.js';

/** Options of an ExactIndex. */
export interface ExactIndexOptions {
  /** Vector dimension. */
  dim: number;
  /** Distance function. */
  distance: Distance;
  /** Slots to allocate up front (the arena doubles past it). */
  initialCapacity?: number;
}

/** A VectorIndex that answers every search with an exact scan. */
export class ExactIndex implements VectorIndex {
  /** Vector dimension. */
  readonly dim: number;
  /** Distance function. */
  readonly distance: Distance;
  private readonly arena: VectorArena;
  private closed = false;

  /** An empty exact index. */
  constructor(options: ExactIndexOptions) {
    this.dim = options.dim;
    this.distance = options.distance;
    this.arena = new VectorArena(options.dim, options.distance, options.initialCapacity ?? 0);
  }

  /** Number of live vectors. */
  get count(): number {
    return this.arena.count;
  }

  /** One past the highest slot ever stored: live slots lie below it (the planner samples them). */
  get slotEnd(): number {
    return this.arena.slotEnd;
  }

  /** Inserts or replaces the vector at `slot`. */
  upsert(slot: number, vector: Float32Array): void {
    this.assertOpen();
    this.arena.set(slot, vector);
  }

  /** Removes the vector at `slot` (no-op if absent). */
  remove(slot: number): void {
    this.assertOpen();
    this.arena.delete(slot);
  }

  /** True if `slot` holds a live vector. */
  has(slot: number): boolean {
    return this.arena.has(slot);
  }

  /** The stored vector at `slot` (a view; normalised for Cosine), or undefined. */
  vector(slot: number): Float32Array | undefined {
    return this.arena.view(slot);
  }

  /** Exact top-`k` over live slots allowed by `options` (`ef` and `exact` do not matter here). */
  search(query: Float32Array, k: number, options?: IndexSearchOptions): SlotHit[] {
    this.assertOpen();
    assertK(k);
    return this.arena.scan(this.arena.prepareQuery(query), k, combinedAccept(options));
  }

  /** Exact top-`k` over the given candidate slots that `accept` (when given) allows. */
  searchAmong(query: Float32Array, slots: Iterable<number>, k: number, accept?: (slot: number) => boolean): SlotHit[] {
    this.assertOpen();
    assertK(k);
    return this.arena.scanAmong(this.arena.prepareQuery(query), slots, k, accept);
  }

  /** Marks the index unusable (there is no native memory to free). */
  close(): void {
    this.closed = true;
  }

  private assertOpen(): void {
    assert(!this.closed, 'the index is closed');
  }
}

/** Checks a search's `k`: the API edge bounds it, so a bad value here is a bug. */
export function assertK(k: number): void {
  assert(Number.isSafeInteger(k) && k >= 0, `k must be a non-negative integer, got ${k}`);
}
