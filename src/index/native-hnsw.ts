/**
 * The typed face of Hektor's own native HNSW binding (`native/hnsw_graph.cc`, built by
 * `node-gyp` at install into `build/Release/hektor_hnsw.node`). It wraps hnswlib's graph like
 * hnswlib-node does, and adds what the engine needs from it: searches on search threads of its
 * own (`search`), Float32Array vectors without conversion, a bitset filter tested in C++, and a beam
 * width per search. Only `HnswIndex` uses it.
 */

import { loadNativeAddon } from '../base/native-addon.js';
import { QuietDebounce } from '../base/quiet-debounce.js';

/** The result of one native search: labels nearest first, with hnswlib's distances. */
export interface NativeHits {
  /** Labels (the shard's slots), nearest first. */
  labels: Uint32Array;
  /** hnswlib distances: squared L2 for 'l2', 1 − dot for 'ip'. */
  distances: Float32Array;
}

/**
 * Hits of a scored search, packed in one array (one allocation per search instead of two): for n
 * hits, `[0, n)` are the labels (the shard's slots), nearest first, and `[n, 2n)` their exact
 * float64 scores, as `scores()` computes them.
 */
export type NativePackedHits = Float64Array;

/**
 * One native HNSW graph. Mutations run on the calling (JavaScript) thread and wait for searches
 * in flight on the pool; searches wait for a mutation in progress.
 */
export interface NativeHnswGraph {
  /** Allocates an empty graph for `maxElements` elements. */
  init(maxElements: number, m: number, efConstruct: number, seed: number): void;
  /** Replaces the graph with the one saved at `path`; throws if it has another dimension. */
  read(path: string): void;
  /** Saves the graph to `path`. */
  write(path: string): void;
  /**
   * Saves the graph to `path` on a pool thread, under a shared hold: searches go on meanwhile,
   * and mutations (on any thread) wait until the file is written.
   */
  writeAsync(path: string): Promise<void>;
  /** Inserts `label`, or updates its vector in place and clears its tombstone. */
  add(vector: Float32Array, label: number): void;
  /**
   * Inserts or updates `labels.length` labels (`vectors` holds dim values per label) on a search
   * thread, up to `threads` insertions at a time; searches wait meanwhile.
   */
  addBatch(vectors: Float32Array, labels: Uint32Array, threads: number): Promise<void>;
  /** Sets the tombstone of `label`; false if absent or already removed. */
  remove(label: number): boolean;
  /** Grows (or shrinks) the capacity to `maxElements`. */
  resize(maxElements: number): void;
  /** Elements the graph can hold before `resize`. */
  capacity(): number;
  /** Elements in the graph, tombstoned ones included. */
  size(): number;
  /** Every label in the graph, tombstoned ones included. */
  labels(): Uint32Array;
  /**
   * The `k` labels nearest to `query` with beam width max(ef, k), on the calling thread. `filter`
   * is a bitset of allowed labels (32 per word, little-endian) or a predicate.
   */
  searchSync(query: Float32Array, k: number, ef: number, filter?: Uint32Array | ((label: number) => boolean)): NativeHits;
  /**
   * `searchSync`, then the hits scored exactly as `scores()` would over the query's first
   * `scoreDim` values (Euclidean distance when `euclid`, else dot product), under the same hold.
   */
  searchScoredSync(query: Float32Array, k: number, ef: number, filter: Uint32Array | ((label: number) => boolean) | undefined, scoreDim: number, euclid: boolean): NativePackedHits;
  /**
   * The `k` labels nearest to `query` among those set in `set` (every live label without one)
   * that `predicate` (when given) allows, exactly, by brute force with hnswlib's SIMD distances,
   * nearest first.
   */
  scanSync(query: Float32Array, k: number, set?: Uint32Array | null, predicate?: (label: number) => boolean): NativeHits;
  /** The stored vectors of `labels` (dim floats each, in order); NaN for an absent or removed label. */
  vectors(labels: Uint32Array): Float32Array;
  /**
   * Exact float64 scores of `labels` against `query` (`query.length` leading values of each stored
   * vector): dot products, or Euclidean distances when `euclid`; NaN for an absent or removed label.
   * Computed operation for operation as `distance.ts` does, so the results are bit-identical.
   */
  scores(query: Float32Array, labels: Uint32Array, euclid: boolean): Float64Array;
  /** Every label in the graph that is not removed. */
  liveLabels(): Uint32Array;
  /**
   * Like searchSync with a bitset or no filter, walked on a search thread, which then scores the
   * hits exactly as `scores()` would over the query's first `scoreDim` values (Euclidean distance
   * when `euclid`, else dot product), under the same hold as the walk.
   */
  search(query: Float32Array, k: number, ef: number, filter: Uint32Array | undefined, scoreDim: number, euclid: boolean): Promise<NativePackedHits>;
  /** Frees the graph once searches in flight are done; later calls throw. */
  close(): void;
}

/** Constructor of native graphs: `space` is 'l2' (squared Euclidean) or 'ip' (1 − dot product). */
export type NativeHnswGraphConstructor = new (space: 'l2' | 'ip', dim: number) => NativeHnswGraph;

/** What the binding exports. */
interface Binding {
  HnswGraph: NativeHnswGraphConstructor;
  setSearchThreads(threads: number): boolean;
  searchThreads(): number;
  releaseFreeMemory(): Promise<boolean>;
}

function loadBinding(): Binding {
  return loadNativeAddon('hektor_hnsw', 'HNSW binding', ['HnswGraph', 'setSearchThreads', 'searchThreads', 'releaseFreeMemory']) as unknown as Binding;
}

const binding = loadBinding();

/** The native graph class. */
export const NativeHnsw: NativeHnswGraphConstructor = binding.HnswGraph;

/**
 * Sets how many threads walk graphs for asynchronous searches; 0 means one per core but one (the
 * JavaScript thread needs a core to serve HTTP). The threads start at the first asynchronous
 * search, after which the number is fixed: returns false when it was too late.
 */
export function setSearchThreads(threads: number): boolean {
  return binding.setSearchThreads(threads);
}

/** The number of search threads in effect (or that the first asynchronous search will start). */
export function searchThreads(): number {
  return binding.searchThreads();
}

/**
 * Gives the pages of freed native heap memory back to the operating system (glibc keeps them for
 * reuse otherwise), on a pool thread. Resolves true when some were given back.
 */
export function releaseFreeMemory(): Promise<boolean> {
  return binding.releaseFreeMemory();
}

/** Quiet time after the last write before freed memory is given back. */
const RELEASE_QUIET_MS = 250;
/** Longest time between two releases while writes go on. */
const RELEASE_INTERVAL_MAX_MS = 10_000;
const releases = new QuietDebounce(releaseFreeMemory, RELEASE_QUIET_MS, RELEASE_INTERVAL_MAX_MS);

/**
 * Asks for freed memory to be given back once writes pause for RELEASE_QUIET_MS (and at least
 * every RELEASE_INTERVAL_MAX_MS while they go on): bulk writes free far more than a node keeps
 * using. Cheap to call after every write; the timer never keeps the process alive.
 */
export function releaseFreeMemorySoon(): void {
  releases.poke();
}
