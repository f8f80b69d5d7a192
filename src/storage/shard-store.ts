/**
 * The durable store of one shard replica: its points (slot, version, vector, payload), its
 * operation log, and a little metadata, all in one LMDB environment so that a log entry and the
 * state it produces commit in one transaction. A shard is a directory: moving or deleting a shard
 * moves or deletes that directory.
 *
 * Durability: `commit` resolves only after LMDB has committed and flushed the transaction, so a
 * write acknowledged after `commit` survives `kill -9` and power loss.
 */

import { open, type Database, type RootDatabase } from 'lmdb';
import { assert } from '../base/assert.js';
import { HektorError, errorMessage } from '../base/errors.js';
import { decodePointKey, encodePointKey, type PointId } from '../base/ids.js';
import type { Payload } from '../index/types.js';
import type { LogEntry, ShardOp } from './ops.js';

/** A point as stored: the slot it occupies in memory, the seq of its last write, vector, payload. */
export interface StoredPoint {
  id: PointId;
  slot: number;
  version: number;
  vector: Float32Array;
  payload: Payload | null;
}

/** A change to one point inside a commit: the new stored form, or null for a delete. */
export interface PointChange {
  id: PointId;
  point: StoredPoint | null;
}

const RECORD_HEADER_BYTES = 16;

/** Serialises a stored point: u32 slot, f64 version, u32 dim, float32 vector, JSON payload. */
export function encodeRecord(point: StoredPoint): Buffer {
  const payloadText = point.payload === null ? '' : JSON.stringify(point.payload);
  const payloadBytes = Buffer.byteLength(payloadText);
  const vectorBytes = point.vector.length * 4;
  const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + vectorBytes + payloadBytes);
  buf.writeUInt32LE(point.slot, 0);
  buf.writeDoubleLE(point.version, 4);
  buf.writeUInt32LE(point.vector.length, 12);
  Buffer.from(point.vector.buffer, point.vector.byteOffset, vectorBytes).copy(buf, RECORD_HEADER_BYTES);
  buf.write(payloadText, RECORD_HEADER_BYTES + vectorBytes, 'utf8');
  return buf;
}

/** Parses a record made by encodeRecord. */
export function decodeRecord(id: PointId, buf: Uint8Array): StoredPoint {
  // `length`, not `byteLength`: lmdb-js's getBinaryFast returns a view whose byteLength is the
  // size of its whole shared read buffer.
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const dim = b.readUInt32LE(12);
  const vectorEnd = RECORD_HEADER_BYTES + dim * 4;
  assert(b.length >= vectorEnd, 'stored record shorter than its vector');
  const vector = new Float32Array(dim);
  Buffer.from(vector.buffer).set(b.subarray(RECORD_HEADER_BYTES, vectorEnd));
  const payloadText = b.toString('utf8', vectorEnd);
  return {
    id,
    slot: b.readUInt32LE(0),
    version: b.readDoubleLE(4),
    vector,
    payload: payloadText === '' ? null : (JSON.parse(payloadText) as Payload),
  };
}

/** Log entries as msgpack values: vectors travel as raw float32 bytes. */
export interface EncodedPointWrite {
  id: PointId;
  v: Buffer;
  payload: Payload | null;
}
/** A shard op with its vectors as raw float32 bytes. */
export type EncodedOp = Exclude<ShardOp, { type: 'upsert' }> | { type: 'upsert'; points: EncodedPointWrite[] };
/** A log entry in its stored (and replicated) form. */
export interface EncodedEntry {
  seq: number;
  epoch: number;
  op: EncodedOp;
}

/** Converts a log entry to its stored form (vectors as bytes). */
export function encodeEntry(entry: LogEntry): EncodedEntry {
  if (entry.op.type !== 'upsert') return { seq: entry.seq, epoch: entry.epoch, op: entry.op };
  const points = entry.op.points.map((p) => ({
    id: p.id,
    v: Buffer.from(p.vector.buffer, p.vector.byteOffset, p.vector.byteLength),
    payload: p.payload,
  }));
  return { seq: entry.seq, epoch: entry.epoch, op: { type: 'upsert', points } };
}

/** Converts a stored entry back (vectors copied into aligned Float32Arrays). */
export function decodeEntry(raw: EncodedEntry): LogEntry {
  if (raw.op.type !== 'upsert') return { seq: raw.seq, epoch: raw.epoch, op: raw.op };
  const points = raw.op.points.map((p) => {
    const vector = new Float32Array(p.v.byteLength / 4);
    Buffer.from(vector.buffer).set(p.v);
    return { id: p.id, vector, payload: p.payload };
  });
  return { seq: raw.seq, epoch: raw.epoch, op: { type: 'upsert', points } };
}

/**
 * lmdb-js rejects a failed commit with a generic error whose `commitError` is a second, rejected
 * promise holding the cause (for example ENOSPC/EIO on a full disk). That promise must be
 * consumed, or the process dies of an unhandled rejection.
 */
async function commitErrorMessage(e: unknown): Promise<string> {
  const inner = (e as { commitError?: unknown }).commitError;
  if (inner instanceof Promise) {
    try {
      await inner;
    } catch (cause: unknown) {
      return `${errorMessage(e)}: ${errorMessage(cause)}`;
    }
  }
  return errorMessage(e);
}

/** Metadata a shard keeps beside its data. */
export interface ShardMeta {
  /** Highest seq whose entry is committed (and therefore applied) in this store. */
  lastSeq: number;
  /** Epoch of the entry at lastSeq. */
  lastEpoch: number;
  /** Lowest seq still in the log (entries below were compacted away). */
  firstLogSeq: number;
  /**
   * The highest primary epoch this replica has seen (replication fencing): appends from older
   * epochs are refused. Absent in stores written before replication; read as lastEpoch then.
   */
  knownEpoch?: number;
  /** Epoch of the entry at firstLogSeq - 1 (the log's base), 0 when nothing was compacted. */
  baseEpoch?: number;
  /** The last epoch in which this replica acted as primary (streaming entries before they were durable). */
  primaryEpoch?: number;
}

/** A log entry removed by divergence repair after a failover: kept until the operator decides. */
export interface TruncatedRecord {
  /** Key in the truncated list (rises with each record). */
  id: number;
  entry: LogEntry;
  /** The epoch of the primary whose log made the entry obsolete. */
  truncatedInEpoch: number;
  /** Wall-clock time the entry was truncated. */
  atMs: number;
}

interface EncodedTruncated {
  entry: EncodedEntry;
  truncatedInEpoch: number;
  atMs: number;
}

/** Durable per-shard store on LMDB. */
export class ShardStore {
  private readonly root: RootDatabase;
  private readonly points: Database<Buffer, Buffer>;
  private readonly log: Database<EncodedEntry, number>;
  private readonly metaDb: Database<ShardMeta, string>;
  private readonly truncatedDb: Database<EncodedTruncated, number>;
  private metaValue: ShardMeta;

  private constructor(root: RootDatabase) {
    this.root = root;
    this.points = root.openDB<Buffer, Buffer>({ name: 'points', encoding: 'binary', keyEncoding: 'binary' });
    this.log = root.openDB<EncodedEntry, number>({ name: 'oplog', keyEncoding: 'uint32' });
    this.metaDb = root.openDB<ShardMeta, string>({ name: 'meta' });
    this.truncatedDb = root.openDB<EncodedTruncated, number>({ name: 'truncated', keyEncoding: 'uint32' });
    this.metaValue = this.metaDb.get('meta') ?? { lastSeq: 0, lastEpoch: 0, firstLogSeq: 1 };
  }

  /** Opens (creating if needed) the store in directory `dir`. */
  static open(dir: string, options: { encryptionKey?: string } = {}): ShardStore {
    try {
      const root = open({
        path: dir,
        maxDbs: 8,
        compression: false,
        // The shard does its own group commit; lmdb-js's event-turn batching would add an
        // internal commit promise that rejects unobserved when a commit fails (disk full).
        eventTurnBatching: false,
        ...(options.encryptionKey === undefined ? {} : { encryptionKey: options.encryptionKey }),
      });
      return new ShardStore(root);
    } catch (e: unknown) {
      throw new HektorError('storage_error', `cannot open shard store at ${dir}: ${errorMessage(e)}`, undefined, { cause: e });
    }
  }

  /** The store's metadata as of the last commit. */
  get meta(): Readonly<ShardMeta> {
    return this.metaValue;
  }

  /** Calls `visit` for every stored point, in id order. */
  forEachPoint(visit: (point: StoredPoint) => void): void {
    for (const { key, value } of this.points.getRange()) {
      visit(decodeRecord(decodePointKey(key), value));
    }
  }

  /** Reads one point, or undefined. */
  getPoint(id: PointId): StoredPoint | undefined {
    const raw = this.points.getBinaryFast(encodePointKey(id));
    return raw === undefined ? undefined : decodeRecord(id, raw);
  }

  /** Ids in id order, starting at `from` (inclusive) when given. */
  *idsFrom(from?: PointId): Generator<PointId> {
    const options = from === undefined ? {} : { start: encodePointKey(from) };
    for (const key of this.points.getKeys(options)) yield decodePointKey(key);
  }

  /**
   * Atomically appends `entries` to the log and applies `changes` to the points, then waits for
   * the transaction to be flushed to disk. Nothing is visible to the caller's memory until this
   * resolves; on failure nothing was written and a storage_error is thrown.
   */
  async commit(entries: readonly LogEntry[], changes: readonly PointChange[]): Promise<void> {
    const last = entries.at(-1);
    assert(last !== undefined, 'commit without log entries');
    for (let i = 0; i < entries.length; i++) {
      assert(entries[i]?.seq === this.metaValue.lastSeq + 1 + i, 'log entries must be contiguous after lastSeq');
    }
    const nextMeta: ShardMeta = { ...this.metaValue, lastSeq: last.seq, lastEpoch: last.epoch };
    try {
      const transaction = this.root.transaction(() => {
        // Synchronous writes inside the transaction callback: the async put() variants each
        // return a promise that rejects on a failed commit and would go unhandled.
        for (const entry of entries) this.log.putSync(entry.seq, encodeEntry(entry));
        for (const change of changes) {
          const key = encodePointKey(change.id);
          if (change.point === null) this.points.removeSync(key);
          else this.points.putSync(key, encodeRecord(change.point));
        }
        this.metaDb.putSync('meta', nextMeta);
      });
      await transaction;
      await this.root.flushed;
    } catch (e: unknown) {
      throw new HektorError('storage_error', `shard store commit failed: ${await commitErrorMessage(e)}`, undefined, { cause: e });
    }
    this.metaValue = nextMeta;
  }

  /** Log entries with seq >= `from`, in order. */
  *entriesFrom(from: number): Generator<LogEntry> {
    for (const { value } of this.log.getRange({ start: Math.max(from, this.metaValue.firstLogSeq) })) {
      yield decodeEntry(value);
    }
  }

  /** Drops log entries below `seq` (compaction); they stay reflected in the points. */
  async compactLogBefore(seq: number): Promise<void> {
    const upTo = Math.min(seq, this.metaValue.lastSeq + 1);
    if (upTo <= this.metaValue.firstLogSeq) return;
    const baseEpoch = upTo - 1 === this.metaValue.lastSeq ? this.metaValue.lastEpoch : (this.log.get(upTo - 1)?.epoch ?? this.metaValue.baseEpoch ?? 0);
    const nextMeta: ShardMeta = { ...this.metaValue, firstLogSeq: upTo, baseEpoch };
    await this.transact(() => {
      for (const key of this.log.getKeys({ start: this.metaValue.firstLogSeq, end: upTo })) this.log.removeSync(key);
      this.metaDb.putSync('meta', nextMeta);
    });
    this.metaValue = nextMeta;
  }

  /** The highest primary epoch this replica has seen. */
  get knownEpoch(): number {
    return Math.max(this.metaValue.knownEpoch ?? 0, this.metaValue.lastEpoch);
  }

  /** Durably raises the known epoch (fencing); lower values are ignored. */
  async setKnownEpoch(epoch: number): Promise<void> {
    if (epoch <= this.knownEpoch) return;
    await this.writeMeta({ ...this.metaValue, knownEpoch: epoch });
  }

  /** Durably records that this replica acts as primary in `epoch`. */
  async setPrimaryEpoch(epoch: number): Promise<void> {
    await this.writeMeta({ ...this.metaValue, primaryEpoch: epoch });
  }

  /**
   * Replaces the whole replica by an empty one based at (seq, epoch): every point and log entry
   * goes, in one durable transaction; the truncated-entries list and the known epoch stay. Used
   * before a snapshot is installed (catch-up) and when applied entries had to be truncated.
   */
  async reset(baseSeq: number, baseEpoch: number, options: { keepPoints?: boolean } = {}): Promise<void> {
    const nextMeta: ShardMeta = {
      lastSeq: baseSeq, lastEpoch: baseEpoch, firstLogSeq: baseSeq + 1, baseEpoch, knownEpoch: Math.max(this.knownEpoch, baseEpoch),
      ...(this.metaValue.primaryEpoch === undefined ? {} : { primaryEpoch: this.metaValue.primaryEpoch }),
    };
    await this.transact(() => {
      if (options.keepPoints !== true) this.points.clearSync();
      this.log.clearSync();
      this.metaDb.putSync('meta', nextMeta);
    });
    this.metaValue = nextMeta;
  }

  /** Writes points without log entries (a snapshot being installed), durably. */
  async installPoints(points: readonly StoredPoint[]): Promise<void> {
    await this.transact(() => {
      for (const p of points) this.points.putSync(encodePointKey(p.id), encodeRecord(p));
    });
  }

  /** Keeps entries removed by divergence repair in the truncated list, durably. */
  async recordTruncated(entries: readonly { entry: LogEntry; truncatedInEpoch: number }[], atMs: number): Promise<void> {
    if (entries.length === 0) return;
    let next = (this.lastTruncatedKey() ?? 0) + 1;
    await this.transact(() => {
      for (const t of entries) this.truncatedDb.putSync(next++, { entry: encodeEntry(t.entry), truncatedInEpoch: t.truncatedInEpoch, atMs });
    });
  }

  private lastTruncatedKey(): number | undefined {
    for (const key of this.truncatedDb.getKeys({ reverse: true, limit: 1 })) return key;
    return undefined;
  }

  /** The truncated entries kept, oldest first. */
  listTruncated(): TruncatedRecord[] {
    const out: TruncatedRecord[] = [];
    for (const { key, value } of this.truncatedDb.getRange()) {
      out.push({ id: key, entry: decodeEntry(value.entry), truncatedInEpoch: value.truncatedInEpoch, atMs: value.atMs });
    }
    return out;
  }

  /** Removes truncated entries by id (the operator re-applied or dropped them); returns how many went. */
  async dropTruncated(ids: readonly number[]): Promise<number> {
    let removed = 0;
    await this.transact(() => {
      for (const id of ids) {
        if (this.truncatedDb.get(id) !== undefined) {
          this.truncatedDb.removeSync(id);
          removed++;
        }
      }
    });
    return removed;
  }

  private async writeMeta(next: ShardMeta): Promise<void> {
    await this.transact(() => this.metaDb.putSync('meta', next));
    this.metaValue = next;
  }

  /** Runs synchronous writes in one transaction and waits until it is flushed to disk. */
  private async transact(body: () => void): Promise<void> {
    try {
      await this.root.transaction(body);
      await this.root.flushed;
    } catch (e: unknown) {
      throw new HektorError('storage_error', `shard store write failed: ${await commitErrorMessage(e)}`, undefined, { cause: e });
    }
  }

  /** Number of stored points. */
  pointCount(): number {
    return this.points.getCount();
  }

  /** Closes the environment; pending commits finish first. */
  async close(): Promise<void> {
    await this.root.close();
  }
}
