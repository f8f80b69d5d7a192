/**
 * The storage contract between the Raft core and the application, after etcd raft's Storage.
 * The core only reads through it; the application writes (from each Ready) in the documented
 * order. MemoryStorage is the in-memory implementation used by the simulator and tests; issue 4
 * implements the same interface over LMDB.
 */

import { assert } from '../base/assert.js';
import type { ConfigState, Entry, HardState, Snapshot } from './types.js';
import { entrySizeBytes } from './types.js';

/** Read access to a node's durable Raft state. All methods are synchronous and never fail softly. */
export interface Storage {
  /** The persisted hard state (term 0, no vote, commit 0 for a fresh node). */
  initialState(): HardState;
  /**
   * Entries in [lo, hi), lo ≥ firstIndex() and hi ≤ lastIndex()+1, stopping once their total size
   * exceeds maxBytes but always returning at least one entry when lo < hi.
   */
  entries(lo: number, hi: number, maxBytes: number): readonly Entry[];
  /** The term of entry `index` for index in [firstIndex()-1, lastIndex()], else undefined. */
  term(index: number): number | undefined;
  /** The first index still held in the log (snapshot index + 1). */
  firstIndex(): number;
  /** The last index held (the snapshot index when the log is empty). */
  lastIndex(): number;
  /** The most recent snapshot; index 0 holds the bootstrap config. */
  snapshot(): Snapshot;
}

/** An in-memory Storage that also offers the write side the application needs. */
export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0, vote: null, commit: 0 };
  private latestSnapshot: Snapshot;
  /** entries[0] is a dummy standing for the snapshot point (its index and term). */
  private log: Entry[];

  /** Creates storage whose bootstrap snapshot (index 0) holds `config`. */
  constructor(config: ConfigState) {
    this.latestSnapshot = { metadata: { index: 0, term: 0, config }, data: new Uint8Array(0) };
    this.log = [{ index: 0, term: 0, type: 'normal', data: new Uint8Array(0) }];
  }

  /** The persisted hard state. */
  initialState(): HardState {
    return this.hardState;
  }

  /** Entries in [lo, hi) within maxBytes (at least one). */
  entries(lo: number, hi: number, maxBytes: number): readonly Entry[] {
    const offset = this.offset();
    assert(lo > offset && hi <= this.lastIndex() + 1 && lo <= hi, `storage entries [${lo}, ${hi}) out of (${offset}, ${this.lastIndex()}]`);
    const out: Entry[] = [];
    let sizeBytes = 0;
    for (let i = lo; i < hi; i++) {
      const entry = this.log[i - offset];
      assert(entry !== undefined, 'storage entry missing');
      sizeBytes += entrySizeBytes(entry);
      if (out.length > 0 && sizeBytes > maxBytes) break;
      out.push(entry);
    }
    return out;
  }

  /** The term at `index`, or undefined when compacted or beyond the end. */
  term(index: number): number | undefined {
    const offset = this.offset();
    if (index < offset) return undefined;
    return this.log[index - offset]?.term;
  }

  /** The first index still held. */
  firstIndex(): number {
    return this.offset() + 1;
  }

  /** The last index held. */
  lastIndex(): number {
    return this.offset() + this.log.length - 1;
  }

  /** The latest snapshot. */
  snapshot(): Snapshot {
    return this.latestSnapshot;
  }

  /** Persists a hard state from a Ready. */
  setHardState(hardState: HardState): void {
    this.hardState = hardState;
  }

  /** Persists entries from a Ready, truncating any existing entries at or after the first one. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const offset = this.offset();
    assert(first.index <= this.lastIndex() + 1, `storage append leaves a gap: ${first.index} after ${this.lastIndex()}`);
    if (first.index <= offset) {
      // Entries already covered by the snapshot are dropped; the rest replace the log.
      const keep = entries.filter((e) => e.index > offset);
      this.log.length = 1;
      for (const e of keep) this.log.push(e);
      return;
    }
    this.log.length = first.index - offset;
    for (const e of entries) this.log.push(e);
  }

  /** Persists a snapshot received from the leader, replacing the whole log. */
  applySnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    if (index <= this.latestSnapshot.metadata.index) return;
    this.latestSnapshot = snapshot;
    this.log = [{ index, term, type: 'normal', data: new Uint8Array(0) }];
  }

  /** Records a snapshot the application took of its state at applied index `index`. */
  createSnapshot(index: number, config: ConfigState, data: Uint8Array): Snapshot {
    assert(index > this.latestSnapshot.metadata.index && index <= this.lastIndex(), `snapshot index ${index} out of range`);
    const term = this.term(index);
    assert(term !== undefined, 'snapshot term unknown');
    this.latestSnapshot = { metadata: { index, term, config }, data };
    return this.latestSnapshot;
  }

  /** Discards entries up to and including `index` (which a snapshot must already cover). */
  compact(index: number): void {
    const offset = this.offset();
    if (index <= offset) return;
    assert(index <= this.latestSnapshot.metadata.index, `compact ${index} beyond snapshot ${this.latestSnapshot.metadata.index}`);
    const dummy = this.log[index - offset];
    assert(dummy !== undefined, 'compact index missing');
    this.log = [{ index, term: dummy.term, type: 'normal', data: new Uint8Array(0) }, ...this.log.slice(index - offset + 1)];
  }

  private offset(): number {
    const dummy = this.log[0];
    assert(dummy !== undefined, 'storage dummy entry missing');
    return dummy.index;
  }
}
