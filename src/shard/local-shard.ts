/**
 * A local shard replica: the durable ShardStore plus the in-memory state that serves reads (the
 * vector index, payloads, payload indexes, id <-> slot maps). Writes go through one queue per
 * shard; each turn of the writer stages a group of operations against the current state, commits
 * their log entries and point changes in one durable transaction, and only then applies them to
 * memory and acknowledges them (group commit). A failed commit changes nothing.
 *
 * The shard knows nothing of collections, routing, Raft or RPC (Qdrant's segment/shard split).
 */

import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { assert, unreachable } from '../base/assert.js';
import { HektorError } from '../base/errors.js';
import { comparePointIds, pointIdKey, type PointId } from '../base/ids.js';
import { LIMITS } from '../base/limits.js';
import { normalize } from '../index/distance.js';
import { compileFilter } from '../index/filter.js';
import { HnswIndex } from '../index/hnsw-index.js';
import { releaseFreeMemorySoon } from '../index/native-hnsw.js';
import { PayloadIndexes } from '../index/payload-index.js';
import { exactCandidatesMax, planSearch, planSearchAsync, type SearchPath, type SearchPlanInput, type SearchPlanResult } from '../index/planner.js';
import type { Distance, Filter, Payload, PayloadIndexType } from '../index/types.js';
import type { LogEntry, PointWrite, ShardOp } from '../storage/ops.js';
import { ShardStore, type PointChange, type StoredPoint } from '../storage/shard-store.js';
import { deletePayloadKeys, selectPayload, setPayload, type PayloadSelector } from './payload.js';

/** A point as a snapshot stream carries it. */
export interface SnapshotPoint {
  id: PointId;
  version: number;
  vector: Float32Array;
  payload: Payload | null;
}

/** The part of a collection's config a shard needs. */
export interface ShardConfig {
  dim: number;
  distance: Distance;
  hnswM: number;
  hnswEfConstruct: number;
  onDiskPayload: boolean;
}

/** Which points a write targets: explicit ids, or every point matching a filter. */
export type PointSelector = { ids: PointId[] } | { filter: Filter };

/** A write as clients ask for it; filters are resolved to ids when it is staged. */
export type ShardWrite =
  | { type: 'upsert'; points: PointWrite[] }
  | { type: 'delete'; target: PointSelector }
  | { type: 'set_payload'; target: PointSelector; payload: Payload; key?: string }
  | { type: 'overwrite_payload'; target: PointSelector; payload: Payload }
  | { type: 'delete_payload'; target: PointSelector; keys: string[] }
  | { type: 'clear_payload'; target: PointSelector }
  /** Logs an entry that changes nothing (a new primary marks the start of its epoch). */
  | { type: 'noop' };

/** Result of an acknowledged write. */
export interface WriteResult {
  /** Sequence number of the log entry, or the current last seq when the write changed nothing. */
  seq: number;
}

/** A point as returned by reads. */
export interface PointRecord {
  id: PointId;
  payload: Payload | null;
  vector: number[] | null;
}

/** A point as returned by searches. */
export interface ScoredRecord extends PointRecord {
  score: number;
  version: number;
}

/** A search inside one shard. */
export interface ShardSearch {
  vector: Float32Array;
  /** Results wanted: the caller's limit + offset (offset is applied after merging shards). */
  top: number;
  filter?: Filter;
  ef?: number;
  exact?: boolean;
  scoreThreshold?: number;
  withPayload: PayloadSelector;
  withVector: boolean;
}


/** Per-write options a client may set; the shard passes them to its write gate. */
export interface WriteOptions {
  /** Overrides the collection's write consistency mode for this write (replicated shards). */
  consistency?: 'async' | 'sync' | 'semi_sync';
}

/**
 * The replication hook on a shard's client writes, installed by the replication runtime on the
 * shard's primary (and, refusing everything, on its followers). The shard calls `propose` for each
 * staged operation in seq order, logs it under `epoch`, commits, reports `persisted`, and
 * acknowledges the write only when the promise `propose` returned resolves.
 */
export interface WriteGate {
  /** The epoch entries are logged under. */
  readonly epoch: number;
  /**
   * Accepts the operation as entry `seq` (or throws a HektorError: nothing is written). The
   * returned promise settles when the write's consistency mode is met or has failed.
   */
  propose(op: ShardOp, seq: number, options: WriteOptions): Promise<void>;
  /** The group's operations are all proposed; the store is about to commit them. */
  staged(): void;
  /** Every entry through `seq` is durable in the store. */
  persisted(seq: number): void;
  /**
   * A commit failed: entries after the store's last seq were not written. Returns the error the
   * group's writes fail with (the gate knows whether they may survive elsewhere).
   */
  commitFailed(error: unknown): unknown;
}

type PendingWrite =
  | { kind: 'write'; write: ShardWrite; options: WriteOptions; resolve: (result: WriteResult) => void; reject: (error: unknown) => void }
  | { kind: 'task'; run: () => Promise<void>; resolve: () => void; reject: (error: unknown) => void };

type ClientWrite = Extract<PendingWrite, { kind: 'write' }>;

interface MemoryPoint {
  slot: number;
  version: number;
}

/** One shard replica on this node. */
export class LocalShard {
  readonly config: ShardConfig;
  private readonly store: ShardStore;
  private index: HnswIndex;
  private readonly dir: string;
  private gate: WriteGate | null = null;
  /** Set on shards of a cluster node: without a gate (replication not set up yet) writes are refused. */
  private gateRequired = false;
  private payloadIndexes = new PayloadIndexes();
  private readonly points = new Map<string, MemoryPoint>();
  private readonly slotIds: (PointId | undefined)[] = [];
  private readonly slotPayloads: (Payload | null | undefined)[] = [];
  /** The seq of each live slot's last write (the `version` searches report). */
  private readonly slotVersions: number[] = [];
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private changesSinceCheckpoint = 0;
  private readonly queue: PendingWrite[] = [];
  private writerRunning = false;
  private closed = false;
  /**
   * Counts applied changes to points that already existed (updates, deletes): an asynchronous
   * search that overlapped one answers again, since the filter it planned with may no longer hold
   * for a point it found. Inserts of new points cannot make a walk's answer wrong.
   */
  private existingChanged = 0;
  private idle: Promise<void> = Promise.resolve();
  /** Path of the planner used by the last search (observability and tests). */
  lastSearchPath: SearchPath | 'none' = 'none';

  private constructor(store: ShardStore, config: ShardConfig, index: HnswIndex, dir: string) {
    this.store = store;
    this.config = config;
    this.index = index;
    this.dir = dir;
  }

  /**
   * Opens the shard stored in `dir`, rebuilding its in-memory state from the durable store. The
   * HNSW graph saved at the last clean shutdown is loaded when present, then reconciled with the
   * store (points whose vector differs are re-inserted, slots the store does not hold are
   * removed), so a stale or partial save still yields an index equal to the store's contents;
   * without one the graph is rebuilt.
   */
  static open(dir: string, config: ShardConfig, payloadIndexSchema: Readonly<Record<string, PayloadIndexType>>): LocalShard {
    const options = { dim: config.dim, distance: config.distance, m: config.hnswM, efConstruct: config.hnswEfConstruct };
    let index: HnswIndex | undefined;
    const saved = join(dir, INDEX_DIR, INDEX_FILE);
    if (existsSync(saved)) {
      try {
        index = HnswIndex.load(saved, options);
      } catch {
        index = undefined; // unreadable or from another configuration: rebuild
      }
    }
    const shard = new LocalShard(ShardStore.open(dir), config, index ?? new HnswIndex(options), dir);
    for (const [field, type] of Object.entries(payloadIndexSchema)) shard.payloadIndexes.createIndex(field, type);
    let maxSlot = -1;
    shard.store.forEachPoint((p) => {
      shard.installPoint(p);
      maxSlot = Math.max(maxSlot, p.slot);
    });
    for (let slot = 0; slot < shard.index.slotEnd; slot++) {
      if (shard.index.has(slot) && shard.slotIds[slot] === undefined) shard.index.remove(slot);
    }
    shard.nextSlot = maxSlot + 1;
    for (let slot = 0; slot < shard.nextSlot; slot++) {
      if (shard.slotIds[slot] === undefined) shard.freeSlots.push(slot);
    }
    return shard;
  }

  /** Number of live points. */
  get pointCount(): number {
    return this.points.size;
  }

  /** Vectors in the vector index. */
  get indexedVectorCount(): number {
    return this.index.count;
  }

  /** Highest applied log seq. */
  get lastSeq(): number {
    return this.store.meta.lastSeq;
  }

  /** Epoch of the entry at lastSeq. */
  get lastEpoch(): number {
    return this.store.meta.lastEpoch;
  }

  /** Lowest seq still in the log. */
  get firstLogSeq(): number {
    return this.store.meta.firstLogSeq;
  }

  /** The highest primary epoch this replica has seen (durable). */
  get knownEpoch(): number {
    return this.store.knownEpoch;
  }

  /** Durably raises the known epoch. */
  setKnownEpoch(epoch: number): Promise<void> {
    if (epoch <= this.store.knownEpoch) return Promise.resolve();
    return this.exclusive(() => this.store.setKnownEpoch(epoch));
  }

  /** The last epoch in which this replica acted as primary (undefined when never). */
  get primaryEpoch(): number | undefined {
    return this.store.meta.primaryEpoch;
  }

  /** Durably records that this replica acts as primary in `epoch`. */
  setPrimaryEpoch(epoch: number): Promise<void> {
    return this.exclusive(() => this.store.setPrimaryEpoch(epoch));
  }

  /** Epoch of the log's base (the entry before firstLogSeq). */
  get baseEpoch(): number {
    return this.store.meta.baseEpoch ?? 0;
  }

  /** Drops log entries below `seq` (they stay reflected in the points). */
  compactLog(seq: number): Promise<void> {
    if (seq <= this.store.meta.firstLogSeq) return Promise.resolve();
    return this.exclusive(() => this.store.compactLogBefore(seq));
  }

  /**
   * Marks the installed snapshot as the state at (seq, epoch): the log becomes empty with that
   * base, the points stay. Called once every page of a snapshot is installed.
   */
  rebase(seq: number, epoch: number): Promise<void> {
    return this.exclusive(() => this.store.reset(seq, epoch, { keepPoints: true }));
  }

  /** The durable store, for the replication runtime's truncated-entries list and compaction. */
  get durable(): ShardStore {
    return this.store;
  }

  /** Installs (or removes, with null) the replication hook on client writes. */
  setWriteGate(gate: WriteGate | null): void {
    this.gate = gate;
  }

  /** From now on, client writes need a write gate (the shard is a replica managed by a cluster). */
  requireWriteGate(): void {
    this.gateRequired = true;
  }

  /** Log entries from `seq` on (for replication and tests). */
  entriesFrom(seq: number): Generator<LogEntry> {
    return this.store.entriesFrom(seq);
  }

  /** Payload indexes with their sizes. */
  payloadIndexInfo(): Record<string, { type: PayloadIndexType; points: number }> {
    return Object.fromEntries(this.payloadIndexes.list());
  }

  /** Creates a payload index on `field` and fills it from the existing points. */
  createPayloadIndex(field: string, type: PayloadIndexType): void {
    // Rebuilt whole: PayloadIndexes.add indexes every indexed field of a payload at once.
    const rebuilt = new PayloadIndexes();
    for (const [f, info] of this.payloadIndexes.list()) rebuilt.createIndex(f, info.type);
    rebuilt.createIndex(field, type);
    for (const [slot, payload] of this.livePayloads()) rebuilt.add(slot, payload ?? EMPTY_PAYLOAD);
    this.payloadIndexes = rebuilt;
  }

  /** Drops the payload index on `field`. */
  dropPayloadIndex(field: string): void {
    this.payloadIndexes.dropIndex(field);
  }

  // ---------------------------------------------------------------- writes

  /** Queues a write; resolves once it is durable and visible, rejects if it was refused. */
  write(write: ShardWrite, options: WriteOptions = {}): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new HektorError('shutting_down', 'the shard is closing; retry on another node or after restart'));
    if (this.queue.length >= LIMITS.writeQueueOpsMax) {
      return Promise.reject(new HektorError('too_many_requests', `the shard's write queue is full (${LIMITS.writeQueueOpsMax} operations); retry later`));
    }
    if (this.gateRequired && this.gate === null) {
      return Promise.reject(new HektorError('not_primary', 'this replica is not serving writes yet (it is starting or was closed); retry'));
    }
    return new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ kind: 'write', write, options, resolve, reject });
      this.kickWriter();
    });
  }

  /** Runs `run` with no client write staged or committing (role changes read the durable log). */
  runExclusive(run: () => Promise<void>): Promise<void> {
    return this.exclusive(run);
  }

  /** Runs `run` alone on the writer (no client write is staged or committed meanwhile). */
  private exclusive(run: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new HektorError('shutting_down', 'the shard is closing'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'task', run, resolve, reject });
      this.kickWriter();
    });
  }

  private kickWriter(): void {
    if (!this.writerRunning) this.idle = this.runWriter();
  }

  /**
   * Applies entries received from the primary (a follower): each is staged leniently (ids that do
   * not exist are skipped: the log was resolved on the primary), committed with its own seq and
   * epoch in one durable transaction, then applied to memory.
   */
  applyReplicated(entries: readonly LogEntry[]): Promise<void> {
    return this.exclusive(async () => {
      const first = entries[0];
      if (first === undefined) return;
      assert(first.seq === this.lastSeq + 1, `replicated entry ${first.seq} does not follow ${this.lastSeq}`);
      const stage = new Stage(this);
      for (const entry of entries) {
        stage.replay(entry.op);
        stage.stamp(entry.op, entry.seq);
      }
      try {
        await this.store.commit(entries, stage.changes());
      } catch (e: unknown) {
        stage.releaseSlots();
        throw e;
      }
      await this.applyCommitted(stage.changes());
    });
  }

  /**
   * Empties the replica and bases it at (seq, epoch): before a snapshot is installed, or when
   * entries already applied must be truncated (they cannot be undone in place).
   */
  resetTo(seq: number, epoch: number): Promise<void> {
    return this.exclusive(async () => {
      await this.store.reset(seq, epoch);
      this.points.clear();
      this.slotIds.length = 0;
      this.slotPayloads.length = 0;
      this.slotVersions.length = 0;
      this.freeSlots.length = 0;
      this.nextSlot = 0;
      const rebuilt = new PayloadIndexes();
      for (const [field, info] of this.payloadIndexes.list()) rebuilt.createIndex(field, info.type);
      this.payloadIndexes = rebuilt;
      const old = this.index;
      this.index = new HnswIndex({ dim: this.config.dim, distance: this.config.distance, m: this.config.hnswM, efConstruct: this.config.hnswEfConstruct });
      old.close();
      rmSync(join(this.dir, INDEX_DIR), { recursive: true, force: true });
    });
  }

  /** Installs a page of a snapshot's points (durably, without log entries). */
  installSnapshotPoints(points: readonly SnapshotPoint[]): Promise<void> {
    return this.exclusive(async () => {
      const stored: StoredPoint[] = [];
      const allocated: number[] = [];
      for (const p of points) {
        let slot = this.points.get(pointIdKey(p.id))?.slot;
        if (slot === undefined) {
          slot = this.allocateSlot();
          allocated.push(slot);
        }
        stored.push({ id: p.id, slot, version: p.version, vector: p.vector, payload: p.payload });
      }
      try {
        await this.store.installPoints(stored);
      } catch (e: unknown) {
        for (const slot of allocated.reverse()) this.releaseSlot(slot);
        throw e;
      }
      for (const p of stored) this.applyChange({ id: p.id, point: p });
    });
  }

  /**
   * A page of the stored points in id order after `after`, for a snapshot stream: at most
   * `limit` points and, past the first, about `bytesMax` bytes of vectors and payloads.
   */
  snapshotPage(after: PointId | undefined, limit: number, bytesMax: number): { points: SnapshotPoint[]; last: PointId | undefined } {
    const points: SnapshotPoint[] = [];
    let last: PointId | undefined;
    let bytes = 0;
    for (const id of this.store.idsFrom(after)) {
      if (after !== undefined && comparePointIds(id, after) === 0) continue;
      if (points.length >= limit || (points.length > 0 && bytes >= bytesMax)) break;
      const p = this.store.getPoint(id);
      if (p === undefined) continue;
      points.push({ id, version: p.version, vector: p.vector, payload: p.payload });
      bytes += p.vector.byteLength + (p.payload === null ? 0 : JSON.stringify(p.payload).length);
      last = id;
    }
    return { points, last };
  }

  private async runWriter(): Promise<void> {
    this.writerRunning = true;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0];
        assert(head !== undefined);
        if (head.kind === 'task') {
          this.queue.shift();
          try {
            await head.run();
            head.resolve();
          } catch (e: unknown) {
            head.reject(e);
          }
          continue;
        }
        const group = this.takeGroup();
        await this.commitGroup(group);
      }
    } finally {
      this.writerRunning = false;
    }
  }

  /** Takes the next group of client writes: up to the limit, cut before a filter-targeted write so it sees earlier writes applied. */
  private takeGroup(): ClientWrite[] {
    const group: ClientWrite[] = [];
    while (this.queue.length > 0 && group.length < LIMITS.writeGroupOpsMax) {
      const next = this.queue[0];
      assert(next !== undefined);
      if (next.kind !== 'write') break;
      if (group.length > 0 && 'target' in next.write && 'filter' in next.write.target) break;
      group.push(next);
      this.queue.shift();
    }
    return group;
  }

  private async commitGroup(group: ClientWrite[]): Promise<void> {
    const stage = new Stage(this);
    const gate = this.gate;
    const accepted: { pending: ClientWrite; seq: number; acked: Promise<void> | undefined }[] = [];
    const entries: LogEntry[] = [];
    for (const pending of group) {
      try {
        const op = stage.apply(pending.write);
        if (op === null) {
          pending.resolve({ seq: this.lastSeq + entries.length });
          continue;
        }
        const seq = this.lastSeq + entries.length + 1;
        const acked = gate?.propose(op, seq, pending.options);
        // Observed at once: a failed commit settles it before anyone awaits it.
        acked?.catch(() => undefined);
        stage.stamp(op, seq);
        entries.push({ seq, epoch: gate?.epoch ?? this.store.meta.lastEpoch, op });
        accepted.push({ pending, seq, acked });
      } catch (e: unknown) {
        stage.rollbackLast();
        pending.reject(e);
      }
    }
    if (entries.length === 0) return;
    gate?.staged();
    try {
      await this.store.commit(entries, stage.changes());
    } catch (e: unknown) {
      stage.releaseSlots();
      const failure = gate === null ? e : gate.commitFailed(e);
      for (const a of accepted) a.pending.reject(failure);
      return;
    }
    const changes = stage.changes();
    await this.applyCommitted(changes);
    gate?.persisted(this.lastSeq);
    for (const a of accepted) {
      if (a.acked === undefined) a.pending.resolve({ seq: a.seq });
      else a.acked.then(() => a.pending.resolve({ seq: a.seq }), a.pending.reject);
    }
  }

  /**
   * Applies committed changes to memory and checkpoints the graph after enough of them. Indexing
   * a large group takes hundreds of milliseconds (≈ 0.2 ms a point at 128-d), so the loop hands the
   * event loop back every APPLY_SLICE_MS: searches keep being answered, and the sockets keep being
   * read, so the next batch is received and parsed while this one is indexed. Each change is
   * applied whole; a group may be partly visible to readers until it is acknowledged.
   */
  private async applyCommitted(changes: readonly PointChange[]): Promise<void> {
    let sliceStartMs = performance.now();
    for (const change of changes) {
      this.applyChange(change);
      if (performance.now() - sliceStartMs >= APPLY_SLICE_MS) {
        await yieldToEventLoop();
        sliceStartMs = performance.now();
      }
    }
    // The group's new vectors enter the graph together, on every core, in chunks between which
    // the event loop runs.
    await this.index.flushStaged(INDEX_THREADS);
    releaseFreeMemorySoon();
    this.changesSinceCheckpoint += changes.length;
    if (this.changesSinceCheckpoint >= LIMITS.indexCheckpointPointChanges) {
      // Bounded work between checkpoints keeps a restart after kill -9 close to a clean one. The
      // graph file is written on a pool thread (0.03–0.4 s for 100k × 128-d to 60k × 784-d here),
      // so searches are answered meanwhile; the writer, the only one to change the index, waits.
      this.changesSinceCheckpoint = 0;
      await this.saveIndex();
    }
  }

  private applyChange(change: PointChange): void {
    const key = pointIdKey(change.id);
    const existing = this.points.get(key);
    if (existing !== undefined) {
      this.existingChanged++;
      const oldPayload = this.payloadOf(existing.slot);
      this.payloadIndexes.remove(existing.slot, oldPayload ?? EMPTY_PAYLOAD);
      if (change.point === null || change.point.slot !== existing.slot) {
        this.index.remove(existing.slot);
        this.slotIds[existing.slot] = undefined;
        this.slotPayloads[existing.slot] = undefined;
        this.points.delete(key);
        this.freeSlots.push(existing.slot);
      }
    }
    if (change.point !== null) this.installPoint(change.point);
  }

  private installPoint(p: StoredPoint): void {
    this.points.set(pointIdKey(p.id), { slot: p.slot, version: p.version });
    this.slotIds[p.slot] = p.id;
    this.slotVersions[p.slot] = p.version;
    if (!this.config.onDiskPayload) this.slotPayloads[p.slot] = p.payload;
    if (!this.indexHolds(p.slot, p.vector)) this.index.stage(p.slot, p.vector);
    this.payloadIndexes.add(p.slot, p.payload ?? EMPTY_PAYLOAD);
  }

  /**
   * True if the index already holds `vector` at `slot`, compared as the index stores it (Cosine
   * vectors normalised) and within float32 rounding: re-normalising can move the last bits, and
   * treating that as a change would re-insert every point of a reloaded graph.
   */
  private indexHolds(slot: number, vector: Float32Array): boolean {
    const held = this.index.vector(slot);
    if (held === undefined || held.length !== vector.length) return false;
    const expected = this.config.distance === 'Cosine' ? normalize(vector) : vector;
    for (let i = 0; i < held.length; i++) {
      const a = held[i] ?? 0;
      const b = expected[i] ?? 0;
      if (Math.abs(a - b) > 1e-6 * Math.max(1, Math.abs(b))) return false;
    }
    return true;
  }

  /** Allocates a slot for a new point (the stage gives it back if the commit fails). */
  allocateSlot(): number {
    return this.freeSlots.pop() ?? this.nextSlot++;
  }

  /** Returns a slot allocated for a write that was not committed. */
  releaseSlot(slot: number): void {
    if (slot === this.nextSlot - 1) this.nextSlot--;
    else this.freeSlots.push(slot);
  }

  /** The stored state of a point as the writer stages against it. */
  storedPoint(id: PointId): StoredPoint | undefined {
    const mem = this.points.get(pointIdKey(id));
    if (mem === undefined) return undefined;
    const vector = this.index.vector(mem.slot);
    assert(vector !== undefined, 'live point without a vector');
    return { id, slot: mem.slot, version: mem.version, vector, payload: this.payloadOf(mem.slot) };
  }

  // ---------------------------------------------------------------- reads

  /** The payload of a live slot. */
  private payloadOf(slot: number): Payload | null {
    if (!this.config.onDiskPayload) return this.slotPayloads[slot] ?? null;
    const id = this.slotIds[slot];
    if (id === undefined) return null;
    return this.store.getPoint(id)?.payload ?? null;
  }

  private *livePayloads(): Generator<[number, Payload | null]> {
    for (const mem of this.points.values()) yield [mem.slot, this.payloadOf(mem.slot)];
  }

  private record(slot: number, withPayload: PayloadSelector, withVector: boolean): PointRecord {
    const id = this.slotIds[slot];
    assert(id !== undefined, 'record of a free slot');
    const vector = withVector ? this.index.vector(slot) : undefined;
    return {
      id,
      payload: selectPayload(this.payloadOf(slot), withPayload),
      vector: vector === undefined ? null : Array.from(vector),
    };
  }

  /** Points by id, in the order asked, skipping missing ones. */
  retrieve(ids: readonly PointId[], withPayload: PayloadSelector, withVector: boolean): PointRecord[] {
    const out: PointRecord[] = [];
    for (const id of ids) {
      const mem = this.points.get(pointIdKey(id));
      if (mem !== undefined) out.push(this.record(mem.slot, withPayload, withVector));
    }
    return out;
  }

  /** True if the point exists. */
  has(id: PointId): boolean {
    return this.points.has(pointIdKey(id));
  }

  private slotPredicate(filter: Filter | undefined): ((slot: number) => boolean) | undefined {
    if (filter === undefined) return undefined;
    const matches = compileFilter(filter);
    return (slot: number) => {
      const id = this.slotIds[slot];
      return id !== undefined && matches(id, this.payloadOf(slot) ?? EMPTY_PAYLOAD);
    };
  }

  /** Top results of a search in this shard, best first, ties by id. */
  search(request: ShardSearch): ScoredRecord[] {
    return this.searchResults(request, planSearch(this.planInput(request)));
  }

  /**
   * Like `search`, with the graph walk on a native search thread (the event loop serves other
   * requests meanwhile). Other plans run synchronously.
   */
  async searchAsync(request: ShardSearch): Promise<ScoredRecord[]> {
    let plan: SearchPlanResult;
    try {
      const before = this.existingChanged;
      plan = await planSearchAsync(this.planInput(request));
      if (this.existingChanged !== before && !this.closed) plan = planSearch(this.planInput(request));
    } catch (e: unknown) {
      if (this.closed) throw new HektorError('shutting_down', 'the shard closed during the search; retry on another node or after restart');
      throw e;
    }
    if (this.closed) throw new HektorError('shutting_down', 'the shard closed during the search; retry on another node or after restart');
    return this.searchResults(request, plan);
  }

  private planInput(request: ShardSearch): SearchPlanInput {
    const accept = this.slotPredicate(request.filter);
    // Candidates are built up to half the points: past the exact-scan limit they still make the
    // graph walk's filter cheaper (a bitset test), but a set near all points costs as much to build
    // (~5 ns a slot) as the walk saves.
    const candidatesMax = Math.max(exactCandidatesMax(this.index.count, this.index.dim), this.index.count / 2);
    const candidates = request.filter === undefined ? undefined : this.payloadIndexes.candidates(request.filter, candidatesMax, this.index.slotEnd);
    return {
      index: this.index,
      query: request.vector,
      k: request.top,
      ...(request.ef === undefined ? {} : { ef: request.ef }),
      exact: request.exact === true,
      ...(accept === undefined ? {} : { accept }),
      ...(candidates === undefined ? {} : { candidates }),
    };
  }

  private searchResults(request: ShardSearch, plan: SearchPlanResult): ScoredRecord[] {
    this.lastSearchPath = plan.path;
    // Hot path: results are built directly (no intermediate records, no id-keyed lookups).
    const out: ScoredRecord[] = [];
    const threshold = request.scoreThreshold;
    for (const hit of plan.hits) {
      if (threshold !== undefined && !passesThreshold(this.config.distance, hit.score, threshold)) continue;
      const id = this.slotIds[hit.slot];
      assert(id !== undefined, 'search hit on a free slot');
      const vector = request.withVector ? this.index.vector(hit.slot) : undefined;
      out.push({
        id,
        payload: request.withPayload === false ? null : selectPayload(this.payloadOf(hit.slot), request.withPayload),
        vector: vector === undefined ? null : Array.from(vector),
        score: hit.score,
        version: this.slotVersions[hit.slot] ?? 0,
      });
    }
    return out.length > 1 ? sortScored(this.config.distance, out) : out;
  }

  /** Points in id order from `offset` (inclusive), up to `limit`, with the id to continue from. */
  scroll(request: { offset?: PointId; limit: number; filter?: Filter; withPayload: PayloadSelector; withVector: boolean }): {
    points: PointRecord[];
    nextOffset: PointId | null;
  } {
    const accept = this.slotPredicate(request.filter);
    const points: PointRecord[] = [];
    for (const id of this.store.idsFrom(request.offset)) {
      const mem = this.points.get(pointIdKey(id));
      if (mem === undefined) continue;
      if (accept !== undefined && !accept(mem.slot)) continue;
      if (points.length === request.limit) return { points, nextOffset: id };
      points.push(this.record(mem.slot, request.withPayload, request.withVector));
    }
    return { points, nextOffset: null };
  }

  /** Number of points matching the filter (all points without one). */
  count(filter: Filter | undefined): number {
    if (filter === undefined) return this.points.size;
    return this.matchingSlots(filter).length;
  }

  /** Ids of every point matching the filter, in id order. */
  matchingIds(filter: Filter): PointId[] {
    return this.matchingSlots(filter)
      .map((slot) => this.slotIds[slot])
      .filter((id): id is PointId => id !== undefined)
      .sort(comparePointIds);
  }

  private matchingSlots(filter: Filter): number[] {
    const accept = this.slotPredicate(filter);
    assert(accept !== undefined);
    const candidates = this.payloadIndexes.candidates(filter, Number.POSITIVE_INFINITY, this.index.slotEnd);
    // The payload indexes answer the whole filter: no payload is read.
    if (candidates?.exact === true) return Array.from(candidates.slots);
    const out: number[] = [];
    if (candidates !== undefined) {
      for (const slot of candidates.slots) if (accept(slot)) out.push(slot);
    } else {
      for (const mem of this.points.values()) if (accept(mem.slot)) out.push(mem.slot);
    }
    return out;
  }

  /** Waits for queued writes, saves the HNSW graph for a fast restart, then closes the store. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle;
    await this.saveIndex();
    this.index.close();
    await this.store.close();
    // A closed shard (a deleted collection, a shard moved away) frees its graph and buffers.
    releaseFreeMemorySoon();
  }

  /**
   * Saves the graph into a fresh directory renamed over the old one, so that a crash mid-save
   * leaves either the old save or the new one. A failed save only costs a rebuild at next start.
   * The graph file is written off the event loop (HnswIndex.saveAsync); the caller must not change
   * the index until this settles.
   */
  private async saveIndex(): Promise<void> {
    const temp = this.indexSaveDir();
    try {
      rmSync(temp, { recursive: true, force: true });
      mkdirSync(temp);
      await this.index.saveAsync(join(temp, INDEX_FILE));
      this.publishIndexSave(temp);
    } catch {
      rmSync(temp, { recursive: true, force: true });
    }
  }

  /** The directory a save is written into before it is renamed over the previous save. */
  private indexSaveDir(): string {
    return `${join(this.dir, INDEX_DIR)}.tmp`;
  }

  /** Renames a finished save over the previous one. */
  private publishIndexSave(temp: string): void {
    const target = join(this.dir, INDEX_DIR);
    rmSync(target, { recursive: true, force: true });
    renameSync(temp, target);
  }
}

/** Longest stretch of applying committed changes before the event loop gets a turn. */
const APPLY_SLICE_MS = 5;
/** Insertions into the graph at a time while a committed group is applied: one per core. */
const INDEX_THREADS = availableParallelism();

/** Resolves after the event loop has run its pending I/O callbacks (a macrotask turn). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Where a shard keeps its saved HNSW graph, inside its directory. */
const INDEX_DIR = 'hnsw';
const INDEX_FILE = 'graph.bin';

const EMPTY_PAYLOAD: Payload = Object.freeze({});


/** True if `score` is at least as good as `threshold` for the distance. */
export function passesThreshold(distance: Distance, score: number, threshold: number): boolean {
  return distance === 'Euclid' ? score <= threshold : score >= threshold;
}

/** Sorts results best first, ties by id (the deterministic merge order of DESIGN.md §5). */
export function sortScored<T extends { score: number; id: PointId }>(distance: Distance, hits: T[]): T[] {
  const sign = distance === 'Euclid' ? 1 : -1;
  return hits.sort((a, b) => (a.score !== b.score ? sign * (a.score - b.score) : comparePointIds(a.id, b.id)));
}

/**
 * A group of writes being staged: an overlay of point changes over the shard's current state,
 * so that later writes in the group see earlier ones.
 */
class Stage {
  private readonly shard: LocalShard;
  private readonly overlay = new Map<string, PointChange>();
  private readonly allocated: number[] = [];
  private undo: { overlay: Map<string, PointChange>; allocated: number } | undefined;

  constructor(shard: LocalShard) {
    this.shard = shard;
  }

  private current(id: PointId): StoredPoint | undefined {
    const staged = this.overlay.get(pointIdKey(id));
    if (staged !== undefined) return staged.point ?? undefined;
    return this.shard.storedPoint(id);
  }

  private put(id: PointId, point: StoredPoint | null): void {
    this.overlay.set(pointIdKey(id), { id, point });
  }

  /** Stages one write and returns its resolved log operation, or null if it changes nothing. */
  apply(write: ShardWrite): ShardOp | null {
    this.undo = { overlay: new Map(this.overlay), allocated: this.allocated.length };
    switch (write.type) {
      case 'upsert':
        for (const p of write.points) {
          const existing = this.current(p.id);
          const slot = existing?.slot ?? this.allocate();
          this.put(p.id, { id: p.id, slot, version: 0, vector: p.vector, payload: p.payload });
        }
        return write.points.length === 0 ? null : { type: 'upsert', points: write.points };
      case 'delete': {
        const ids = this.resolve(write.target, false);
        for (const id of ids) this.put(id, null);
        return ids.length === 0 ? null : { type: 'delete', ids };
      }
      case 'set_payload': {
        const ids = this.resolve(write.target, true);
        this.editPayloads(ids, (old) => setPayload(old, write.payload, write.key));
        return ids.length === 0 ? null : { type: 'set_payload', ids, payload: write.payload, ...(write.key === undefined ? {} : { key: write.key }) };
      }
      case 'overwrite_payload': {
        const ids = this.resolve(write.target, true);
        this.editPayloads(ids, () => structuredClone(write.payload));
        return ids.length === 0 ? null : { type: 'overwrite_payload', ids, payload: write.payload };
      }
      case 'delete_payload': {
        const ids = this.resolve(write.target, true);
        this.editPayloads(ids, (old) => deletePayloadKeys(old, write.keys));
        return ids.length === 0 ? null : { type: 'delete_payload', ids, keys: write.keys };
      }
      case 'clear_payload': {
        const ids = this.resolve(write.target, true);
        this.editPayloads(ids, () => null);
        return ids.length === 0 ? null : { type: 'clear_payload', ids };
      }
      case 'noop':
        return { type: 'noop' };
      default:
        return unreachable(write);
    }
  }

  /**
   * Stages an operation from the log as a follower replays it: ids were resolved on the primary,
   * so a payload edit or delete of an id that is not here (a snapshot already past it) is skipped.
   */
  replay(op: ShardOp): void {
    switch (op.type) {
      case 'upsert':
        for (const p of op.points) {
          const slot = this.current(p.id)?.slot ?? this.allocate();
          this.put(p.id, { id: p.id, slot, version: 0, vector: p.vector, payload: p.payload });
        }
        return;
      case 'delete':
        for (const id of op.ids) if (this.current(id) !== undefined) this.put(id, null);
        return;
      case 'set_payload':
        this.editPayloads(this.existing(op.ids), (old) => setPayload(old, op.payload, op.key));
        return;
      case 'overwrite_payload':
        this.editPayloads(this.existing(op.ids), () => structuredClone(op.payload));
        return;
      case 'delete_payload':
        this.editPayloads(this.existing(op.ids), (old) => deletePayloadKeys(old, op.keys));
        return;
      case 'clear_payload':
        this.editPayloads(this.existing(op.ids), () => null);
        return;
      case 'noop':
        return;
      default:
        unreachable(op);
    }
  }

  private existing(ids: readonly PointId[]): PointId[] {
    return ids.filter((id) => this.current(id) !== undefined);
  }

  /** Sets the version of every point the op touched to its seq. */
  stamp(op: ShardOp, seq: number): void {
    const ids = op.type === 'upsert' ? op.points.map((p) => p.id) : op.type === 'noop' ? [] : op.ids;
    for (const id of ids) {
      const change = this.overlay.get(pointIdKey(id));
      if (change?.point) change.point.version = seq;
    }
  }

  /** Undoes the effects of the last apply (it threw). */
  rollbackLast(): void {
    if (this.undo === undefined) return;
    this.overlay.clear();
    for (const [k, v] of this.undo.overlay) this.overlay.set(k, v);
    while (this.allocated.length > this.undo.allocated) {
      const slot = this.allocated.pop();
      if (slot !== undefined) this.shard.releaseSlot(slot);
    }
  }

  /** Returns every slot this stage allocated (the commit failed). */
  releaseSlots(): void {
    while (this.allocated.length > 0) {
      const slot = this.allocated.pop();
      if (slot !== undefined) this.shard.releaseSlot(slot);
    }
  }

  /** The staged changes, one per point. */
  changes(): PointChange[] {
    return [...this.overlay.values()];
  }

  private allocate(): number {
    const slot = this.shard.allocateSlot();
    this.allocated.push(slot);
    return slot;
  }

  private resolve(target: PointSelector, mustExist: boolean): PointId[] {
    if ('filter' in target) return this.shard.matchingIds(target.filter);
    const ids: PointId[] = [];
    const seen = new Set<string>();
    for (const id of target.ids) {
      const key = pointIdKey(id);
      if (seen.has(key)) continue;
      seen.add(key);
      if (this.current(id) === undefined) {
        if (mustExist) throw new HektorError('point_not_found', `no point with id ${JSON.stringify(id)} exists; upsert it first`, { id });
        continue;
      }
      ids.push(id);
    }
    return ids;
  }

  private editPayloads(ids: readonly PointId[], edit: (old: Payload | null) => Payload | null): void {
    for (const id of ids) {
      const existing = this.current(id);
      assert(existing !== undefined, 'payload edit of a missing point');
      this.put(id, { ...existing, payload: edit(existing.payload) });
    }
  }
}
