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
import { SeededRandom } from '../base/prng.js';
import { HNSW_EF_SEARCH_DEFAULT, HnswIndex } from './hnsw-index.js';
import type { Candidates } from './payload-index.js';
import type { SlotHit } from './types.js';
import type { IndexSearchOptions, VectorIndex } from './vector-index.js';

/** Candidate sets up to this size are always searched exactly. */
export const PLANNER_CANDIDATES_MIN = 2000;
/**
 * Above PLANNER_CANDIDATES_MIN, m matching points are searched exactly while m ≤ √(factor · n).
 * Why a square root: an exact scan costs ∝ m, while a filtered graph walk visits about ef/s = ef·n/m
 * nodes, so the two cross where m² ∝ n. The factor is measured (50k × 128-d, Cosine, m=16, ef 128,
 * busy 2-core machine): filtered HNSW 25 / 6.6 / 3.5 / 1.5 ms per query at 1 / 5 / 10 / 20%
 * selectivity against an exact filtered scan of 1.0 / 1.1 / 2.7 / 5.5 ms, so the crossing is near
 * m = 5,000 of n = 50,000 (factor 500): 10% at 50k points, 2.2% at 1M.
 */
export const PLANNER_EXACT_COST_FACTOR = 500;
/**
 * The same crossing for candidates that the payload indexes answer exactly: the exact scan then
 * scores them without evaluating the filter. Its cost per candidate grows with the dimension
 * (scalar JS), faster than the graph walk's (native SIMD), so the factor is this constant divided
 * by the dimension, capped at PLANNER_INDEXED_COST_FACTOR_MAX. Measured (m=16, ef 64 widened by
 * 1/√s, integer index, matches scattered over the slots, busy 2-core machine), exact scan against
 * filtered graph walk per query: 100k × 128-d at 10 / 15 / 20 / 30% selectivity 1.4–5.5 / 2.6–4.9 /
 * 4.2–5.4 / 6.9–11.7 ms against 8.7–12.2 / 5.5–7.5 / 4.3–6.2 / 2.2–3.1 ms (crossing near 20%,
 * m² / n ≈ 4,000); 60k × 784-d at 5 / 10 / 15 / 20% 3.2 / 9.1 / 13.1 / 23.3 ms against 25.6 / 12.1 /
 * 10.1 / 10.9 ms (crossing near 12%, m² / n ≈ 860). Over REST, Fashion-MNIST at 10% cost 6.6 ms of
 * server CPU a query by exact scan against 6.1 ms by the graph before the graph walk tested the
 * candidates' bitset, which makes it cheaper still: the crossing sits lower than the in-process
 * figures say. 256,000 / dim gives 2,000 (14% of 100k) and 326 (7.4% of 60k).
 */
export const PLANNER_INDEXED_COST_DIM_PRODUCT = 256_000;
/** Upper bound of the indexed factor, for small dimensions. */
export const PLANNER_INDEXED_COST_FACTOR_MAX = 8000;
/** Live slots the planner tests with the filter to estimate selectivity when no payload index can. */
export const PLANNER_SAMPLE_SLOTS = 256;
/** Most slot draws per sample (dead slots are redrawn), so sampling a sparse shard stays bounded. */
export const PLANNER_SAMPLE_DRAWS_MAX = 1024;
/**
 * Collections whose whole scan costs at most this many multiply-adds (points × dimension) are
 * always scanned exactly: at ~0.4 G multiply-adds/s in JS that is ~0.3 ms, about one graph
 * search at ef 128, and the answer is exact.
 */
export const PLANNER_EXACT_SCAN_MULTIPLY_ADDS_MAX = 131_072;
/** Largest factor by which a low estimated selectivity widens the beam. */
export const PLANNER_EF_BOOST_MAX = 4;
/**
 * A filtered graph walk's beam is widened by (1/s)^exponent for selectivity s. hnswlib's filtered
 * walk already passes through rejected nodes until it holds ef accepted ones, so its recall at a
 * given ef is at least the unfiltered one and the widening only buys a margin. Measured
 * (in-process, 100k × 128-d clustered, filter uncorrelated with the vectors, 300 queries), recall@10
 * and µs per query at 10% selectivity for exponents 0 / 0.25 / 0.5: ef 16 0.990 / 0.995 / 0.998
 * in 461 / 752 / 1,283 µs (unfiltered recall at ef 16: 0.974); ef 64 0.999 / 1.000 / 1.000 in
 * 1,584 / 2,755 / 4,858 µs; at 20% and above every exponent gave ≥ 0.998. Over REST on
 * Fashion-MNIST at 10%, ef 64: 6,725 µs of server CPU a query at 0.5, 3,025 at 0.25, 2,560 at 0,
 * recall 1.000 / 0.9998 / 0.9997. The fourth root keeps most of the margin at half the cost.
 */
export const PLANNER_EF_BOOST_EXPONENT = 0.25;

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
  /**
   * Payload-index candidates: a superset of the slots that pass `accept`, or exactly those slots
   * when `exact` (the candidates path then scores them without evaluating the filter).
   */
  candidates?: Candidates;
  /** Upper bound on the points that pass `accept`, from PayloadIndexes.estimate. */
  estimatedMatches?: number;
}

/** The answer of a planned search. */
export interface SearchPlanResult {
  /** Up to k hits, best first, ties by lower slot. */
  hits: SlotHit[];
  /** Which path answered. */
  path: SearchPath;
  /** The number of matching points the plan assumed (from the payload indexes or a sample). */
  estimatedMatches?: number;
  /** The beam width of the graph search, when one ran. */
  ef?: number;
}

/**
 * Largest candidate set that the planner scans exactly, for a shard with `liveCount` points: for
 * candidates the filter must check, or, given the vectors' `indexedDim`, for candidates the payload
 * indexes answer exactly.
 */
export function exactCandidatesMax(liveCount: number, indexedDim?: number): number {
  const factor =
    indexedDim === undefined ? PLANNER_EXACT_COST_FACTOR : Math.min(PLANNER_INDEXED_COST_FACTOR_MAX, PLANNER_INDEXED_COST_DIM_PRODUCT / indexedDim);
  return Math.max(PLANNER_CANDIDATES_MIN, Math.floor(Math.sqrt(factor * liveCount)));
}

/** An index that can say where its live slots end, so the planner can sample them. */
interface SampleableIndex extends VectorIndex {
  readonly slotEnd: number;
}

function isSampleable(index: VectorIndex): index is SampleableIndex {
  return 'slotEnd' in index && typeof index.slotEnd === 'number';
}

/**
 * Estimates how many live points pass `accept` by testing up to PLANNER_SAMPLE_SLOTS live slots
 * drawn with a fixed seed (deterministic per shard state). Undefined when the index cannot be
 * sampled or no live slot was drawn. An estimate, not a bound: it only steers the plan.
 */
export function sampleMatches(index: VectorIndex, accept: (slot: number) => boolean): number | undefined {
  if (!isSampleable(index) || index.count === 0) return undefined;
  const rng = new SeededRandom(index.slotEnd);
  let sampled = 0;
  let passed = 0;
  for (let draw = 0; draw < PLANNER_SAMPLE_DRAWS_MAX && sampled < PLANNER_SAMPLE_SLOTS; draw++) {
    const slot = rng.int(index.slotEnd);
    if (!index.has(slot)) continue;
    sampled++;
    if (accept(slot)) passed++;
  }
  if (sampled === 0) return undefined;
  return Math.round((passed / sampled) * index.count);
}

/**
 * Runs one search by the cheapest path that keeps the planner's guarantees:
 * 1. k = 0 or no points → nothing; `exact`, or a collection of at most
 *    PLANNER_EXACT_SCAN_MULTIPLY_ADDS_MAX points × dimension → exact scan ('exact').
 * 2. payload-index candidates no larger than exactCandidatesMax → exact scan of the candidates
 *    that pass the filter, or of all of them when the indexes answer the filter exactly
 *    ('candidates'; the larger indexed limit applies then).
 * 3. a filter whose estimated matches (payload-index bound, else a 256-slot sample) are at most
 *    exactCandidatesMax → exact filtered scan ('exact_filtered').
 * 4. otherwise a graph search with ef = max(ef, k), widened for low selectivity, that tests the
 *    candidates' bitset before (or, when exact, instead of) the filter ('hnsw'); if it
 *    returns fewer than min(k, live points) hits and no bound proves that fewer match, an exact
 *    filtered scan answers instead ('hnsw_fallback_exact').
 */
export function planSearch(input: SearchPlanInput): SearchPlanResult {
  const step = choosePath(input);
  if ('done' in step) return step.done;
  return step.finish(input.index.search(input.query, input.k, step.options));
}

/**
 * planSearch with the graph walk (path 4) run by the index's `searchAsync` when it has one, so
 * that a native index walks on a pool thread while the event loop serves other requests. The other
 * paths, and the exact fallback, run synchronously as in planSearch.
 */
export async function planSearchAsync(input: SearchPlanInput): Promise<SearchPlanResult> {
  const step = choosePath(input);
  if ('done' in step) return step.done;
  const { index, query, k } = input;
  const hits = index.searchAsync === undefined ? index.search(query, k, step.options) : await index.searchAsync(query, k, step.options);
  return step.finish(hits);
}

/** A plan either answered at once, or a graph walk to run with `options` and complete with `finish`. */
type PlanStep = { done: SearchPlanResult } | { options: IndexSearchOptions; finish: (hits: SlotHit[]) => SearchPlanResult };

/** Steps 1–3 of planSearch, or the parameters of step 4's graph walk and its completion. */
function choosePath(input: SearchPlanInput): PlanStep {
  const { index, query, k, accept } = input;
  assert(Number.isSafeInteger(k) && k >= 0, `k must be a non-negative integer, got ${k}`);
  const count = index.count;
  const exactOptions = accept === undefined ? { exact: true } : { exact: true, accept };
  if (k === 0 || count === 0) return { done: { hits: [], path: 'exact' } };
  if (input.exact === true || count * index.dim <= PLANNER_EXACT_SCAN_MULTIPLY_ADDS_MAX) {
    return { done: { hits: index.search(query, k, exactOptions), path: 'exact' } };
  }

  const exactMax = exactCandidatesMax(count);
  const candidates = input.candidates;
  if (candidates !== undefined && candidates.slots.size <= (candidates.exact ? exactCandidatesMax(count, index.dim) : exactMax)) {
    return { done: { hits: index.searchAmong(query, candidates.slots, k, candidates.exact ? undefined : accept), path: 'candidates' } };
  }
  // The payload-index estimate and the candidates' size are upper bounds; a sample is only a
  // guess. All steer the plan, only a bound may excuse a short result below.
  const bound = candidates === undefined ? input.estimatedMatches : Math.min(input.estimatedMatches ?? Number.POSITIVE_INFINITY, candidates.slots.size);
  const estimate = accept === undefined ? undefined : (bound ?? sampleMatches(index, accept));
  const withEstimate = estimate === undefined ? {} : { estimatedMatches: estimate };
  if (accept !== undefined && estimate !== undefined && estimate <= exactMax) {
    return { done: { hits: index.search(query, k, exactOptions), path: 'exact_filtered', ...withEstimate } };
  }

  const ef = graphEf(input, count, estimate);
  return {
    options: { ef, ...graphFilter(accept, candidates) },
    finish: (hits) => {
      // Fewer hits than wanted: either fewer points match (the bound proves it when it is at
      // most the hits found), or the graph walk missed some, and an exact scan must answer.
      const enough = hits.length >= Math.min(k, count) || (bound !== undefined && hits.length >= bound);
      if (enough) return { hits, path: 'hnsw', ef, ...withEstimate };
      return { hits: index.search(query, k, exactOptions), path: 'hnsw_fallback_exact', ef, ...withEstimate };
    },
  };
}

/**
 * The filter a graph walk applies at every node it visits: with candidates too many to scan, their
 * bitset answers first (a native bit test) and, when they are exact, alone (the compiled filter
 * reads the point's payload in JavaScript and costs far more; measured 0.9 against 1.5 ms per 50%
 * query even before the bitset was tested natively).
 */
function graphFilter(accept: ((slot: number) => boolean) | undefined, candidates: Candidates | undefined): Pick<IndexSearchOptions, 'accept' | 'acceptSet'> {
  if (accept === undefined) return {};
  if (candidates === undefined) return { accept };
  return candidates.exact ? { acceptSet: candidates.slots } : { acceptSet: candidates.slots, accept };
}

/**
 * The beam width of a graph search: max(ef, k), widened by up to PLANNER_EF_BOOST_MAX×
 * ((1/s)^PLANNER_EF_BOOST_EXPONENT) when the estimated selectivity s is low, a margin for a walk
 * that must pass more nodes per match.
 */
function graphEf(input: SearchPlanInput, count: number, estimate: number | undefined): number {
  const base = input.ef ?? (input.index instanceof HnswIndex ? input.index.efSearchDefault : HNSW_EF_SEARCH_DEFAULT);
  let ef = Math.max(base, input.k);
  if (input.accept !== undefined && estimate !== undefined && estimate < count) {
    const selectivity = Math.max(estimate, 1) / count;
    ef = Math.ceil(ef * Math.min(PLANNER_EF_BOOST_MAX, selectivity ** -PLANNER_EF_BOOST_EXPONENT));
  }
  return Math.min(Math.max(ef, input.k), Math.max(LIMITS.hnswEfMax, input.k));
}
