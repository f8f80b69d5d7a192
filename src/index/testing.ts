/**
 * Test support for the index layer: seeded synthetic datasets and a brute-force reference search
 * that shares no code path with the indexes except the scoring arithmetic. Used by the
 * conformance suite here and available to the shard's tests.
 */

import { SeededRandom } from '../base/prng.js';
import { hitComparator, score } from './distance.js';
import type { Distance, SlotHit } from './types.js';

/** `n` vectors of `dim` floats around `clusters` Gaussian centres (spread is the noise's std dev). */
export function clusteredVectors(seed: number, n: number, dim: number, clusters: number, spread = 0.3): Float32Array[] {
  const rng = new SeededRandom(seed);
  const centres: Float32Array[] = [];
  for (let c = 0; c < clusters; c++) {
    const centre = new Float32Array(dim);
    for (let i = 0; i < dim; i++) centre[i] = rng.gaussian();
    centres.push(centre);
  }
  const out: Float32Array[] = [];
  for (let p = 0; p < n; p++) {
    const centre = centres[rng.int(clusters)] ?? new Float32Array(dim);
    const v = new Float32Array(dim);
    for (let i = 0; i < dim; i++) v[i] = (centre[i] ?? 0) + spread * rng.gaussian();
    out.push(v);
  }
  return out;
}

/** The exact top-`k` of `query` among `(slot, vector)` pairs that `accept` allows, best first, ties by slot. */
export function bruteForceTopK(
  distance: Distance,
  points: Iterable<[number, Float32Array]>,
  query: Float32Array,
  k: number,
  accept?: (slot: number) => boolean,
): SlotHit[] {
  const hits: SlotHit[] = [];
  for (const [slot, vector] of points) {
    if (accept !== undefined && !accept(slot)) continue;
    hits.push({ slot, score: score(distance, vector, query) });
  }
  hits.sort(hitComparator(distance));
  return hits.slice(0, k);
}

/** Fraction of the reference slots found in `got` (1 when the reference is empty). */
export function recallOf(got: readonly SlotHit[], reference: readonly SlotHit[]): number {
  if (reference.length === 0) return 1;
  const found = new Set(got.map((h) => h.slot));
  let hit = 0;
  for (const r of reference) if (found.has(r.slot)) hit++;
  return hit / reference.length;
}
