/**
 * Exact k-nearest-neighbour search by plain loops over Float32Array: the ground truth of the
 * bench. Independent of hnswlib on purpose, so that the library under test does not grade itself.
 */

import type { BenchDistance } from './datasets.js';

/** Queries scored together against each base row: the row is read once from memory per block. */
const QUERY_BLOCK = 8;

/** Inputs of one brute-force job over a range of queries. */
export interface BruteForceJob {
  /** Base vectors, row-major. */
  base: Float32Array;
  /** Query vectors, row-major. */
  queries: Float32Array;
  /** Dimension. */
  dim: number;
  /** Distance function. */
  distance: BenchDistance;
  /** Neighbours kept per query. */
  k: number;
  /** First query of the range. */
  queryStart: number;
  /** One past the last query of the range. */
  queryEnd: number;
  /** Output: `k` ids per query (indexed by absolute query number), nearest first. */
  ids: Int32Array;
  /** Output: the matching distances (as `exactDistance` defines them). */
  distances: Float64Array;
  /** Called after each query block with the number of queries done so far in this job. */
  progress?: (done: number) => void;
}

/** Fills `ids`/`distances` for queries [queryStart, queryEnd). */
export function bruteForce(job: BruteForceJob): void {
  const { base, queries, dim, distance, k, queryStart, queryEnd, ids, distances } = job;
  const baseCount = base.length / dim;
  if (k > baseCount) throw new Error(`k = ${k} exceeds the base size ${baseCount}`);
  const euclid = distance === 'Euclid';
  // ‖q − x‖² = ‖x‖² − 2 q·x + ‖q‖²: precomputing ‖x‖² leaves one dot product per pair.
  const baseNorms = new Float64Array(baseCount);
  if (euclid) for (let j = 0; j < baseCount; j++) baseNorms[j] = dot(base, j * dim, base, j * dim, dim);
  const scores = new Float64Array(QUERY_BLOCK);
  const tops = Array.from({ length: QUERY_BLOCK }, () => new TopK(k));
  for (let block = queryStart; block < queryEnd; block += QUERY_BLOCK) {
    const blockSize = Math.min(QUERY_BLOCK, queryEnd - block);
    for (let b = 0; b < blockSize; b++) tops[b]!.clear();
    for (let j = 0; j < baseCount; j++) {
      scoreBlock(base, j * dim, queries, block * dim, dim, blockSize, scores);
      for (let b = 0; b < blockSize; b++) {
        const s = scores[b]!;
        tops[b]!.offer(euclid ? baseNorms[j]! - 2 * s : 1 - s, j);
      }
    }
    for (let b = 0; b < blockSize; b++) {
      const q = block + b;
      const queryNorm = euclid ? dot(queries, q * dim, queries, q * dim, dim) : 0;
      tops[b]!.drain(ids, distances, q * k, queryNorm);
    }
    job.progress?.(Math.min(queryEnd, block + QUERY_BLOCK) - queryStart);
  }
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += a[ao + d]! * b[bo + d]!;
  return s;
}

/** Dot products of one base row with up to QUERY_BLOCK consecutive queries. */
function scoreBlock(base: Float32Array, bo: number, queries: Float32Array, qo: number, dim: number, blockSize: number, out: Float64Array): void {
  if (blockSize === QUERY_BLOCK) {
    // The common case, unrolled so that each base value is loaded once for eight products.
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (let d = 0; d < dim; d++) {
      const x = base[bo + d]!;
      const q = qo + d;
      s0 += x * queries[q]!;
      s1 += x * queries[q + dim]!;
      s2 += x * queries[q + 2 * dim]!;
      s3 += x * queries[q + 3 * dim]!;
      s4 += x * queries[q + 4 * dim]!;
      s5 += x * queries[q + 5 * dim]!;
      s6 += x * queries[q + 6 * dim]!;
      s7 += x * queries[q + 7 * dim]!;
    }
    out[0] = s0; out[1] = s1; out[2] = s2; out[3] = s3; out[4] = s4; out[5] = s5; out[6] = s6; out[7] = s7;
    return;
  }
  for (let b = 0; b < blockSize; b++) out[b] = dot(base, bo, queries, qo + b * dim, dim);
}

/** The k smallest (distance, id) pairs seen, kept sorted; ties keep the smaller id first. */
class TopK {
  private readonly keys: Float64Array;
  private readonly ids: Int32Array;
  private size = 0;

  constructor(private readonly k: number) {
    this.keys = new Float64Array(k);
    this.ids = new Int32Array(k);
  }

  clear(): void {
    this.size = 0;
  }

  offer(key: number, id: number): void {
    const { k, keys, ids } = this;
    if (this.size === k && key >= keys[k - 1]!) return;
    let i = this.size < k ? this.size++ : k - 1;
    while (i > 0 && keys[i - 1]! > key) {
      keys[i] = keys[i - 1]!;
      ids[i] = ids[i - 1]!;
      i--;
    }
    keys[i] = key;
    ids[i] = id;
  }

  /** Writes the sorted result at `offset`, adding `shift` to each key (‖q‖² for Euclid). */
  drain(outIds: Int32Array, outDistances: Float64Array, offset: number, shift: number): void {
    for (let i = 0; i < this.k; i++) {
      outIds[offset + i] = this.ids[i]!;
      outDistances[offset + i] = this.keys[i]! + shift;
    }
  }
}
