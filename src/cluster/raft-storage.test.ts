import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry } from '../consensus/types.js';
import { LmdbRaftStorage } from './raft-storage.js';

const entry = (index: number, term: number, text = `e${index}`): Entry => ({ index, term, type: 'normal', data: Buffer.from(text) });

test('durable raft storage: entries, hard state, conflicting suffix, snapshot and compaction survive reopening', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hektor-raft-'));
  try {
    const boot = { voters: ['a', 'b', 'c'], learners: [] };
    let s = LmdbRaftStorage.open(dir, boot);
    assert.equal(s.isEmpty(), true);
    s.persist({ term: 1, vote: 'a', commit: 0 }, [entry(1, 1), entry(2, 1), entry(3, 1)], null);
    // A new leader's suffix replaces a conflicting tail.
    s.persist({ term: 2, vote: 'b', commit: 2 }, [entry(3, 2, 'new3'), entry(4, 2)], null);
    await s.close();

    s = LmdbRaftStorage.open(dir, boot);
    assert.equal(s.isEmpty(), false);
    assert.deepEqual(s.initialState(), { term: 2, vote: 'b', commit: 2 });
    assert.equal(s.lastIndex(), 4);
    assert.equal(Buffer.from(s.entries(3, 4, 1e9)[0]!.data).toString(), 'new3');
    assert.deepEqual(s.snapshot().metadata.config, boot);

    s.snapshotAndCompact(3, boot, Buffer.from('state@3'), 3);
    assert.equal(s.firstIndex(), 3);
    await s.close();

    s = LmdbRaftStorage.open(dir, { voters: ['ignored'], learners: [] });
    assert.equal(s.snapshot().metadata.index, 3);
    assert.equal(Buffer.from(s.snapshot().data).toString(), 'state@3');
    assert.deepEqual(s.snapshot().metadata.config, boot);
    assert.equal(s.firstIndex(), 4);
    assert.equal(s.lastIndex(), 4);
    assert.equal(s.term(3), 2);
    // Installing a leader's snapshot replaces the whole log.
    s.persist(null, [], { metadata: { index: 10, term: 3, config: boot }, data: Buffer.from('state@10') });
    assert.equal(s.lastIndex(), 10);
    await s.close();
    s = LmdbRaftStorage.open(dir, boot);
    assert.equal(s.lastIndex(), 10);
    assert.equal(s.firstIndex(), 11);
    await s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
