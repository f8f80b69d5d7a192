/**
 * Distance arithmetic shared by every index: normalisation, the user-facing score of each distance
 * and the order of hits. Scores are computed in float64 (JS numbers) over float32 inputs, so the
 * exact scan and the rescoring of HNSW results give bit-identical scores for the same pair.
 */

import { unreachable } from '../base/assert.js';
import type { Distance, SlotHit } from './types.js';

/** A copy of `v` scaled to unit L2 length; the zero vector stays zero. */
export function normalize(v: Float32Array): Float32Array {
  const out = new Float32Array(v.length);
  normalizeInto(v, out, 0);
  return out;
}

/**
 * The vector `normalizeOwned` scaled last. One slot, not a set: the query a request normalises
 * reaches its index before the next request's does, and a WeakSet of every query costs more
 * (its table is rehashed as it fills between collections) than the copy it saves.
 */
let lastOwned: Float32Array | undefined;

/**
 * Scales `v` to unit L2 length in place and remembers it, so that an index given it as a query
 * next uses it as it is instead of normalising a copy (a typed array allocation per search).
 * Only for a vector that its owner no longer writes to.
 */
export function normalizeOwned(v: Float32Array): Float32Array {
  normalizeInto(v, v, 0);
  lastOwned = v;
  return v;
}

/** True when `v` is the vector `normalizeOwned` normalised last (so already of unit length). */
export function isNormalized(v: Float32Array): boolean {
  return v === lastOwned;
}

/** Writes `v` scaled to unit L2 length into `out` at `offset`; the zero vector stays zero. */
export function normalizeInto(v: Float32Array, out: Float32Array, offset: number): void {
  let sumSquares = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] ?? 0;
    sumSquares += x * x;
  }
  const scale = sumSquares > 0 ? 1 / Math.sqrt(sumSquares) : 0;
  for (let i = 0; i < v.length; i++) out[offset + i] = (v[i] ?? 0) * scale;
}

/** Dot product of `query` with the vector stored at `offset` in `arena` (4-way unrolled). */
export function dotAt(arena: Float32Array, offset: number, query: Float32Array): number {
  const dim = query.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const end4 = dim - (dim % 4);
  // The `?? 0` keeps noUncheckedIndexedAccess honest; V8 folds it away for in-bounds reads.
  for (; i < end4; i += 4) {
    const o = offset + i;
    s0 += (arena[o] ?? 0) * (query[i] ?? 0);
    s1 += (arena[o + 1] ?? 0) * (query[i + 1] ?? 0);
    s2 += (arena[o + 2] ?? 0) * (query[i + 2] ?? 0);
    s3 += (arena[o + 3] ?? 0) * (query[i + 3] ?? 0);
  }
  for (; i < dim; i++) s0 += (arena[offset + i] ?? 0) * (query[i] ?? 0);
  return s0 + s1 + (s2 + s3);
}

/** Squared Euclidean distance between `query` and the vector at `offset` in `arena` (4-way unrolled). */
export function squaredEuclidAt(arena: Float32Array, offset: number, query: Float32Array): number {
  const dim = query.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const end4 = dim - (dim % 4);
  for (; i < end4; i += 4) {
    const o = offset + i;
    const d0 = (arena[o] ?? 0) - (query[i] ?? 0);
    const d1 = (arena[o + 1] ?? 0) - (query[i + 1] ?? 0);
    const d2 = (arena[o + 2] ?? 0) - (query[i + 2] ?? 0);
    const d3 = (arena[o + 3] ?? 0) - (query[i + 3] ?? 0);
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i < dim; i++) {
    const d = (arena[offset + i] ?? 0) - (query[i] ?? 0);
    s0 += d * d;
  }
  return s0 + s1 + (s2 + s3);
}

/** A scorer over an arena: the user-facing score of the vector at `offset` against `query`. */
export type ArenaScorer = (arena: Float32Array, offset: number, query: Float32Array) => number;

function euclidAt(arena: Float32Array, offset: number, query: Float32Array): number {
  return Math.sqrt(squaredEuclidAt(arena, offset, query));
}

/**
 * The arena scorer of a distance. Cosine is a plain dot product because both sides are already
 * normalised (stored vectors on upsert, the query at the start of each search).
 */
export function arenaScorer(distance: Distance): ArenaScorer {
  switch (distance) {
    case 'Cosine':
    case 'Dot':
      return dotAt;
    case 'Euclid':
      return euclidAt;
    default:
      return unreachable(distance, 'unknown distance');
  }
}

/**
 * The user-facing score of `a` against `b`: cosine similarity (normalising both), dot product, or
 * Euclidean distance (not squared).
 */
export function score(distance: Distance, a: Float32Array, b: Float32Array): number {
  switch (distance) {
    case 'Cosine':
      return dotAt(normalize(a), 0, normalize(b));
    case 'Dot':
      return dotAt(a, 0, b);
    case 'Euclid':
      return euclidAt(a, 0, b);
    default:
      return unreachable(distance, 'unknown distance');
  }
}

/** True when a higher score is a better match (Cosine, Dot); false for Euclid. */
export function higherIsBetter(distance: Distance): boolean {
  return distance !== 'Euclid';
}

/** True when score `a` is strictly better than score `b` under `distance`. */
export function isBetter(distance: Distance, a: number, b: number): boolean {
  return higherIsBetter(distance) ? a > b : a < b;
}

/** Comparator of scores: negative when `a` is better, positive when `b` is better, 0 when equal. */
export function compareScores(distance: Distance, a: number, b: number): number {
  if (a === b) return 0;
  return isBetter(distance, a, b) ? -1 : 1;
}

/** Comparator of hits: better score first, ties by lower slot (the order every search returns). */
export function compareHits(distance: Distance, a: SlotHit, b: SlotHit): number {
  return compareScores(distance, a.score, b.score) || a.slot - b.slot;
}

/** `compareHits` bound to one distance, for `Array.prototype.sort`. */
export function hitComparator(distance: Distance): (a: SlotHit, b: SlotHit) => number {
  return (a, b) => compareHits(distance, a, b);
}
