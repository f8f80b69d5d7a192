/**
 * HnswIndex: approximate search on hnswlib's HNSW graph (through Hektor's own binding,
 * `native-hnsw.ts`), with a flat arena of the same vectors beside it. The arena answers
 * `vector(slot)` and exact scans with a predicate in JS; the graph answers approximate searches, on
 * the JavaScript thread (`search`) or on a native search thread (`searchAsync`), and exact scans of
 * a candidate bitset (`searchAmong`, natively, with SIMD distances). Native results are rescored
 * from the arena so that an HNSW hit and an exact hit for the same slot carry the same float64
 * score and sort identically.
 *
 * Dot product is not a metric, and an HNSW graph built on it leaves points with small norms
 * unreachable (hub points of large norm "cover" them in the neighbour heuristic; in a 1,500-point
 * test 16% of the points could never be found). Dot therefore uses the standard reduction of
 * maximum inner product search to Euclidean search: each stored vector x gets one extra coordinate
 * sqrt(Φ² − |x|²) and the query gets 0, so |q' − x'|² = |q|² + Φ² − 2·q·x ranks exactly by q·x.
 * Φ must bound every stored norm; it starts at twice the first non-zero norm and, when a larger
 * vector arrives, doubles past it and the graph is rebuilt from the arena (a blocking O(n log n)
 * step that happens O(log(largest norm / first norm)) times over the index's life). hnswlib
 * computes in float32 and the reduced distances are about Φ², so graph search stays accurate while
 * stored norms differ by less than about 1000×; scores are always exact (rescored from the arena).
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

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { assert } from '../base/assert.js';
import { LIMITS } from '../base/limits.js';
import { SLOT_MAX, VectorArena } from './arena.js';
import { hitComparator } from './distance.js';
import { SlotSet } from './slot-set.js';
import { assertK } from './exact-index.js';
import type { Distance, SlotHit } from './types.js';
import { NativeHnsw, type NativeHits, type NativeHnswGraph } from './native-hnsw.js';
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
  /** Graph and arena capacity at creation, in elements (default HNSW_INITIAL_CAPACITY). */
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

/** File-format tag and version of the arena file written beside the native graph file. */
const ARENA_MAGIC = 0x41544b48; // "HKTA" little-endian
const ARENA_VERSION = 1;
const ARENA_HEADER_BYTES = 32;
const DISTANCE_CODES: Record<Distance, number> = { Cosine: 1, Dot: 2, Euclid: 3 };

/** A VectorIndex on an HNSW graph (approximate) with an exact mode. */
export class HnswIndex implements VectorIndex {
  /** Vector dimension. */
  readonly dim: number;
  /** Distance function. */
  readonly distance: Distance;
  /** Beam width used when a search names no `ef`. */
  readonly efSearchDefault: number;
  private native: NativeHnswGraph | undefined;
  private readonly arena: VectorArena;
  private readonly m: number;
  private readonly efConstruct: number;
  private readonly seed: number;
  /** Dot only: the bound Φ on stored norms used by the extra coordinate (0 until a non-zero vector). */
  private dotNormBound = 0;
  /** 1 for every label hnswlib holds (live or tombstoned); grows with the arena. */
  private inGraph: Uint8Array;
  private readonly compare: (a: SlotHit, b: SlotHit) => number;
  /**
   * Counts the changes that can make a walk's answer stale: removals and new vectors for live
   * slots. (A vector for a dead slot cannot: a walk never returns a slot that was dead when it ran.)
   */
  private mutations = 0;
  /** Slots whose vector is in the arena but not yet in the graph (see `stage`). */
  private readonly staged = new Set<number>();

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
    this.arena = new VectorArena(dim, distance, capacity);
    this.inGraph = new Uint8Array(capacity);
    this.compare = hitComparator(distance);
  }

  /** Number of live vectors. */
  get count(): number {
    return this.arena.count;
  }

  /** One past the highest slot ever stored: live slots lie below it (the planner samples them). */
  get slotEnd(): number {
    return this.arena.slotEnd;
  }

  /** Elements the graph can hold before it is resized. */
  get capacity(): number {
    return this.open().capacity();
  }

  /** Inserts or replaces the vector at `slot` (normalised again for Cosine, which is idempotent). */
  upsert(slot: number, vector: Float32Array): void {
    const native = this.open();
    if (!this.setVector(slot, vector)) return;
    this.staged.delete(slot);
    this.reserve(1);
    this.inGraph[slot] = 1;
    native.add(this.nativeVector(slot), slot);
  }

  /**
   * Like `upsert`, but the graph insertion waits for `flushStaged`, which inserts every staged
   * vector at once on the native threads (in parallel). Until then the vector is stored (`vector`,
   * `has`, exact scans and `searchAmong` see it) and graph walks do not find it.
   */
  stage(slot: number, vector: Float32Array): void {
    this.open();
    if (this.setVector(slot, vector)) this.staged.add(slot);
  }

  /** Number of staged vectors not yet in the graph. */
  get stagedCount(): number {
    return this.staged.size;
  }

  /**
   * Inserts the staged vectors into the graph, `threads` insertions at a time on the native
   * threads, in chunks of about STAGED_CHUNK_VALUES floats so that searches wait at most one chunk.
   */
  async flushStaged(threads: number): Promise<void> {
    const native = this.open();
    if (this.staged.size === 0) return;
    const slots = Array.from(this.staged);
    this.staged.clear();
    const nativeDim = this.nativeDim();
    const chunk = Math.max(STAGED_CHUNK_POINTS_MIN, Math.floor(STAGED_CHUNK_VALUES / nativeDim));
    for (let start = 0; start < slots.length; start += chunk) {
      if (this.native !== native) return; // a Dot rebuild inserted every live vector
      // A slot removed (or inserted by `upsert`) since it was staged is left out.
      const batch = slots.slice(start, start + chunk).filter((slot) => this.arena.has(slot) && !this.staged.has(slot));
      if (batch.length === 0) continue;
      this.reserve(batch.length);
      const labels = Uint32Array.from(batch);
      const vectors = new Float32Array(batch.length * nativeDim);
      batch.forEach((slot, i) => {
        vectors.set(this.nativeVector(slot), i * nativeDim);
        this.inGraph[slot] = 1;
      });
      await native.addBatch(vectors, labels, threads);
    }
  }

  /**
   * Stores `vector` at `slot` in the arena; false when a Dot rebuild already put it in the graph.
   * Counts the change as a mutation when the slot was live.
   */
  private setVector(slot: number, vector: Float32Array): boolean {
    if (this.arena.set(slot, vector)) this.mutations++;
    if (slot >= this.inGraph.length) this.growLabelMap(slot + 1);
    if (this.distance === 'Dot') {
      const norm = Math.sqrt(squaredNorm(vector));
      if (norm > this.dotNormBound) {
        // The rebuild adds every live slot, this one and the staged ones included.
        this.dotNormBound = 2 * norm;
        this.staged.clear();
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
    if (!this.arena.delete(slot)) return;
    this.mutations++;
    this.staged.delete(slot);
    if (this.inGraph[slot] === 1) native.remove(slot);
  }

  /** True if `slot` holds a live vector. */
  has(slot: number): boolean {
    return this.arena.has(slot);
  }

  /** The stored vector at `slot` (a view; normalised for Cosine), or undefined. */
  vector(slot: number): Float32Array | undefined {
    return this.arena.view(slot);
  }

  /**
   * Up to `k` best hits. Approximate unless `exact`; the beam width is max(ef, k) with ef from the
   * options or the default. May return fewer than `k` when the filter rejects most of the graph
   * (the planner then falls back to an exact scan).
   */
  search(query: Float32Array, k: number, options?: IndexSearchOptions): SlotHit[] {
    const native = this.open();
    assertK(k);
    const prepared = this.arena.prepareQuery(query);
    if (options?.exact === true) return this.arena.scan(prepared, k, combinedAccept(options));
    const kNative = Math.min(k, this.arena.count);
    if (kNative === 0) return [];
    const accept = options?.accept;
    const set = options?.acceptSet;
    // A bitset alone is tested natively; a predicate calls back into JavaScript at every node.
    const filter = accept === undefined ? set?.words : combinedAccept(options);
    const found = native.searchSync(this.nativeQuery(prepared), kNative, this.efOf(options), filter);
    return this.rescore(found, prepared);
  }

  /**
   * Like `search`, walked on libuv's thread pool when the filter is at most a bitset (a predicate
   * must run on the JavaScript thread, so such searches, and exact ones, run synchronously).
   */
  async searchAsync(query: Float32Array, k: number, options?: IndexSearchOptions): Promise<SlotHit[]> {
    const native = this.open();
    assertK(k);
    if (options?.exact === true || options?.accept !== undefined) return this.search(query, k, options);
    const kNative = Math.min(k, this.arena.count);
    if (kNative === 0) return [];
    const prepared = this.arena.prepareQuery(query);
    const before = this.mutations;
    let found: NativeHits;
    try {
      found = await native.search(this.nativeQuery(prepared), kNative, this.efOf(options), options?.acceptSet?.words);
    } catch (e: unknown) {
      // A Dot rebuild closed this graph before the walk started: the new graph answers.
      if (this.native !== native && this.native !== undefined) return this.search(query, k, options);
      throw e;
    }
    // Writes applied during the walk may have freed or reused a slot it returns: answer again.
    if (this.mutations !== before || this.native !== native) return this.search(query, k, options);
    return this.rescore(found, prepared);
  }

  private efOf(options: IndexSearchOptions | undefined): number {
    const ef = options?.ef ?? this.efSearchDefault;
    assert(Number.isSafeInteger(ef) && ef > 0, () => `ef must be a positive integer, got ${ef}`);
    return ef;
  }

  /** The prepared query as the graph stores vectors (Dot's extra coordinate is 0 for queries). */
  private nativeQuery(prepared: Float32Array): Float32Array {
    if (this.distance !== 'Dot') return prepared;
    const out = new Float32Array(this.dim + 1);
    out.set(prepared);
    return out;
  }

  /** Native hits rescored from the arena, best first, ties by lower slot. */
  private rescore(found: NativeHits, prepared: Float32Array): SlotHit[] {
    const hits: SlotHit[] = [];
    for (const slot of found.labels) {
      // hnswlib never returns tombstoned labels; the check guards against a desync with the arena.
      assert(this.arena.has(slot), () => `hnswlib returned slot ${slot}, which is not live`);
      hits.push({ slot, score: this.arena.scoreSlot(slot, prepared) });
    }
    hits.sort(this.compare);
    return hits;
  }

  /**
   * Exact top-`k` over the given candidate slots that `accept` (when given) allows. A bitset of
   * candidates without a predicate is scanned natively (hnswlib's SIMD distances over the graph's
   * copy of the vectors, ≈ 8× faster than the JavaScript scan at 784 dimensions); the best
   * k + NATIVE_SCAN_MARGIN are rescored from the arena so that the order is the exact one.
   */
  searchAmong(query: Float32Array, slots: Iterable<number>, k: number, accept?: (slot: number) => boolean): SlotHit[] {
    const native = this.open();
    assertK(k);
    const prepared = this.arena.prepareQuery(query);
    // Staged vectors are not in the graph yet: only the arena sees every stored vector then.
    if (accept !== undefined || !(slots instanceof SlotSet) || this.staged.size > 0) return this.arena.scanAmong(prepared, slots, k, accept);
    if (k === 0 || slots.size === 0) return [];
    const found = native.scanSync(this.nativeQuery(prepared), Math.min(slots.size, k + NATIVE_SCAN_MARGIN), slots.words);
    return this.rescore(found, prepared).slice(0, k);
  }


  /** Frees the native graph (after searches in flight). The index is unusable afterwards. */
  close(): void {
    this.native?.close();
    this.native = undefined;
  }

  /**
   * Writes the graph to `file` and the arena to `file + '.arena'`, each through a temporary file
   * and a rename. The two files are not updated atomically together: a caller that needs that
   * writes into a fresh directory and renames the directory.
   */
  save(file: string): void {
    const native = this.open();
    // The graph file must hold every live slot of the arena file: staged vectors go in now.
    for (const slot of Array.from(this.staged)) {
      const vector = this.arena.view(slot);
      if (vector !== undefined) this.upsert(slot, vector);
    }
    this.staged.clear();
    native.write(`${file}.tmp`);
    renameSync(`${file}.tmp`, file);
    const { live, vectors } = this.arena.exportState();
    const header = Buffer.alloc(ARENA_HEADER_BYTES);
    header.writeUInt32LE(ARENA_MAGIC, 0);
    header.writeUInt32LE(ARENA_VERSION, 4);
    header.writeUInt32LE(this.dim, 8);
    header.writeUInt32LE(DISTANCE_CODES[this.distance], 12);
    header.writeUInt32LE(live.length, 16);
    header.writeUInt32LE(this.arena.count, 20);
    header.writeDoubleLE(this.dotNormBound, 24);
    const padding = Buffer.alloc((4 - (live.length % 4)) % 4);
    const body = Buffer.concat([
      header,
      Buffer.from(live.buffer, live.byteOffset, live.byteLength),
      padding,
      Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength),
    ]);
    writeFileSync(`${file}.arena.tmp`, body);
    renameSync(`${file}.arena.tmp`, `${file}.arena`);
  }

  /**
   * Reads an index written by `save`. `options` must name the same dimension and distance; `m`
   * and `efConstruct` come from the file. Throws when the files do not match each other.
   */
  static load(file: string, options: HnswIndexOptions): HnswIndex {
    const index = new HnswIndex({ ...options, initialCapacity: 1 });
    index.restore(file);
    return index;
  }

  private restore(file: string): void {
    const bytes = readFileSync(`${file}.arena`);
    if (bytes.length < ARENA_HEADER_BYTES || bytes.readUInt32LE(0) !== ARENA_MAGIC || bytes.readUInt32LE(4) !== ARENA_VERSION) {
      throw new Error(`${file}.arena is not a Hektor arena file of version ${ARENA_VERSION}`);
    }
    if (bytes.readUInt32LE(8) !== this.dim || bytes.readUInt32LE(12) !== DISTANCE_CODES[this.distance]) {
      throw new Error(`${file}.arena holds another dimension or distance than the collection (${this.dim}, ${this.distance})`);
    }
    const slotEnd = bytes.readUInt32LE(16);
    const liveCount = bytes.readUInt32LE(20);
    this.dotNormBound = bytes.readDoubleLE(24);
    const vectorsOffset = ARENA_HEADER_BYTES + slotEnd + ((4 - (slotEnd % 4)) % 4);
    if (bytes.length !== vectorsOffset + slotEnd * this.dim * 4) throw new Error(`${file}.arena has the wrong length`);
    const live = new Uint8Array(bytes.buffer, bytes.byteOffset + ARENA_HEADER_BYTES, slotEnd);
    // Copy the floats out: the Buffer's offset inside its pool need not be 4-byte aligned.
    const vectors = new Float32Array(slotEnd * this.dim);
    new Uint8Array(vectors.buffer).set(bytes.subarray(vectorsOffset));
    this.arena.importState(live, vectors);
    if (this.arena.count !== liveCount) throw new Error(`${file}.arena: live map and header disagree`);

    const native = new NativeHnsw(this.nativeSpace(), this.nativeDim());
    native.read(file);
    const labels = native.labels();
    let labelEnd = Math.max(slotEnd, 1);
    for (const label of labels) labelEnd = Math.max(labelEnd, label + 1);
    this.inGraph = new Uint8Array(labelEnd);
    for (const label of labels) this.inGraph[label] = 1;
    for (let slot = 0; slot < slotEnd; slot++) {
      if (this.arena.has(slot) && this.inGraph[slot] !== 1) throw new Error(`${file}: slot ${slot} is live in the arena but absent from the graph`);
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

  /** The vector hnswlib stores for a live slot (with Dot's extra coordinate): the arena's view otherwise. */
  private nativeVector(slot: number): Float32Array {
    const stored = this.arena.view(slot);
    assert(stored !== undefined, () => `slot ${slot} is not live in the arena`);
    if (this.distance !== 'Dot') return stored;
    const out = new Float32Array(this.dim + 1);
    out.set(stored);
    const bound = this.dotNormBound;
    out[this.dim] = Math.sqrt(Math.max(0, bound * bound - squaredNorm(stored)));
    return out;
  }

  /** Dot only: replaces the graph with one built from the live arena under the current norm bound. */
  private rebuild(): void {
    const previous = this.open();
    const native = this.createNative(Math.max(previous.capacity(), this.arena.count + 1));
    const end = this.arena.slotEnd;
    this.inGraph = new Uint8Array(Math.max(this.inGraph.length, end));
    for (let slot = 0; slot < end; slot++) {
      if (!this.arena.has(slot)) continue;
      native.add(this.nativeVector(slot), slot);
      this.inGraph[slot] = 1;
    }
    previous.close();
    this.native = native;
  }

  private growLabelMap(slotsMin: number): void {
    let capacity = Math.max(this.inGraph.length, 64);
    while (capacity < slotsMin) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.inGraph);
    this.inGraph = grown;
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
