// The native binding's asynchronous walk (HnswIndex.searchAsync) and its bitset filter: the same
// answers as the synchronous walk, filters that hold, and no stale slot when writes are applied on
// the JavaScript thread while a walk runs on the pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HnswIndex } from './hnsw-index.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeHnsw, releaseFreeMemory, searchThreads, setSearchThreads } from './native-hnsw.js';
import { planSearch, planSearchAsync } from './planner.js';
import { SlotSet } from './slot-set.js';
import { bruteForceTopK, clusteredVectors } from './testing.js';
import type { Distance } from './types.js';

const DISTANCES: Distance[] = ['Cosine', 'Dot', 'Euclid'];

// First in this file (each test file runs in its own process): no asynchronous search has run yet.
test('search threads: the count is set before the first asynchronous search and fixed after it', async () => {
  assert.equal(searchThreads(), Math.max(1, availableParallelism() - 1));
  assert.equal(setSearchThreads(2), true);
  assert.equal(searchThreads(), 2);
  const { index, vectors } = loaded('Euclid', 500, 8);
  assert.equal((await index.searchAsync(vectors[0] ?? new Float32Array(8), 3, { ef: 16 })).length, 3);
  assert.equal(setSearchThreads(1), false);
  assert.equal(searchThreads(), 2);
  index.close();
});

function loaded(distance: Distance, n: number, dim: number): { index: HnswIndex; vectors: Float32Array[] } {
  const index = new HnswIndex({ dim, distance, m: 16, efConstruct: 100 });
  const vectors = clusteredVectors(11, n, dim, 12);
  vectors.forEach((v, slot) => index.upsert(slot, v));
  return { index, vectors };
}

for (const distance of DISTANCES) {
  test(`HnswIndex/${distance}: searchAsync answers exactly what search answers, with and without a bitset`, async () => {
    const { index, vectors } = loaded(distance, 3000, 16);
    const evens = new SlotSet(3000);
    for (let slot = 0; slot < 3000; slot += 2) evens.add(slot);
    for (let q = 0; q < 40; q++) {
      const query = vectors[(q * 37) % vectors.length] ?? new Float32Array(16);
      assert.deepEqual(await index.searchAsync(query, 10, { ef: 40 }), index.search(query, 10, { ef: 40 }));
      const filtered = await index.searchAsync(query, 10, { ef: 40, acceptSet: evens });
      assert.deepEqual(filtered, index.search(query, 10, { ef: 40, acceptSet: evens }));
      assert.equal(filtered.length, 10);
      for (const hit of filtered) assert.equal(hit.slot % 2, 0, `slot ${hit.slot} is not in the bitset`);
    }
    index.close();
  });
}

test('HnswIndex: a bitset and a predicate together admit only slots both allow', () => {
  const { index, vectors } = loaded('Euclid', 2000, 8);
  const set = new SlotSet(2000);
  for (let slot = 0; slot < 2000; slot += 2) set.add(slot);
  const hits = index.search(vectors[5] ?? new Float32Array(8), 10, { ef: 64, acceptSet: set, accept: (slot) => slot % 3 === 0 });
  assert.equal(hits.length, 10);
  for (const hit of hits) assert.equal(hit.slot % 6, 0);
  index.close();
});

test('HnswIndex: a write applied while an async walk runs never leaks a removed or reused slot', async () => {
  const dim = 16;
  const { index, vectors } = loaded('Euclid', 4000, dim);
  const query = vectors[100] ?? new Float32Array(dim);
  const far = new Float32Array(dim).fill(1000);
  for (let round = 0; round < 20; round++) {
    const before = index.search(query, 5, { ef: 64 });
    const best = before[0];
    assert.ok(best !== undefined);
    // Start walks, then, before they complete, remove the best slot and reuse it far away.
    const pending = [index.searchAsync(query, 5, { ef: 64 }), index.searchAsync(query, 5, { ef: 64 })];
    index.remove(best.slot);
    index.upsert(best.slot, far);
    for (const hits of await Promise.all(pending)) {
      assert.deepEqual(hits, index.search(query, 5, { ef: 64 }));
      assert.ok(!hits.some((h) => h.slot === best.slot), `round ${round}: the reused slot ${best.slot} came back`);
    }
    index.upsert(best.slot, vectors[best.slot] ?? far);
  }
  index.close();
});

test('HnswIndex: many walks in flight while points are added and removed stay valid', async () => {
  const dim = 12;
  const { index } = loaded('Cosine', 2000, dim);
  const extra = clusteredVectors(12, 2000, dim, 12);
  const walks: Promise<void>[] = [];
  for (let i = 0; i < 2000; i++) {
    const query = extra[(i * 7) % extra.length] ?? new Float32Array(dim);
    walks.push(
      index.searchAsync(query, 10, { ef: 32 }).then((hits) => {
        assert.ok(hits.length > 0);
        for (const hit of hits) assert.ok(index.has(hit.slot), `slot ${hit.slot} is not live`);
      }),
    );
    index.upsert(2000 + i, extra[i] ?? new Float32Array(dim));
    if (i % 3 === 0) index.remove(i);
  }
  await Promise.all(walks);
  assert.equal(index.count, 2000 + 2000 - Math.ceil(2000 / 3));
  assert.ok(index.capacity >= 4000, 'the graph grew while walks were in flight');
  index.close();
});

test('HnswIndex: closing with walks in flight settles every walk and crashes nothing', async () => {
  const { index, vectors } = loaded('Euclid', 2000, 8);
  const pending = vectors.slice(0, 50).map((q) => index.searchAsync(q, 10, { ef: 32 }).then(() => 'ok', () => 'rejected'));
  index.close();
  const outcomes = await Promise.all(pending);
  assert.equal(outcomes.length, 50);
  for (const o of outcomes) assert.ok(o === 'ok' || o === 'rejected');
});

test('planSearchAsync plans and answers like planSearch', async () => {
  // 8,000 × 128: a set of 6,000 exact candidates is past the candidates path's limit (4,000), so
  // the graph walks with the bitset alone, on the pool; a predicate walks on the JavaScript thread.
  const { index, vectors } = loaded('Cosine', 8000, 128);
  const set = new SlotSet(8000);
  for (let slot = 0; slot < 8000; slot++) if (slot % 4 !== 0) set.add(slot);
  const accept = (slot: number): boolean => set.has(slot);
  for (const query of vectors.slice(0, 20)) {
    const plain = { index, query, k: 10, ef: 50 };
    assert.deepEqual(await planSearchAsync(plain), planSearch(plain));
    for (const exact of [true, false]) {
      const filtered = { ...plain, accept, candidates: { slots: set, exact } };
      const expected = planSearch(filtered);
      assert.equal(expected.path, 'hnsw');
      assert.deepEqual(await planSearchAsync(filtered), expected);
      for (const hit of expected.hits) assert.notEqual(hit.slot % 4, 0);
    }
  }
  index.close();
});

test('HnswIndex: scores computed on the search thread equal the synchronous ones bit for bit (odd dimension)', async () => {
  for (const distance of DISTANCES) {
    const { index, vectors } = loaded(distance, 600, 13);
    for (let q = 0; q < 30; q++) {
      const query = vectors[(q * 53) % vectors.length] ?? new Float32Array(13);
      assert.deepEqual(await index.searchAsync(query, 10, { ef: 32 }), index.search(query, 10, { ef: 32 }), `${distance}, query ${q}`);
    }
    index.close();
  }
});

test('native graph: bad arguments throw a clear error and leave the graph usable', () => {
  const graph = new NativeHnsw('l2', 4);
  assert.throws(() => new NativeHnsw('cosine' as 'l2', 4), /space must be 'l2' or 'ip'/);
  assert.throws(() => graph.add(new Float32Array(4), 0), /closed or not initialised/);
  graph.init(8, 8, 32, 1);
  assert.throws(() => graph.add(new Float32Array(3), 0), /vector has 3 values, the graph 4/);
  assert.throws(() => graph.searchSync(new Float32Array(4), -1, 10), /non-negative integer/);
  assert.throws(() => void graph.search(new Float32Array(4), 1, 10, undefined, 5, false), /scoreDim exceeds/);
  assert.throws(() => void graph.search(new Float32Array(4), 1, 10, undefined, 4, 1 as unknown as boolean), /euclid must be a boolean/);
  graph.add(new Float32Array([1, 0, 0, 0]), 7);
  assert.deepEqual(Array.from(graph.searchSync(new Float32Array([1, 0, 0, 0]), 3, 10).labels), [7]);
  assert.equal(graph.remove(7), true);
  assert.equal(graph.remove(7), false);
  assert.equal(graph.searchSync(new Float32Array([1, 0, 0, 0]), 3, 10).labels.length, 0);
  graph.add(new Float32Array([0, 1, 0, 0]), 3);
  assert.throws(() => graph.searchSync(new Float32Array(4), 1, 10, () => { throw new Error('predicate failed'); }), /predicate failed/);
  graph.close();
  assert.throws(() => graph.size(), /closed/);
});

test('HnswIndex: staged vectors enter the graph at flushStaged, in parallel, and walks stay valid meanwhile', async () => {
  const dim = 16;
  const index = new HnswIndex({ dim, distance: 'Cosine', m: 16, efConstruct: 100 });
  const vectors = clusteredVectors(21, 4000, dim, 10);
  vectors.forEach((v, slot) => index.stage(slot, v));
  assert.equal(index.count, 4000);
  assert.equal(index.stagedCount, 4000);
  // Stored but not yet in the graph: exact scans see the vectors, graph walks do not.
  assert.equal(index.search(vectors[7] ?? new Float32Array(dim), 1, { exact: true })[0]?.slot, 7);
  assert.equal(index.search(vectors[7] ?? new Float32Array(dim), 5, { ef: 32 }).length, 0);
  index.remove(9); // staged, then removed before the flush: never inserted
  const walks = vectors.slice(0, 30).map((q) => index.searchAsync(q, 10, { ef: 32 }));
  await index.flushStaged(2);
  for (const hits of await Promise.all(walks)) for (const hit of hits) assert.ok(index.has(hit.slot));
  assert.equal(index.stagedCount, 0);
  let found = 0;
  for (let slot = 0; slot < 4000; slot += 40) {
    const top = index.search(vectors[slot] ?? new Float32Array(dim), 1, { ef: 64 })[0];
    if (top?.slot === slot) found++;
    assert.notEqual(top?.slot, 9);
  }
  assert.ok(found >= 95, `only ${found} of 100 points found themselves after a parallel build`);
  index.close();
});

test('HnswIndex: save with staged vectors writes them into the graph, and load finds them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hektor-staged-'));
  try {
    const { index, vectors } = loaded('Euclid', 1500, 8);
    const extra = clusteredVectors(5, 100, 8, 4);
    extra.forEach((v, i) => index.stage(1500 + i, v));
    index.save(join(dir, 'graph'));
    const reloaded = HnswIndex.load(join(dir, 'graph'), { dim: 8, distance: 'Euclid', m: 16, efConstruct: 100 });
    assert.equal(reloaded.count, 1600);
    assert.equal(reloaded.search(extra[3] ?? new Float32Array(8), 1, { ef: 64 })[0]?.slot, 1503);
    assert.equal(reloaded.search(vectors[3] ?? new Float32Array(8), 1, { ef: 64 })[0]?.slot, 3);
    reloaded.close();
    index.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HnswIndex: saveAsync writes what save writes, and searches are answered while it writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hektor-save-async-'));
  try {
    const { index, vectors } = loaded('Cosine', 4000, 32);
    const extra = clusteredVectors(9, 50, 32, 4);
    extra.forEach((v, i) => index.stage(4000 + i, v));
    const saving = index.saveAsync(join(dir, 'async'));
    // Both kinds of walk take the shared hold the write holds: neither waits for it.
    const during = await Promise.all(vectors.slice(0, 20).map((q) => index.searchAsync(q, 5, { ef: 32 })));
    const syncDuring = index.search(vectors[7] ?? new Float32Array(32), 5, { ef: 32 });
    await saving;
    index.save(join(dir, 'sync'));
    assert.deepEqual(readFileSync(join(dir, 'async')), readFileSync(join(dir, 'sync')), 'saveAsync and save wrote different graph files');
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'async.meta'), 'utf8')), JSON.parse(readFileSync(join(dir, 'sync.meta'), 'utf8')));
    const reloaded = HnswIndex.load(join(dir, 'async'), { dim: 32, distance: 'Cosine', m: 16, efConstruct: 100 });
    assert.equal(reloaded.count, 4050);
    assert.equal(reloaded.search(extra[7] ?? new Float32Array(32), 1, { ef: 64 })[0]?.slot, 4007);
    for (let q = 0; q < 20; q++) assert.deepEqual(during[q], index.search(vectors[q] ?? new Float32Array(32), 5, { ef: 32 }));
    assert.deepEqual(syncDuring, index.search(vectors[7] ?? new Float32Array(32), 5, { ef: 32 }));
    reloaded.close();
    index.close();
    await assert.rejects(index.saveAsync(join(dir, 'closed')), /closed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HnswIndex: the native exact scan of a candidate bitset equals brute force, and skips removed and staged-out slots', () => {
  const { index, vectors } = loaded('Cosine', 3000, 24);
  const set = new SlotSet(3000);
  for (let slot = 0; slot < 3000; slot += 7) set.add(slot);
  index.remove(7);
  for (const query of vectors.slice(0, 25)) {
    const native = index.searchAmong(query, set, 10);
    const candidates = Array.from(set).filter((slot) => slot !== 7).map((slot): [number, Float32Array] => [slot, vectors[slot] ?? new Float32Array(24)]);
    assert.deepEqual(native, bruteForceTopK('Cosine', candidates, query, 10));
    assert.deepEqual(index.searchAmong(query, set, 10, () => true), native);
    assert.ok(!native.some((h) => h.slot === 7));
  }
  // A staged vector is not in the graph yet: the scan merges the staged vectors in and sees it.
  index.stage(3500, vectors[1] ?? new Float32Array(24));
  set.add(3500);
  assert.ok(index.searchAmong(vectors[1] ?? new Float32Array(24), set, 3).some((h) => h.slot === 3500));
  index.close();
});

test('HnswIndex: the graph holds the only copy of the vectors; a version-1 save (graph + arena file) still loads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hektor-v1-'));
  try {
    const { index, vectors } = loaded('Dot', 1200, 8);
    index.remove(4);
    const expected = index.vector(10);
    index.save(join(dir, 'graph'));
    // Version 1 wrote `graph.arena` (header: magic, version, dim, distance code, slot end, live
    // count, Φ) instead of `graph.meta`; only its header is read now.
    const meta = JSON.parse(readFileSync(join(dir, 'graph.meta'), 'utf8')) as { dotNormBound: number };
    const header = Buffer.alloc(32);
    header.writeUInt32LE(0x41544b48, 0);
    header.writeUInt32LE(1, 4);
    header.writeUInt32LE(8, 8);
    header.writeUInt32LE(2, 12);
    header.writeUInt32LE(1200, 16);
    header.writeUInt32LE(1199, 20);
    header.writeDoubleLE(meta.dotNormBound, 24);
    writeFileSync(join(dir, 'graph.arena'), header);
    rmSync(join(dir, 'graph.meta'));
    const reloaded = HnswIndex.load(join(dir, 'graph'), { dim: 8, distance: 'Dot', m: 16, efConstruct: 100 });
    assert.equal(reloaded.count, 1199);
    assert.equal(reloaded.has(4), false);
    assert.deepEqual(reloaded.vector(10), expected);
    assert.equal(reloaded.search(vectors[10] ?? new Float32Array(8), 1, { exact: true })[0]?.slot, index.search(vectors[10] ?? new Float32Array(8), 1, { exact: true })[0]?.slot);
    // A header whose live count disagrees with the graph is refused.
    header.writeUInt32LE(5, 20);
    writeFileSync(join(dir, 'graph.arena'), header);
    assert.throws(() => HnswIndex.load(join(dir, 'graph'), { dim: 8, distance: 'Dot', m: 16, efConstruct: 100 }), /live vectors/);
    reloaded.close();
    index.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('releaseFreeMemory answers whether freed memory was given back, after a graph is freed', async () => {
  const graph = new NativeHnsw('l2', 4);
  graph.init(20_000, 16, 50, 1);
  const vectors = new Float32Array(20_000 * 4).map((_, i) => Math.sin(i));
  await graph.addBatch(vectors, Uint32Array.from({ length: 20_000 }, (_, i) => i), 2);
  graph.close();
  const released = await releaseFreeMemory();
  assert.equal(typeof released, 'boolean');
  // The graph is usable no longer, and the process goes on (the call only returns free pages).
  assert.throws(() => graph.size());
});
