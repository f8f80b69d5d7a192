/**
 * A bounded selection heap for top-k search: it keeps at most k hits and costs O(log k) per offer,
 * so a scan over n points is O(n log k) instead of a full sort. Internally every score is turned
 * into a "higher is better" key so one heap serves all distances; ties prefer the lower slot,
 * which makes results deterministic across implementations.
 */

import { assert } from '../base/assert.js';
import type { SlotHit } from './types.js';

/** Keeps the k best (key, slot) pairs offered; the root is the worst kept pair. */
export class TopK {
  private readonly keys: Float64Array;
  private readonly slots: Uint32Array;
  private sizeCount = 0;
  private readonly sign: number;

  /** A heap for `k` hits; `higherBetter` says whether higher scores are better. */
  constructor(
    readonly k: number,
    higherBetter: boolean,
  ) {
    assert(Number.isSafeInteger(k) && k >= 0, `top-k size must be a non-negative integer, got ${k}`);
    this.keys = new Float64Array(k);
    this.slots = new Uint32Array(k);
    this.sign = higherBetter ? 1 : -1;
  }

  /** Number of hits kept so far. */
  get size(): number {
    return this.sizeCount;
  }

  /** True once k hits are kept, so later offers must beat the worst one. */
  get full(): boolean {
    return this.sizeCount === this.k;
  }

  /** Offers a hit; it is kept if fewer than k are kept or it beats the worst kept hit. */
  offer(slot: number, score: number): void {
    if (this.k === 0) return;
    const key = score * this.sign;
    if (this.sizeCount < this.k) {
      this.keys[this.sizeCount] = key;
      this.slots[this.sizeCount] = slot;
      this.sizeCount++;
      this.siftUp(this.sizeCount - 1);
      return;
    }
    const rootKey = this.keys[0] ?? 0;
    if (key > rootKey || (key === rootKey && slot < (this.slots[0] ?? 0))) {
      this.keys[0] = key;
      this.slots[0] = slot;
      this.siftDown(0);
    }
  }

  /** The kept hits, best first, ties by lower slot. The heap is emptied. */
  drain(): SlotHit[] {
    const out: SlotHit[] = new Array<SlotHit>(this.sizeCount);
    for (let i = this.sizeCount - 1; i >= 0; i--) {
      const key = this.keys[0] ?? 0;
      const slot = this.slots[0] ?? 0;
      out[i] = { slot, score: key * this.sign };
      this.sizeCount--;
      if (this.sizeCount > 0) {
        this.keys[0] = this.keys[this.sizeCount] ?? 0;
        this.slots[0] = this.slots[this.sizeCount] ?? 0;
        this.siftDown(0);
      }
    }
    // Scores were multiplied by -1 and back for Euclid; -0 would print oddly, so fold it.
    for (const hit of out) if (Object.is(hit.score, -0)) hit.score = 0;
    return out;
  }

  /** True when entry i is worse than entry j (lower key, or equal key and higher slot). */
  private worse(i: number, j: number): boolean {
    const ki = this.keys[i] ?? 0;
    const kj = this.keys[j] ?? 0;
    return ki < kj || (ki === kj && (this.slots[i] ?? 0) > (this.slots[j] ?? 0));
  }

  private swap(i: number, j: number): void {
    const k = this.keys[i] ?? 0;
    this.keys[i] = this.keys[j] ?? 0;
    this.keys[j] = k;
    const s = this.slots[i] ?? 0;
    this.slots[i] = this.slots[j] ?? 0;
    this.slots[j] = s;
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.sizeCount) break;
      const right = left + 1;
      let worst = left;
      if (right < this.sizeCount && this.worse(right, left)) worst = right;
      if (!this.worse(worst, i)) break;
      this.swap(i, worst);
      i = worst;
    }
  }
}
