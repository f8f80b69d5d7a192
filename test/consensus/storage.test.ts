/** MemoryStorage: the contract the LMDB implementation (issue 4) must also meet. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStorage } from '../../src/consensus/storage.js';
import type { Entry } from '../../src/consensus/types.js';

const CONFIG = { voters: ['a'], learners: [] };

function entry(index: number, term: number, size = 0): Entry {
  return { index, term, type: 'normal', data: new Uint8Array(size) };
}

test('storage: a fresh log is empty after the bootstrap snapshot at index 0', () => {
  const s = new MemoryStorage(CONFIG);
  assert.equal(s.firstIndex(), 1);
  assert.equal(s.lastIndex(), 0);
  assert.equal(s.term(0), 0);
  assert.equal(s.term(1), undefined);
  assert.deepEqual(s.snapshot().metadata, { index: 0, term: 0, config: CONFIG });
});

test('storage: append replaces a conflicting tail', () => {
  const s = new MemoryStorage(CONFIG);
  s.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
  s.append([entry(2, 2)]);
  assert.equal(s.lastIndex(), 2);
  assert.equal(s.term(2), 2);
  assert.throws(() => s.append([entry(5, 2)]), /gap/);
});

test('storage: entries respect the byte budget but return at least one', () => {
  const s = new MemoryStorage(CONFIG);
  s.append([entry(1, 1, 100), entry(2, 1, 100), entry(3, 1, 100)]);
  assert.equal(s.entries(1, 4, 1).length, 1);
  assert.equal(s.entries(1, 4, 260).length, 2);
  assert.equal(s.entries(1, 4, Infinity).length, 3);
});

test('storage: snapshot then compact keeps the term at the compaction point', () => {
  const s = new MemoryStorage(CONFIG);
  s.append([entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2)]);
  s.createSnapshot(3, CONFIG, new Uint8Array([7]));
  s.compact(3);
  assert.equal(s.firstIndex(), 4);
  assert.equal(s.term(3), 2);
  assert.equal(s.term(2), undefined);
  assert.throws(() => s.entries(3, 4, Infinity));
  assert.throws(() => s.compact(4), /beyond snapshot/);
});

test('storage: applying a newer snapshot replaces the log; an older one is ignored', () => {
  const s = new MemoryStorage(CONFIG);
  s.append([entry(1, 1)]);
  s.applySnapshot({ metadata: { index: 10, term: 3, config: CONFIG }, data: new Uint8Array(0) });
  assert.equal(s.firstIndex(), 11);
  assert.equal(s.lastIndex(), 10);
  assert.equal(s.term(10), 3);
  s.applySnapshot({ metadata: { index: 5, term: 2, config: CONFIG }, data: new Uint8Array(0) });
  assert.equal(s.snapshot().metadata.index, 10);
});
