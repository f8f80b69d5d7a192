/**
 * A flat float32 arena of vectors addressed by slot, with a live map: the exact index's storage
 * (the HNSW index keeps its vectors in the native graph alone). It serves `vector(slot)`,
 * `searchAmong` and the exact scan. Vectors of a slot live at `slot * dim`, so a scan walks
 * memory in order.
 */

import { assert } from '../base/assert.js';
import { arenaScorer, higherIsBetter, normalizeInto, type ArenaScorer } from './distance.js';
import { SlotSet } from './slot-set.js';
import { TopK } from './top-k.js';
import type { Distance, SlotHit } from './types.js';

/** Largest slot number an index accepts (slots are uint32 labels in the native library). */
export const SLOT_MAX = 0xffff_fffe;

/** Slots allocated on the first insert; the arena doubles from there. */
const INITIAL_CAPACITY_SLOTS = 64;

/** Throws on a slot that is not a uint32 within SLOT_MAX: slots come from the shard, not users. */
export function assertSlot(slot: number): void {
  assert(Number.isInteger(slot) && slot >= 0 && slot <= SLOT_MAX, () => `slot must be an integer in 0..${SLOT_MAX}, got ${slot}`);
}

/** Flat vector storage by slot with a live map and exact scans. */
export class VectorArena {
  /** Vectors, `dim` floats per slot; slots past `capacitySlots` do not exist yet. */
  private data: Float32Array;
  /** 1 when the slot holds a live vector. */
  private live: Uint8Array;
  private liveCount = 0;
  /** One past the highest slot ever made live: scans stop here. */
  private scanEndSlot = 0;
  private readonly scorer: ArenaScorer;
  private readonly normalizes: boolean;

  /** An empty arena for vectors of `dim` floats under `distance`. */
  constructor(
    readonly dim: number,
    readonly distance: Distance,
    initialCapacitySlots = 0,
  ) {
    assert(Number.isSafeInteger(dim) && dim > 0, `dimension must be a positive integer, got ${dim}`);
    assert(Number.isSafeInteger(initialCapacitySlots) && initialCapacitySlots >= 0, 'initial capacity must be a non-negative integer');
    this.data = new Float32Array(initialCapacitySlots * dim);
    this.live = new Uint8Array(initialCapacitySlots);
    this.scorer = arenaScorer(distance);
    this.normalizes = distance === 'Cosine';
  }

  /** Number of live vectors. */
  get count(): number {
    return this.liveCount;
  }

  /** Slots the arena can hold without growing. */
  get capacitySlots(): number {
    return this.live.length;
  }

  /** One past the highest slot that was ever live (an upper bound for iteration). */
  get slotEnd(): number {
    return this.scanEndSlot;
  }

  /** Stores `vector` at `slot` (normalised for Cosine); returns true if the slot was already live. */
  set(slot: number, vector: Float32Array): boolean {
    assertSlot(slot);
    assert(vector.length === this.dim, () => `vector has ${vector.length} values, the index expects ${this.dim}`);
    if (slot >= this.live.length) this.grow(slot + 1);
    const offset = slot * this.dim;
    if (this.normalizes) normalizeInto(vector, this.data, offset);
    else this.data.set(vector, offset);
    const wasLive = this.live[slot] === 1;
    if (!wasLive) {
      this.live[slot] = 1;
      this.liveCount++;
      if (slot >= this.scanEndSlot) this.scanEndSlot = slot + 1;
    }
    return wasLive;
  }

  /** Marks `slot` dead; returns true if it was live. The floats stay until the slot is reused. */
  delete(slot: number): boolean {
    if (!this.has(slot)) return false;
    this.live[slot] = 0;
    this.liveCount--;
    assert(this.liveCount >= 0, 'live count went negative');
    return true;
  }

  /** True if `slot` holds a live vector. */
  has(slot: number): boolean {
    return Number.isInteger(slot) && slot >= 0 && this.live[slot] === 1;
  }

  /** A read-only view of the vector at `slot`, or undefined if the slot is not live. */
  view(slot: number): Float32Array | undefined {
    if (!this.has(slot)) return undefined;
    const offset = slot * this.dim;
    return this.data.subarray(offset, offset + this.dim);
  }

  /** The user-facing score of the live vector at `slot` against a prepared query. */
  scoreSlot(slot: number, query: Float32Array): number {
    assert(this.has(slot), () => `slot ${slot} is not live`);
    return this.scorer(this.data, slot * this.dim, query);
  }

  /**
   * Prepares a query for scoring: checks its length and normalises it for Cosine (a copy), so that
   * the dot product against stored unit vectors is the cosine similarity.
   */
  prepareQuery(query: Float32Array): Float32Array {
    assert(query.length === this.dim, () => `query has ${query.length} values, the index expects ${this.dim}`);
    if (!this.normalizes) return query;
    const out = new Float32Array(this.dim);
    normalizeInto(query, out, 0);
    return out;
  }

  /**
   * Exact top-`k` over every live slot that `accept` allows. The predicate runs before the
   * distance so a selective filter skips most of the arithmetic.
   */
  scan(preparedQuery: Float32Array, k: number, accept?: (slot: number) => boolean): SlotHit[] {
    const top = new TopK(Math.min(k, this.liveCount), higherIsBetter(this.distance));
    if (top.k === 0) return [];
    const { data, live, dim, scorer } = this;
    const end = this.scanEndSlot;
    for (let slot = 0, offset = 0; slot < end; slot++, offset += dim) {
      if (live[slot] !== 1) continue;
      if (accept !== undefined && !accept(slot)) continue;
      top.offer(slot, scorer(data, offset, preparedQuery));
    }
    return top.drain();
  }

  /**
   * Exact top-`k` over the given slots that `accept` (when given) allows; dead or unknown slots are
   * skipped, duplicates counted once. A Set or a SlotSet is iterated as is (no copy).
   */
  scanAmong(preparedQuery: Float32Array, slots: Iterable<number>, k: number, accept?: (slot: number) => boolean): SlotHit[] {
    const unique = slots instanceof Set || slots instanceof SlotSet ? (slots as Set<number> | SlotSet) : new Set(slots);
    const top = new TopK(Math.min(k, unique.size, this.liveCount), higherIsBetter(this.distance));
    if (top.k === 0) return [];
    const { data, dim, scorer } = this;
    if (unique instanceof SlotSet) {
      // Ascending slots: the arena is read front to back.
      unique.forEach((slot) => {
        if (!this.has(slot) || (accept !== undefined && !accept(slot))) return;
        top.offer(slot, scorer(data, slot * dim, preparedQuery));
      });
      return top.drain();
    }
    for (const slot of unique) {
      if (!this.has(slot)) continue;
      if (accept !== undefined && !accept(slot)) continue;
      top.offer(slot, scorer(data, slot * dim, preparedQuery));
    }
    return top.drain();
  }

  /** Raw state for persistence: the live map and the vectors up to `slotEnd`. */
  exportState(): { live: Uint8Array; vectors: Float32Array } {
    return {
      live: this.live.subarray(0, this.scanEndSlot),
      vectors: this.data.subarray(0, this.scanEndSlot * this.dim),
    };
  }

  /** Replaces the contents with a state made by `exportState` (vectors are taken as stored). */
  importState(live: Uint8Array, vectors: Float32Array): void {
    assert(vectors.length === live.length * this.dim, 'arena state: vector count does not match the live map');
    this.live = new Uint8Array(Math.max(live.length, INITIAL_CAPACITY_SLOTS));
    this.live.set(live);
    this.data = new Float32Array(this.live.length * this.dim);
    this.data.set(vectors);
    this.liveCount = 0;
    this.scanEndSlot = 0;
    for (let slot = 0; slot < live.length; slot++) {
      if (live[slot] === 1) {
        this.liveCount++;
        this.scanEndSlot = slot + 1;
      } else {
        assert(live[slot] === 0, 'arena state: live map holds a value other than 0 or 1');
      }
    }
  }

  /** Grows capacity to at least `slotsMin` by doubling, copying the old contents. */
  private grow(slotsMin: number): void {
    let capacity = Math.max(this.live.length, INITIAL_CAPACITY_SLOTS);
    while (capacity < slotsMin) capacity *= 2;
    capacity = Math.min(capacity, SLOT_MAX + 1);
    const data = new Float32Array(capacity * this.dim);
    data.set(this.data);
    const live = new Uint8Array(capacity);
    live.set(this.live);
    this.data = data;
    this.live = live;
  }
}
