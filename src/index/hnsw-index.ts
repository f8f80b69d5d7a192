/**
 * HnswIndex: approximate search on hnswlib's HNSW graph (through Hektor's own binding,
 * `native-hnsw.ts`). The graph holds the only copy of every vector (version 1 kept a second copy in
 * a JavaScript arena; dropping it saved one vector's bytes per point). Graph walks run on the
 * JavaScript thread (`search`) or on a native search thread (`searchAsync`); exact scans run
 * natively with hnswlib's SIMD distances. Every hit is rescored in float64 from the stored float32
 * values, so that an HNSW hit and an exact hit for the same slot carry the same score and sort
 * identically.
 *
 * Dot product is not a metric, and an HNSW graph built on it leaves points with small norms
 * unreachable (hub points of large norm "cover" them in the neighbour heuristic; in a 1,500-point
 * test 16% of the points could never be found). Dot therefore uses the standard reduction of
 * maximum inner product search to Euclidean search: each stored vector x gets one extra coordinate
 * sqrt(Φ² − |x|²) and the query gets 0, so |q' − x'|² = |q|² + Φ² − 2·q·x ranks exactly by q·x.
 * Φ must bound every stored norm; it starts at twice the first non-zero norm and, when a larger
 * vector arrives, doubles past it and the graph is rebuilt from its own vectors (a blocking O(n log n)
 * step that happens O(log(largest norm / first norm)) times over the index's life). hnswlib
 * computes in float32 and the reduced distances are about Φ², so graph search stays accurate while
 * stored norms differ by less than about 1000×; scores are always exact (rescored in float64).
 *
 * Slots are hnswlib labels. A label once added stays in the graph forever: removing it sets a
 * tombstone (`markDelete`), and re-adding the same label updates its vector in place and clears the
 * tombstone. Because the shard reuses freed slots, the graph holds at most (highest slot + 1)
 * elements and never fills with dead labels.
 *
 * An asynchronous search walks the graph while the JavaScript thread may apply writes between its
 * start and its end (the native gate keeps each write apart from the walk itself). A slot that was
 * removed or reused meanwhile could then come back dead, or holding another point that the filter
 * never admitted; so when any write happened during the walk, the search is answered again
 * synchronously. Without concurrent writes (the common case) the walk's answer stands.
 */

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { assert } from '../base/assert.js';
import { LIMITS } from '../base/limits.js';
import { SLOT_MAX, assertSlot } from './arena.js';
import { arenaScorer, hitComparator, isNormalized, normalize, type ArenaScorer } from './distance.js';
import { SlotSet } from './slot-set.js';
import { assertK } from './exact-index.js';
import type { Distance, SlotHit } from './types.js';
import { NativeHnsw, type NativeHnswGraph, type NativePackedHits } from './native-hnsw.js';
import { combinedAccept, type IndexSearchOptions, type VectorIndex } from './vector-index.js';

/** Beam width of a search that names no `ef`: recall ≈ 1.0 on clustered data at ~5k queries/s (128-d, 100k). */
export const HNSW_EF_SEARCH_DEFAULT = 128;
/** Graph capacity allocated at creation, in elements; it doubles whenever it fills. */
export const HNSW_INITIAL_CAPACITY = 1024;
/** Seed of hnswlib's level generator, fixed so that builds are reproducible. */
export const HNSW_SEED_DEFAULT = 100;

/** Options of an HnswIndex. */
export interface HnswIndexOptions {
  /** Vector dimension. */
  dim: number;
  /** Distance function. */
  distance: Distance;
  /** Graph degree (`m`): links per node on upper layers, 2·m on the base layer. */
  m: number;
  /** Beam width while inserting (`ef_construct`). */
  efConstruct: number;
  /** Beam width of searches that name no `ef` (default HNSW_EF_SEARCH_DEFAULT). */
  efSearchDefault?: number;
  /** Seed of the level generator (default HNSW_SEED_DEFAULT). */
  seed?: number;
  /** Graph capacity at creation, in elements (default HNSW_INITIAL_CAPACITY). */
  initialCapacity?: number;
}

/**
 * Extra candidates a native exact scan keeps before the exact float64 rescoring: its float32
 * distances could swap near-ties at the k-th place, never by more than a few places.
 */
const NATIVE_SCAN_MARGIN = 16;
/** Floats per chunk of `flushStaged` (≈ 5 ms of insertions on two threads at 128 dimensions). */
const STAGED_CHUNK_VALUES = 8192;
/** Smallest chunk of `flushStaged`, in points. */
const STAGED_CHUNK_POINTS_MIN = 8;

/** File-format tag and version of the arena file that version 1 wrote beside the graph (read for its header only). */
const ARENA_MAGIC = 0x41544b48; // "HKTA" little-endian
const ARENA_V1 = 1;
const ARENA_HEADER_BYTES = 32;
const DISTANCE_CODES: Record<Distance, number> = { Cosine: 1, Dot: 2, Euclid: 3 };
/** Version of the metadata file written beside the graph since the arena was dropped. */
const META_VERSION = 2;

/** A VectorIndex on an HNSW graph (approximate) with an exact mode. */
export class HnswIndex implements VectorIndex {
  /** Vector dimension. */
  readonly dim: number;
  /** Distance function. */
  readonly distance: Distance;
  /** Beam width used when a search names no `ef`. */
  readonly efSearchDefault: number;
  private native: NativeHnswGraph | undefined;
  private readonly m: number;
  private readonly efConstruct: number;
  private readonly seed: number;
  /** Dot only: the bound Φ on stored norms used by the extra coordinate (0 until a non-zero vector). */
  private dotNormBound = 0;
  /** 1 for every live slot. */
  private live: Uint8Array;
  private liveCount = 0;
  /** One past the highest slot ever made live. */
  private liveEnd = 0;
  /** 1 for every label hnswlib holds (live or tombstoned). */
  private inGraph: Uint8Array;
  private readonly compare: (a: SlotHit, b: SlotHit) => number;
  private readonly scorer: ArenaScorer;
  /**
   * Counts the changes that can make a walk's answer stale: removals and new vectors for live
   * slots. (A vector for a dead slot cannot: a walk never returns a slot that was dead when it ran.)
   */
  private mutations = 0;
  /**
   * Vectors stored (as the graph stores them: unit length for Cosine, without Dot's extra
   * coordinate) but not yet in the graph (see `stage`); the graph holds every other live vector.
   */
  private readonly staged = new Map<number, Float32Array>();

  /** An empty index with the given graph parameters. */
  constructor(options: HnswIndexOptions) {
    const { dim, distance, m, efConstruct } = options;
    assert(Number.isSafeInteger(dim) && dim > 0 && dim <= LIMITS.vectorSizeMax, `dimension out of range: ${dim}`);
    assert(Number.isSafeInteger(m) && m >= LIMITS.hnswMMin && m <= LIMITS.hnswMMax, `m out of range: ${m}`);
    assert(
      Number.isSafeInteger(efConstruct) && efConstruct >= LIMITS.hnswEfConstructMin && efConstruct <= LIMITS.hnswEfConstructMax,
      `ef_construct out of range: ${efConstruct}`,
    );
    const efSearchDefault = options.efSearchDefault ?? HNSW_EF_SEARCH_DEFAULT;
    assert(Number.isSafeInteger(efSearchDefault) && efSearchDefault > 0 && efSearchDefault <= LIMITS.hnswEfMax, 'default ef out of range');
    const capacity = options.initialCapacity ?? HNSW_INITIAL_CAPACITY;
    assert(Number.isSafeInteger(capacity) && capacity > 0 && capacity <= SLOT_MAX + 1, `initial capacity out of range: ${capacity}`);
    this.dim = dim;
    this.distance = distance;
    this.efSearchDefault = efSearchDefault;
    this.m = m;
    this.efConstruct = efConstruct;
    this.seed = options.seed ?? HNSW_SEED_DEFAULT;
    this.native = this.createNative(capacity);
    this.live = new Uint8Array(capacity);
    this.inGraph = new Uint8Array(capacity);
    this.compare = hitComparator(distance);
    this.scorer = arenaScorer(distance);
  }

  /** Number of live vectors. */
  get count(): number {
    return this.liveCount;
  }

  /** One past the highest slot ever stored: live slots lie below it (the planner samples them). */
  get slotEnd(): number {
    return this.liveEnd;
  }

  /** Elements the graph can hold before it is resized. */
  get capacity(): number {
    return this.open().capacity();
  }

  /** Inserts or replaces the vector at `slot` (normalised for Cosine). */
  upsert(slot: number, vector: Float32Array): void {
    const native = this.open();
    const stored = this.storedForm(vector);
    if (!this.setVector(slot, stored)) return;
    this.staged.delete(slot);
    this.reserve(1);
    this.inGraph[slot] = 1;
    native.add(this.nativeVectorOf(stored), slot);
  }

  /**
   * Like `upsert`, but the graph insertion waits for `flushStaged`, which inserts every staged
   * vector at once on the native threads (in parallel). Until then the vector is stored (`vector`,
   * `has`, exact scans and `searchAmong` see it) and graph walks do not find it.
   */
  stage(slot: number, vector: Float32Array): void {
    this.open();
    const stored = this.storedForm(vector);
    if (this.setVector(slot, stored)) this.staged.set(slot, stored);
  }

  /** Number of staged vectors not yet in the graph. */
  get stagedCount(): number {
    return this.staged.size;
  }

  /**
   * Inserts the staged vectors into the graph, `threads` insertions at a time on the native
   * threads, in chunks of about STAGED_CHUNK_VALUES floats so that searches wait at most one chunk.
   * A vector stays staged (readable) until its chunk is in.
   */
  async flushStaged(threads: number): Promise<void> {
    const native = this.open();
    if (this.staged.size === 0) return;
    const entries = Array.from(this.staged);
    const nativeDim = this.nativeDim();
    const chunk = Math.max(STAGED_CHUNK_POINTS_MIN, Math.floor(STAGED_CHUNK_VALUES / nativeDim));
    for (let start = 0; start < entries.length; start += chunk) {
      if (this.native !== native) return; // a Dot rebuild inserted every live vector
      // A slot removed, restaged or upserted since the snapshot is left to its newer state.
      const batch = entries.slice(start, start + chunk).filter(([slot, stored]) => this.staged.get(slot) === stored);
      if (batch.length === 0) continue;
      this.reserve(batch.length);
      const labels = new Uint32Array(batch.length);
      const vectors = new Float32Array(batch.length * nativeDim);
      batch.forEach(([slot, stored], i) => {
        labels[i] = slot;
        vectors.set(this.nativeVectorOf(stored), i * nativeDim);
        this.inGraph[slot] = 1;
      });
      await native.addBatch(vectors, labels, threads);
      for (const [slot, stored] of batch) if (this.staged.get(slot) === stored) this.staged.delete(slot);
    }
  }

  /** A copy of `vector` as the index stores it: unit length for Cosine. */
  private storedForm(vector: Float32Array): Float32Array {
    assert(vector.length === this.dim, () => `vector has ${vector.length} values, the index expects ${this.dim}`);
    return this.distance === 'Cosine' ? normalize(vector) : Float32Array.from(vector);
  }

  /**
   * Marks `slot` live for `stored`; false when a Dot rebuild already put it in the graph. Counts
   * the change as a mutation when the slot was live.
   */
  private setVector(slot: number, stored: Float32Array): boolean {
    assertSlot(slot);
    if (slot >= this.live.length) this.growLiveMap(slot + 1);
    if (this.live[slot] === 1) {
      this.mutations++;
    } else {
      this.live[slot] = 1;
      this.liveCount++;
      if (slot >= this.liveEnd) this.liveEnd = slot + 1;
    }
    if (this.distance === 'Dot') {
      const norm = Math.sqrt(squaredNorm(stored));
      if (norm > this.dotNormBound) {
        // The rebuild adds every live slot, this one (staged for it) and the staged ones included.
        this.dotNormBound = 2 * norm;
        this.staged.set(slot, stored);
        this.rebuild();
        return false;
      }
    }
    return true;
  }

  /** Grows the graph's capacity (doubling) so that `more` new labels fit. */
  private reserve(more: number): void {
    const native = this.open();
    let max = native.capacity();
    const needed = native.size() + more;
    if (needed <= max) return;
    while (max < needed) max *= 2;
    native.resize(Math.min(max, SLOT_MAX + 1));
  }

  /** Removes the vector at `slot` (no-op if absent): a tombstone in the graph. */
  remove(slot: number): void {
    const native = this.open();
    if (!this.has(slot)) return;
    this.live[slot] = 0;
    this.liveCount--;
    this.mutations++;
    this.staged.delete(slot);
    if (this.inGraph[slot] === 1) native.remove(slot);
  }

  /** True if `slot` holds a live vector. */
  has(slot: number): boolean {
    return Number.isInteger(slot) && slot >= 0 && this.live[slot] === 1;
  }

  /** A copy of the stored vector at `slot` (normalised for Cosine), or undefined. */
  vector(slot: number): Float32Array | undefined {
    if (!this.has(slot)) return undefined;
    const staged = this.staged.get(slot);
    if (staged !== undefined) return staged.slice();
    const stored = this.open().vectors(Uint32Array.of(slot));
    assert(!Number.isNaN(stored[0]), () => `slot ${slot} is live but absent from the graph`);
    return stored.length === this.dim ? stored : stored.slice(0, this.dim);
  }

  /**
   * Up to `k` best hits. Approximate unless `exact`; the beam width is max(ef, k) with ef from the
   * options or the default. May return fewer than `k` when the filter rejects most of the graph
   * (the planner then falls back to an exact scan).
   */
  search(query: Float32Array, k: number, options?: IndexSearchOptions): SlotHit[] {
    const native = this.open();
    assertK(k);
    const prepared = this.prepareQuery(query);
    if (options?.exact === true) return this.exactScan(prepared, k, options.acceptSet, options.accept);
    const kNative = Math.min(k, this.liveCount);
    if (kNative === 0) return [];
    const accept = options?.accept;
    const set = options?.acceptSet;
    // A bitset alone is tested natively; a predicate calls back into JavaScript at every node.
    const filter = accept === undefined ? set?.words : combinedAccept(options);
    return this.hitsOfPacked(native.searchScoredSync(this.nativeQuery(prepared), kNative, this.efOf(options), filter, prepared.length, this.distance === 'Euclid'), prepared);
  }

  /**
   * Like `search`, walked on a search thread when the filter is at most a bitset (a predicate
   * must run on the JavaScript thread, so such searches, and exact ones, run synchronously).
   */
  async searchAsync(query: Float32Array, k: number, options?: IndexSearchOptions): Promise<SlotHit[]> {
    const native = this.open();
    assertK(k);
    if (options?.exact === true || options?.accept !== undefined) return this.search(query, k, options);
    const kNative = Math.min(k, this.liveCount);
    if (kNative === 0) return [];
    const prepared = this.prepareQuery(query);
    const before = this.mutations;
    let found: NativePackedHits;
    try {
      found = await native.search(this.nativeQuery(prepared), kNative, this.efOf(options), options?.acceptSet?.words, prepared.length, this.distance === 'Euclid');
    } catch (e: unknown) {
      // A Dot rebuild closed this graph before the walk started: the new graph answers.
      if (this.native !== native && this.native !== undefined) return this.search(query, k, options);
      throw e;
    }
    // Writes applied during the walk may have freed or reused a slot it returns: answer again.
    if (this.mutations !== before || this.native !== native) return this.search(query, k, options);
    // The search thread scored the hits from the graph; a staged vector (the graph still holds
    // the label's previous one) is scored here.
    return this.hitsOfPacked(found, prepared);
  }

  private efOf(options: IndexSearchOptions | undefined): number {
    const ef = options?.ef ?? this.efSearchDefault;
    assert(Number.isSafeInteger(ef) && ef > 0, () => `ef must be a positive integer, got ${ef}`);
    return ef;
  }

  /** Checks a query's length and normalises it for Cosine (a copy, unless it is normalised already). */
  private prepareQuery(query: Float32Array): Float32Array {
    assert(query.length === this.dim, () => `query has ${query.length} values, the index expects ${this.dim}`);
    return this.distance === 'Cosine' && !isNormalized(query) ? normalize(query) : query;
  }

  /** The prepared query as the graph stores vectors (Dot's extra coordinate is 0 for queries). */
  private nativeQuery(prepared: Float32Array): Float32Array {
    if (this.distance !== 'Dot') return prepared;
    const out = new Float32Array(this.dim + 1);
    out.set(prepared);
    return out;
  }

  /**
   * `labels` scored exactly (float64 over the stored float32 values: staged vectors, else the
   * graph's), best first, ties by lower slot.
   */
  private rescore(labels: Uint32Array, prepared: Float32Array): SlotHit[] {
    // Scored natively: copying the vectors out would allocate ~k·dim·4 bytes per search.
    return this.hitsOf(labels, this.open().scores(prepared, labels, this.distance === 'Euclid'), prepared);
  }

  /** Hits from `labels` and the graph's exact `scores` of them, best first. */
  private hitsOf(labels: Uint32Array, scores: Float64Array, prepared: Float32Array): SlotHit[] {
    const hits = Array.from(labels, (slot, i) => this.hitOf(slot, scores[i] ?? Number.NaN, prepared));
    hits.sort(this.compare);
    return hits;
  }

  /** Hits from a packed native result (labels, then the graph's exact scores), best first. */
  private hitsOfPacked(packed: NativePackedHits, prepared: Float32Array): SlotHit[] {
    const n = packed.length / 2;
    const hits: SlotHit[] = new Array<SlotHit>(n);
    for (let i = 0; i < n; i++) hits[i] = this.hitOf(packed[i] ?? Number.NaN, packed[n + i] ?? Number.NaN, prepared);
    hits.sort(this.compare);
    return hits;
  }

  /** A hit on `slot` with the graph's score of it, or its staged vector's score when it has one. */
  private hitOf(slot: number, graphScore: number, prepared: Float32Array): SlotHit {
    // hnswlib never returns tombstoned labels; the check guards against a desync.
    assert(this.has(slot), () => `hnswlib returned slot ${slot}, which is not live`);
    const staged = this.staged.get(slot);
    return { slot, score: staged === undefined ? graphScore : this.scorer(staged, 0, prepared) };
  }

  /**
   * Exact top-`k` over the live slots in `set` (all without one) that `accept` allows: the graph's
   * vectors scanned natively with SIMD distances, the best k + NATIVE_SCAN_MARGIN rescored in
   * float64, merged with the staged vectors scored in JavaScript.
   */
  private exactScan(prepared: Float32Array, k: number, set: SlotSet | undefined, accept: ((slot: number) => boolean) | undefined): SlotHit[] {
    const native = this.open();
    if (k === 0 || this.liveCount === 0 || set?.size === 0) return [];
    const staged = this.staged;
    // A staged slot may still hold an older vector in the graph: the staged one alone counts.
    const predicate = staged.size === 0 ? accept : (slot: number): boolean => !staged.has(slot) && (accept === undefined || accept(slot));
    const kNative = Math.min(k + NATIVE_SCAN_MARGIN, set?.size ?? this.liveCount);
    const found = native.scanSync(this.nativeQuery(prepared), kNative, set?.words ?? null, predicate);
    const hits = this.rescore(found.labels, prepared);
    if (staged.size > 0) {
      for (const [slot, vector] of staged) {
        if ((set !== undefined && !set.has(slot)) || (accept !== undefined && !accept(slot))) continue;
        hits.push({ slot, score: this.scorer(vector, 0, prepared) });
      }
      hits.sort(this.compare);
    }
    return hits.slice(0, k);
  }

  /**
   * Exact top-`k` over the given candidate slots that `accept` (when given) allows, scanned
   * natively (hnswlib's SIMD distances over the graph's vectors, 1.5–2.7× faster than a JavaScript
   * scan at 784 dimensions) and rescored exactly.
   */
  searchAmong(query: Float32Array, slots: Iterable<number>, k: number, accept?: (slot: number) => boolean): SlotHit[] {
    this.open();
    assertK(k);
    const prepared = this.prepareQuery(query);
    let set: SlotSet;
    if (slots instanceof SlotSet) {
      set = slots;
    } else {
      set = new SlotSet(this.liveEnd);
      for (const slot of slots) if (this.has(slot)) set.add(slot);
    }
    return this.exactScan(prepared, k, set, accept);
  }

  /** Frees the native graph (after searches in flight). The index is unusable afterwards. */
  close(): void {
    this.native?.close();
    this.native = undefined;
  }

  /**
   * Writes the graph (which holds every live vector) to `file` and its metadata to
   * `file + '.meta'`, each through a temporary file and a rename. The two files are not updated
   * atomically together: a caller that needs that writes into a fresh directory and renames it.
   */
  save(file: string): void {
    const native = this.flushStagedSync();
    native.write(`${file}.tmp`);
    this.finishSave(file);
  }

  /**
   * As `save`, but the graph file is written on a pool thread while searches go on. The caller
   * must not change the index until this settles: a change would wait for the write, blocking
   * the thread it runs on (the event loop, for removals).
   */
  async saveAsync(file: string): Promise<void> {
    const native = this.flushStagedSync();
    await native.writeAsync(`${file}.tmp`);
    this.finishSave(file);
  }

  /** Puts staged vectors into the graph, which must hold every live vector when it is written. */
  private flushStagedSync(): NativeHnswGraph {
    const native = this.open();
    for (const [slot, stored] of Array.from(this.staged)) {
      this.reserve(1);
      this.inGraph[slot] = 1;
      native.add(this.nativeVectorOf(stored), slot);
    }
    this.staged.clear();
    return native;
  }

  private finishSave(file: string): void {
    renameSync(`${file}.tmp`, file);
    const meta = { version: META_VERSION, dim: this.dim, distance: this.distance, dotNormBound: this.dotNormBound, count: this.liveCount };
    writeFileSync(`${file}.meta.tmp`, JSON.stringify(meta));
    renameSync(`${file}.meta.tmp`, `${file}.meta`);
  }

  /**
   * Reads an index written by `save` (or by version 1, whose arena file is read for its header
   * only). `options` must name the same dimension and distance; `m` and `efConstruct` come from
   * the file. Throws when the files do not match each other or the options.
   */
  static load(file: string, options: HnswIndexOptions): HnswIndex {
    const index = new HnswIndex({ ...options, initialCapacity: 1 });
    index.restore(file);
    return index;
  }

  private restore(file: string): void {
    let count: number;
    if (existsSync(`${file}.meta`)) {
      const meta: unknown = JSON.parse(readFileSync(`${file}.meta`, 'utf8'));
      if (
        typeof meta !== 'object' || meta === null || !('version' in meta) || meta.version !== META_VERSION ||
        !('dim' in meta) || !('distance' in meta) || !('dotNormBound' in meta) || !('count' in meta) ||
        typeof meta.dotNormBound !== 'number' || typeof meta.count !== 'number'
      ) {
        throw new Error(`${file}.meta is not a Hektor index metadata file of version ${META_VERSION}`);
      }
      if (meta.dim !== this.dim || meta.distance !== this.distance) throw new Error(`${file}.meta holds another dimension or distance than the collection (${this.dim}, ${this.distance})`);
      this.dotNormBound = meta.dotNormBound;
      count = meta.count;
    } else {
      const bytes = readFileSync(`${file}.arena`);
      if (bytes.length < ARENA_HEADER_BYTES || bytes.readUInt32LE(0) !== ARENA_MAGIC || bytes.readUInt32LE(4) !== ARENA_V1) {
        throw new Error(`${file}.arena is not a Hektor arena file of version ${ARENA_V1}`);
      }
      if (bytes.readUInt32LE(8) !== this.dim || bytes.readUInt32LE(12) !== DISTANCE_CODES[this.distance]) {
        throw new Error(`${file}.arena holds another dimension or distance than the collection (${this.dim}, ${this.distance})`);
      }
      count = bytes.readUInt32LE(20);
      this.dotNormBound = bytes.readDoubleLE(24);
    }

    const native = new NativeHnsw(this.nativeSpace(), this.nativeDim());
    native.read(file);
    const labels = native.labels();
    const liveLabels = native.liveLabels();
    if (liveLabels.length !== count) throw new Error(`${file}: the graph holds ${liveLabels.length} live vectors, its metadata ${count}`);
    let labelEnd = 1;
    for (const label of labels) labelEnd = Math.max(labelEnd, label + 1);
    this.inGraph = new Uint8Array(labelEnd);
    for (const label of labels) this.inGraph[label] = 1;
    this.live = new Uint8Array(labelEnd);
    this.liveCount = 0;
    this.liveEnd = 0;
    for (const label of liveLabels) {
      this.live[label] = 1;
      this.liveCount++;
      this.liveEnd = Math.max(this.liveEnd, label + 1);
    }
    this.native?.close();
    this.native = native;
  }

  /** hnswlib's space: inner product for Cosine (unit vectors), L2 for Euclid and for augmented Dot. */
  private nativeSpace(): 'ip' | 'l2' {
    return this.distance === 'Cosine' ? 'ip' : 'l2';
  }

  /** Dimension of the native vectors: one more for Dot's extra coordinate. */
  private nativeDim(): number {
    return this.distance === 'Dot' ? this.dim + 1 : this.dim;
  }

  private createNative(capacity: number): NativeHnswGraph {
    const native = new NativeHnsw(this.nativeSpace(), this.nativeDim());
    native.init(capacity, this.m, this.efConstruct, this.seed);
    return native;
  }

  /** The vector hnswlib stores for a stored vector: with Dot's extra coordinate, else itself. */
  private nativeVectorOf(stored: Float32Array): Float32Array {
    if (this.distance !== 'Dot') return stored;
    const out = new Float32Array(this.dim + 1);
    out.set(stored);
    const bound = this.dotNormBound;
    out[this.dim] = Math.sqrt(Math.max(0, bound * bound - squaredNorm(stored)));
    return out;
  }

  /**
   * Dot only: replaces the graph with one built under the current norm bound from every live
   * vector (staged ones from the staging map, the others read back from the old graph).
   */
  private rebuild(): void {
    const previous = this.open();
    const native = this.createNative(Math.max(previous.capacity(), this.liveCount + 1));
    const end = this.liveEnd;
    this.inGraph = new Uint8Array(Math.max(this.inGraph.length, end));
    for (let slot = 0; slot < end; slot++) {
      if (this.live[slot] !== 1) continue;
      const stored = this.staged.get(slot) ?? previous.vectors(Uint32Array.of(slot)).subarray(0, this.dim);
      native.add(this.nativeVectorOf(stored), slot);
      this.inGraph[slot] = 1;
    }
    this.staged.clear();
    previous.close();
    this.native = native;
  }

  private growLiveMap(slotsMin: number): void {
    let capacity = Math.max(this.live.length, 64);
    while (capacity < slotsMin) capacity *= 2;
    capacity = Math.min(capacity, SLOT_MAX + 1);
    const live = new Uint8Array(capacity);
    live.set(this.live);
    this.live = live;
    if (this.inGraph.length < capacity) {
      const inGraph = new Uint8Array(capacity);
      inGraph.set(this.inGraph);
      this.inGraph = inGraph;
    }
  }

  private open(): NativeHnswGraph {
    assert(this.native !== undefined, 'the index is closed');
    return this.native;
  }
}

function squaredNorm(v: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] ?? 0;
    sum += x * x;
  }
  return sum;
}
