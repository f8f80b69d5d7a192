/**
 * The Raft log as the core sees it: the durable part behind Storage plus an unstable tail (and
 * possibly an unstable snapshot) that the application has not persisted yet. Also tracks the
 * commit index and how far the application has applied.
 */

import { assert } from '../base/assert.js';
import type { Storage } from './storage.js';
import type { Entry, Snapshot } from './types.js';
import { entrySizeBytes } from './types.js';

/** Entries and a snapshot not yet persisted; entries[k] has index offset + k. */
class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];

  constructor(public offset: number) {}

  term(index: number): number | undefined {
    if (index >= this.offset) return this.entries[index - this.offset]?.term;
    if (this.snapshot?.metadata.index === index) return this.snapshot.metadata.term;
    return undefined;
  }

  truncateAndAppend(entries: readonly Entry[]): void {
    const first = entries[0];
    assert(first !== undefined, 'append of nothing');
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      for (const e of entries) this.entries.push(e);
    } else if (after <= this.offset) {
      // Replaces part of the persisted log too; storage.append truncates it when persisted.
      this.offset = after;
      this.entries = [...entries];
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(entries);
    }
  }
}

/** The log: committed/applied cursors over durable and unstable entries. */
export class RaftLog {
  private readonly unstable: Unstable;
  /** Highest index known committed. */
  committed: number;
  /** Highest index the application has applied (acknowledged through advance). */
  applied: number;

  /** Opens the log over `storage`, with the application having applied up to `appliedIndex`. */
  constructor(private readonly storage: Storage, commitIndex: number, appliedIndex: number) {
    this.unstable = new Unstable(storage.lastIndex() + 1);
    const snapshotIndex = storage.firstIndex() - 1;
    this.committed = Math.max(commitIndex, snapshotIndex);
    assert(this.committed <= storage.lastIndex(), `commit ${this.committed} beyond last index ${storage.lastIndex()}`);
    this.applied = Math.min(Math.max(appliedIndex, snapshotIndex), this.committed);
  }

  /** First index available (after the latest snapshot, persisted or not). */
  firstIndex(): number {
    const snap = this.unstable.snapshot;
    return snap === undefined ? this.storage.firstIndex() : snap.metadata.index + 1;
  }

  /** Last index in the log. */
  lastIndex(): number {
    if (this.unstable.entries.length > 0) return this.unstable.offset + this.unstable.entries.length - 1;
    const snap = this.unstable.snapshot;
    return snap === undefined ? this.storage.lastIndex() : snap.metadata.index;
  }

  /** Term of the last entry. */
  lastTerm(): number {
    const term = this.term(this.lastIndex());
    assert(term !== undefined, 'last term unknown');
    return term;
  }

  /** Term at `index`, or undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return undefined;
    return this.unstable.term(index) ?? this.storage.term(index);
  }

  /** True when the log holds an entry at `index` with `term`. */
  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: a log ending at (lastIndex, lastTerm) is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi) bounded by bytes and count (at least one if lo < hi). */
  slice(lo: number, hi: number, maxBytes: number, maxCount: number): Entry[] {
    assert(lo >= this.firstIndex() && hi <= this.lastIndex() + 1, `slice [${lo}, ${hi}) out of range`);
    const end = Math.min(hi, lo + maxCount);
    if (lo >= end) return [];
    const out: Entry[] = [];
    let sizeBytes = 0;
    const storedEnd = Math.min(end, this.unstable.offset);
    if (lo < storedEnd) {
      for (const e of this.storage.entries(lo, storedEnd, maxBytes)) {
        out.push(e);
        sizeBytes += entrySizeBytes(e);
      }
      if (out.length < storedEnd - lo) return out;
    }
    for (let i = Math.max(lo, this.unstable.offset); i < end; i++) {
      const e = this.unstable.entries[i - this.unstable.offset];
      assert(e !== undefined, 'unstable entry missing');
      sizeBytes += entrySizeBytes(e);
      if (out.length > 0 && sizeBytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** True when entries [index, …] are still available (not compacted). */
  isAvailable(index: number): boolean {
    return index >= this.firstIndex();
  }

  /** Appends leader-verified entries, truncating a conflicting tail. Returns the new last index. */
  append(entries: readonly Entry[]): number {
    const first = entries[0];
    if (first === undefined) return this.lastIndex();
    assert(first.index > this.committed, `append at ${first.index} would overwrite committed ${this.committed}`);
    assert(first.index <= this.lastIndex() + 1, 'append leaves a gap');
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /**
   * Follower-side append (§5.3): if we hold (prevIndex, prevTerm), append `entries` from the
   * first conflict and advance commit. Returns the last index the leader verified, and the
   * entries actually appended, or undefined on a log mismatch.
   */
  maybeAppend(prevIndex: number, prevTerm: number, commit: number, entries: readonly Entry[]): { lastNewIndex: number; appended: Entry[] } | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNewIndex = prevIndex + entries.length;
    const conflictIndex = this.findConflict(entries);
    let appended: Entry[] = [];
    if (conflictIndex !== 0) {
      appended = entries.slice(conflictIndex - prevIndex - 1);
      this.append(appended);
    }
    this.commitTo(Math.min(commit, lastNewIndex));
    return { lastNewIndex, appended };
  }

  /** Index of the first entry whose term differs from ours or that we lack; 0 if none. */
  private findConflict(entries: readonly Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /** Largest index ≤ `index` whose term is ≤ `term` (or unknown): the fast back-off probe point. */
  findConflictByTerm(index: number, term: number): number {
    for (let i = index; i > 0; i--) {
      const t = this.term(i);
      if (t === undefined || t <= term) return i;
    }
    return 0;
  }

  /** Raises the commit index; never lowers it. */
  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Replaces the log by a snapshot from the leader. */
  restore(snapshot: Snapshot): void {
    const { index } = snapshot.metadata;
    assert(index > this.committed, 'restore of an already committed snapshot');
    this.committed = index;
    this.unstable.snapshot = snapshot;
    this.unstable.entries = [];
    this.unstable.offset = index + 1;
  }

  /** The unstable snapshot waiting to be persisted, if any. */
  unstableSnapshot(): Snapshot | undefined {
    return this.unstable.snapshot;
  }

  /** The unstable entries waiting to be persisted. */
  unstableEntries(): readonly Entry[] {
    return this.unstable.entries;
  }

  /** Committed entries after `from` to hand to the application, bounded by bytes. */
  committedAfter(from: number, maxBytes: number): Entry[] {
    if (this.unstable.snapshot !== undefined || from >= this.committed) return [];
    return this.slice(from + 1, this.committed + 1, maxBytes, Number.MAX_SAFE_INTEGER);
  }

  /** Marks entries up to (index, term) persisted, unless they were replaced meanwhile. */
  stableTo(index: number, term: number): void {
    if (index < this.unstable.offset || this.unstable.term(index) !== term) return;
    this.unstable.entries = this.unstable.entries.slice(index + 1 - this.unstable.offset);
    this.unstable.offset = index + 1;
  }

  /** Marks the unstable snapshot at `index` persisted. */
  stableSnapshotTo(index: number): void {
    if (this.unstable.snapshot?.metadata.index === index) this.unstable.snapshot = undefined;
  }
}
