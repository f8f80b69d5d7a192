/**
 * The in-memory image of one replica's operation log: the retained entries after a base (the
 * last compacted or snapshot-installed seq) and the epoch-start cache used for divergence search.
 * Both PrimaryReplica and FollowerReplica work on one of these, so a replica changes role by
 * handing its log to the other class. The runtime mirrors every change to durable storage.
 */

import { assert } from '../base/assert.js';
import type { EpochStart, ReplicaEntry } from './types.js';

/** A replica's log: entries (baseSeq, lastSeq], gap-free, epochs non-decreasing. */
export class ReplicaLog<Op> {
  private entries: ReplicaEntry<Op>[] = [];
  private epochStarts: EpochStart[] = [];
  private base: { seq: number; epoch: number } = { seq: 0, epoch: 0 };

  /** Rebuilds a log from durable state (restart) or starts an empty one. */
  constructor(baseSeq = 0, baseEpoch = 0, entries: readonly ReplicaEntry<Op>[] = []) {
    this.base = { seq: baseSeq, epoch: baseEpoch };
    if (baseSeq > 0) this.epochStarts.push({ epoch: baseEpoch, startSeq: baseSeq });
    for (const entry of entries) this.append(entry);
  }

  /** Seq of the last compacted or snapshot-installed entry (0 when none). */
  get baseSeq(): number {
    return this.base.seq;
  }

  /** Epoch of the entry at baseSeq. */
  get baseEpoch(): number {
    return this.base.epoch;
  }

  /** Highest seq in the log. */
  get lastSeq(): number {
    return this.base.seq + this.entries.length;
  }

  /** Epoch of the last entry (the base's when the log is empty). */
  get lastEpoch(): number {
    return this.entries.at(-1)?.epoch ?? this.base.epoch;
  }

  /** The epoch-start cache (a copy). */
  epochStartList(): EpochStart[] {
    return this.epochStarts.map((e) => ({ ...e }));
  }

  /** The epoch of the entry at `seq`, or undefined when it is compacted away or beyond the end. */
  epochAt(seq: number): number | undefined {
    if (seq === this.base.seq) return this.base.epoch;
    return this.entry(seq)?.epoch;
  }

  /** The retained entry at `seq`, if any. */
  entry(seq: number): ReplicaEntry<Op> | undefined {
    if (seq <= this.base.seq) return undefined;
    return this.entries[seq - this.base.seq - 1];
  }

  /** Up to `countMax` retained entries starting at `fromSeq`, stopping early past `bytesMax` (at least one). */
  slice(fromSeq: number, toSeq: number, countMax: number, bytesMax: number, sizeBytes: (op: Op) => number): ReplicaEntry<Op>[] {
    assert(fromSeq > this.base.seq, 'slice below the retained log');
    const out: ReplicaEntry<Op>[] = [];
    let bytes = 0;
    for (let seq = fromSeq; seq <= Math.min(toSeq, this.lastSeq) && out.length < countMax; seq++) {
      const entry = this.entry(seq);
      assert(entry !== undefined, 'retained entry missing');
      bytes += sizeBytes(entry.op);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(entry);
    }
    return out;
  }

  /** Appends the next entry; seq must follow lastSeq and the epoch must not go back. */
  append(entry: ReplicaEntry<Op>): void {
    assert(entry.seq === this.lastSeq + 1, `log append out of order: ${entry.seq} after ${this.lastSeq}`);
    assert(entry.epoch >= this.lastEpoch, `log epoch went back: ${entry.epoch} after ${this.lastEpoch}`);
    if (entry.epoch > (this.epochStarts.at(-1)?.epoch ?? 0)) this.epochStarts.push({ epoch: entry.epoch, startSeq: entry.seq });
    this.entries.push(entry);
  }

  /** Removes and returns every entry after `seq` (which must not be below the base). */
  truncateAfter(seq: number): ReplicaEntry<Op>[] {
    assert(seq >= this.base.seq, `cannot truncate below the base ${this.base.seq}`);
    const removed = this.entries.splice(seq - this.base.seq);
    while (this.epochStarts.length > 0 && (this.epochStarts.at(-1)?.startSeq ?? 0) > seq) this.epochStarts.pop();
    return removed;
  }

  /**
   * The last seq of the largest epoch not above `epoch` — the answer to a Kafka-style epoch query.
   * May be below baseSeq when the answer was compacted away (the caller then needs a snapshot).
   */
  endOfEpochAtOrBelow(epoch: number): number {
    const next = this.epochStarts.find((e) => e.epoch > epoch);
    if (next === undefined) return this.lastSeq;
    return next.startSeq - 1;
  }

  /** Drops retained entries up to `seq` (they stay reflected in the shard store). */
  compactThrough(seq: number): void {
    const upTo = Math.min(seq, this.lastSeq);
    if (upTo <= this.base.seq) return;
    const epoch = this.epochAt(upTo);
    assert(epoch !== undefined, 'compaction point missing');
    this.entries.splice(0, upTo - this.base.seq);
    this.base = { seq: upTo, epoch };
  }

  /** Replaces the whole log by a snapshot at (seq, epoch) with the primary's epoch cache. */
  installSnapshot(seq: number, epoch: number, epochStarts: readonly EpochStart[]): void {
    this.entries = [];
    this.base = { seq, epoch };
    this.epochStarts = epochStarts.filter((e) => e.startSeq <= seq).map((e) => ({ ...e }));
    if (this.epochStarts.length === 0 && seq > 0) this.epochStarts.push({ epoch, startSeq: seq });
  }
}

/** The epoch of `seq` according to an epoch-start cache (undefined before the first start). */
export function epochOfSeq(epochStarts: readonly EpochStart[], seq: number): number | undefined {
  let epoch: number | undefined;
  for (const start of epochStarts) {
    if (start.startSeq > seq) break;
    epoch = start.epoch;
  }
  return epoch;
}
