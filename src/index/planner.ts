/**
 * The search planner: per query, picks between a graph search, an exact scan over payload-index
 * candidates, and an exact filtered scan, and guarantees that a filtered search never returns
 * fewer than k hits when k points match.
 *
 * Why: a graph walk with a selective filter visits most of the graph and calls the filter from
 * native code at every node (hnswlib: 1% selectivity is ~90× slower than no filter), while an
 * exact scan over a few thousand candidates costs a few hundred microseconds. And a graph walk
 * can miss matches that are not reachable through other matches; the exact fallback closes that.
 */

import { LIMITS } from '../base/limits.js';
import { assert } from '../base/assert.js';
import { HNSW_EF_SEARCH_DEFAULT, HnswIndex } from './hnsw-index.js';
import type { SlotHit } from './types.js';
import type { VectorIndex } from './vector-index.js';

/** Candidate sets up to this size are always searched exactly. */
export const PLANNER_CANDIDATES_MIN = 2000;
/** ...and so are candidate sets up to this fraction of the live points. */
export const PLANNER_CANDIDATES_FRACTION = 0.05;
/**
 * Collections whose whole scan costs at most this many multiply-adds (points × dimension) are
 * always scanned exactly: at ~0.4 G multiply-adds/s in JS that is ~0.3 ms, about one graph
 * search at ef 128, and the answer is exact.
 */
export const PLANNER_EXACT_SCAN_MULTIPLY_ADDS_MAX = 131_072;
/** Largest factor by which a low estimated selectivity widens the beam. */
export const PLANNER_EF_BOOST_MAX = 4;

/** How a search was answered (for metrics and tests). */
export type SearchPath =
  /** Exact scan of every live point (requested, or a small collection). */
  | 'exact'
  /** Exact scan over payload-index candidates. */
  | 'candidates'
  /** Exact scan of every live point with the filter, because few points match. */
  | 'exact_filtered'
  /** Graph search (with the filter as a callback when there is one). */
  | 'hnsw'
  /** Graph search returned fewer than k, so an exact filtered scan answered instead. */
  | 'hnsw_fallback_exact';

/** Inputs of one planned search. */
export interface SearchPlanInput {
  /** The vector index of the shard. */
  index: VectorIndex;
  /** The query vector. */
  query: Float32Array;
  /** Hits wanted (limit + offset). */
  k: number;
  /** Per-query beam width; the index default when absent. */
  ef?: number;
  /** Force an exact answer. */
  exact?: boolean;
  /** The compiled filter over slots; absent when the search has no filter. */
  accept?: (slot: number) => boolean;
  /** Payload-index candidates: a superset of the slots that pass `accept`. */
  candidates?: ReadonlySet<number>;
  /** Upper bound on the points that pass `accept`, from PayloadIndexes.estimate. */
  estimatedMatches?: number;
}

/** The answer of a planned search. */
export interface SearchPlanResult {
  /** Up to k hits, best first, ties by lower slot. */
  hits: SlotHit[];
  /** Which path answered. */
  path: SearchPath;
  /** The beam width of the graph search, when one ran. */
  ef?: number;
}

/** Largest candidate set that the planner scans exactly, for a shard with `liveCount` points. */
export function exactCandidatesMax(liveCount: number): number {
  return Math.max(PLANNER_CANDIDATES_MIN, Math.floor(PLANNER_CANDIDATES_FRACTION * liveCount));
}

/** Runs one search by the cheapest path that keeps the planner's guarantees (see the module comment). */
export function planSearch(input: SearchPlanInput): SearchPlanResult {
  const { index, query, k, accept } = input;
  assert(Number.isSafeInteger(k) && k >= 0, `k must be a non-negative integer, got ${k}`);
  const count = index.count;
  const exactOptions = accept === undefined ? { exact: true } : { exact: true, accept };
  if (k === 0 || count === 0) return { hits: [], path: 'exact' };
  if (input.exact === true || count * index.dim <= PLANNER_EXACT_SCAN_MULTIPLY_ADDS_MAX) {
    return { hits: index.search(query, k, exactOptions), path: 'exact' };
  }

  const exactMax = exactCandidatesMax(count);
  if (input.candidates !== undefined && input.candidates.size <= exactMax) {
    const allowed = accept === undefined ? input.candidates : [...input.candidates].filter(accept);
    return { hits: index.searchAmong(query, allowed, k), path: 'candidates' };
  }
  const estimate = input.estimatedMatches;
  if (accept !== undefined && estimate !== undefined && estimate <= exactMax) {
    return { hits: index.search(query, k, exactOptions), path: 'exact_filtered' };
  }

  const ef = graphEf(input, count);
  const hits = index.search(query, k, accept === undefined ? { ef } : { ef, accept });
  // Fewer hits than wanted: either fewer points match (the estimate proves it when it is at
  // most the hits found), or the graph walk missed some, and an exact scan must answer.
  const enough = hits.length >= Math.min(k, count) || (estimate !== undefined && hits.length >= estimate);
  if (enough) return { hits, path: 'hnsw', ef };
  return { hits: index.search(query, k, exactOptions), path: 'hnsw_fallback_exact', ef };
}

/**
 * The beam width of a graph search: max(ef, k), widened by up to PLANNER_EF_BOOST_MAX× (1/√s)
 * when the estimated selectivity s is low, since a filtered walk must pass more nodes per match.
 */
function graphEf(input: SearchPlanInput, count: number): number {
  const base = input.ef ?? (input.index instanceof HnswIndex ? input.index.efSearchDefault : HNSW_EF_SEARCH_DEFAULT);
  let ef = Math.max(base, input.k);
  const estimate = input.estimatedMatches;
  if (input.accept !== undefined && estimate !== undefined && estimate < count) {
    const selectivity = Math.max(estimate, 1) / count;
    ef = Math.ceil(ef * Math.min(PLANNER_EF_BOOST_MAX, 1 / Math.sqrt(selectivity)));
  }
  return Math.min(Math.max(ef, input.k), Math.max(LIMITS.hnswEfMax, input.k));
}
