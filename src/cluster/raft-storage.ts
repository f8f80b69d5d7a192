/**
 * Durable Raft storage: the hard state, log entries and latest snapshot of this node's metadata
 * Raft group in an LMDB environment (`<data>/raft/`). Reads come from an in-memory mirror (the
 * core's MemoryStorage); every write goes to LMDB first in one synchronous, flushed transaction,
 * so that a Ready's state is durable before its messages are sent (the core's contract).
 */

import { open, type Database, type RootDatabase } from 'lmdb';
import { assert } from '../base/assert.js';
import { MemoryStorage, type Storage } from '../consensus/storage.js';
import type { ConfigState, Entry, EntryType, HardState, Snapshot } from '../consensus/types.js';

interface StoredEntry {
  term: number;
  type: EntryType;
  data: Buffer;
}

interface StoredSnapshot {
  index: number;
  term: number;
  config: { voters: string[]; learners: string[] };
  data: Buffer;
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The Raft log of this node on LMDB. */
export class LmdbRaftStorage implements Storage {
  private readonly root: RootDatabase;
  private readonly entryDb: Database<StoredEntry, number>;
  private readonly stateDb: Database<HardState | StoredSnapshot, string>;
  private readonly memory: MemoryStorage;

  private constructor(root: RootDatabase, bootstrap: ConfigState) {
    this.root = root;
    this.entryDb = root.openDB<StoredEntry, number>({ name: 'entries', keyEncoding: 'uint32' });
    this.stateDb = root.openDB<HardState | StoredSnapshot, string>({ name: 'state' });
    const snap = this.stateDb.get('snapshot') as StoredSnapshot | undefined;
    this.memory = new MemoryStorage(snap === undefined ? bootstrap : snap.config);
    if (snap !== undefined && snap.index > 0) {
      this.memory.applySnapshot({ metadata: { index: snap.index, term: snap.term, config: snap.config }, data: new Uint8Array(snap.data) });
    }
    const entries: Entry[] = [];
    for (const { key, value } of this.entryDb.getRange({ start: (snap?.index ?? 0) + 1 })) {
      entries.push({ index: key, term: value.term, type: value.type, data: new Uint8Array(value.data) });
    }
    this.memory.append(entries);
    const hard = this.stateDb.get('hard') as HardState | undefined;
    if (hard !== undefined) this.memory.setHardState(hard);
  }

  /**
   * Opens the store in `dir`. `bootstrap` is the configuration of a brand-new cluster (its
   * initial voters); it is ignored when the store already holds a snapshot.
   */
  static open(dir: string, bootstrap: ConfigState): LmdbRaftStorage {
    return new LmdbRaftStorage(open({ path: dir, maxDbs: 4, eventTurnBatching: false }), bootstrap);
  }

  /** True when nothing was ever persisted (a brand-new node). */
  isEmpty(): boolean {
    return this.stateDb.get('hard') === undefined && this.memory.lastIndex() === 0;
  }

  initialState(): HardState {
    return this.memory.initialState();
  }

  entries(lo: number, hi: number, maxBytes: number): readonly Entry[] {
    return this.memory.entries(lo, hi, maxBytes);
  }

  term(index: number): number | undefined {
    return this.memory.term(index);
  }

  firstIndex(): number {
    return this.memory.firstIndex();
  }

  lastIndex(): number {
    return this.memory.lastIndex();
  }

  snapshot(): Snapshot {
    return this.memory.snapshot();
  }

  /** Durably stores what a Ready asks to persist (snapshot, entries, hard state), then mirrors it. */
  persist(hardState: HardState | null, entries: readonly Entry[], snapshot: Snapshot | null): void {
    if (hardState === null && entries.length === 0 && snapshot === null) return;
    const first = entries[0];
    const last = entries[entries.length - 1];
    const previousLast = this.memory.lastIndex();
    this.root.transactionSync(() => {
      if (snapshot !== null) {
        this.stateDb.putSync('snapshot', storedSnapshot(snapshot));
        for (const key of this.entryDb.getKeys({ end: snapshot.metadata.index + 1 })) this.entryDb.removeSync(key);
      }
      if (first !== undefined && last !== undefined) {
        // A new suffix replaces any conflicting tail of the log.
        for (let i = last.index + 1; i <= previousLast; i++) this.entryDb.removeSync(i);
        for (const e of entries) this.entryDb.putSync(e.index, { term: e.term, type: e.type, data: toBuffer(e.data) });
      }
      if (hardState !== null) this.stateDb.putSync('hard', hardState);
    });
    if (snapshot !== null) this.memory.applySnapshot(snapshot);
    if (entries.length > 0) this.memory.append(entries);
    if (hardState !== null) this.memory.setHardState(hardState);
  }

  /** Records a snapshot of the application state at `index` and drops the log before `keepFrom`. */
  snapshotAndCompact(index: number, config: ConfigState, data: Uint8Array, keepFrom: number): void {
    const snapshot = this.memory.createSnapshot(index, config, data);
    const compactTo = Math.min(index, keepFrom - 1);
    this.root.transactionSync(() => {
      this.stateDb.putSync('snapshot', storedSnapshot(snapshot));
      for (const key of this.entryDb.getKeys({ end: compactTo + 1 })) this.entryDb.removeSync(key);
    });
    this.memory.compact(compactTo);
    assert(this.memory.firstIndex() <= index + 1, 'compaction dropped entries the snapshot does not cover');
  }

  /** Closes the environment. */
  async close(): Promise<void> {
    await this.root.close();
  }
}

function storedSnapshot(s: Snapshot): StoredSnapshot {
  return {
    index: s.metadata.index,
    term: s.metadata.term,
    config: { voters: [...s.metadata.config.voters], learners: [...s.metadata.config.learners] },
    data: toBuffer(s.data),
  };
}
