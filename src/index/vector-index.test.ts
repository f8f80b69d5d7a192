// Conformance suite: every VectorIndex implementation, under every distance, must pass the same
// tests. The HNSW index is held to a recall floor against brute force; the exact index to equality.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/prng.js';
import { ExactIndex } from './exact-index.js';
import { HnswIndex } from './hnsw-index.js';
import { bruteForceTopK, clusteredVectors, recallOf } from './testing.js';
import { compareHits, normalize, score } from './distance.js';
import type { Distance } from './types.js';
import type { VectorIndex } from './vector-index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Implementation {
  name: string;
  approximate: boolean;
  make(dim: number, distance: Distance, initialCapacity?: number): VectorIndex;
}

const IMPLEMENTATIONS: Implementation[] = [
  {
    name: 'ExactIndex',
    approximate: false,
    make: (dim, distance, initialCapacity) => new ExactIndex({ dim, distance, ...(initialCapacity === undefined ? {} : { initialCapacity }) }),
  },
  {
    name: 'HnswIndex',
    approximate: true,
    make: (dim, distance, initialCapacity) =>
      new HnswIndex({ dim, distance, m: 16, efConstruct: 100, ...(initialCapacity === undefined ? {} : { initialCapacity }) }),
  },
];
const DISTANCES: Distance[] = ['Cosine', 'Dot', 'Euclid'];

function fill(index: VectorIndex, vectors: Float32Array[], slotOf: (i: number) => number = (i) => i): Map<number, Float32Array> {
  const stored = new Map<number, Float32Array>();
  vectors.forEach((v, i) => {
    index.upsert(slotOf(i), v);
    stored.set(slotOf(i), v);
  });
  return stored;
}

function randomVector(rng: SeededRandom, dim: number): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = rng.gaussian();
  return v;
}

for (const impl of IMPLEMENTATIONS) {
  for (const distance of DISTANCES) {
    const label = `${impl.name}/${distance}`;

    test(`${label}: upsert, has, vector, count`, () => {
      const index = impl.make(4, distance);
      assert.equal(index.count, 0);
      assert.deepEqual(index.search(new Float32Array([1, 0, 0, 0]), 5), []);
      const v = new Float32Array([3, 0, 4, 0]);
      index.upsert(7, v);
      assert.equal(index.count, 1);
      assert.ok(index.has(7));
      assert.ok(!index.has(6));
      assert.ok(!index.has(1000));
      const expected = distance === 'Cosine' ? normalize(v) : v;
      assert.deepEqual(Array.from(index.vector(7) ?? []), Array.from(expected));
      assert.equal(index.vector(6), undefined);
      index.close();
    });

    test(`${label}: results match brute force (recall floor for approximate indexes)`, () => {
      const dim = 24;
      const vectors = clusteredVectors(11, 2000, dim, 20);
      const queries = clusteredVectors(12, 40, dim, 20);
      const index = impl.make(dim, distance);
      const stored = fill(index, vectors);
      const ef = 128;
      let recallSum = 0;
      for (const q of queries) {
        const got = index.search(q, 10, { ef });
        const want = bruteForceTopK(distance, stored, q, 10);
        assert.equal(got.length, 10);
        for (let i = 1; i < got.length; i++) assert.ok(compareHits(distance, got[i - 1]!, got[i]!) < 0, 'results are sorted best first');
        for (const hit of got) assert.equal(hit.score, score(distance, stored.get(hit.slot)!, q), 'score is the exact user-facing score');
        if (!impl.approximate) assert.deepEqual(got, want);
        recallSum += recallOf(got, want);
        assert.deepEqual(index.search(q, 10, { exact: true }), want, 'exact mode equals brute force');
      }
      const recall = recallSum / queries.length;
      assert.ok(recall >= 0.95, `recall@10 ${recall.toFixed(3)} is below 0.95`);
      index.close();
    });

    test(`${label}: update in place changes the vector, not the count`, () => {
      const dim = 8;
      const rng = new SeededRandom(3);
      const index = impl.make(dim, distance);
      const stored = fill(index, Array.from({ length: 200 }, () => randomVector(rng, dim)));
      const target = randomVector(rng, dim);
      index.upsert(42, target);
      stored.set(42, target);
      assert.equal(index.count, 200);
      const hits = index.search(target, 1);
      assert.equal(hits[0]?.slot, 42);
      assert.deepEqual(index.search(target, 5), bruteForceTopK(distance, stored, target, 5));
      index.close();
    });

    test(`${label}: remove hides a point, is idempotent, and a freed slot can be reused`, () => {
      const dim = 8;
      const rng = new SeededRandom(4);
      const index = impl.make(dim, distance);
      const stored = fill(index, Array.from({ length: 300 }, () => randomVector(rng, dim)));
      const old = stored.get(5)!;
      index.remove(5);
      index.remove(5);
      index.remove(999_999);
      stored.delete(5);
      assert.equal(index.count, 299);
      assert.ok(!index.has(5));
      assert.equal(index.vector(5), undefined);
      for (const exact of [false, true]) {
        const hits = index.search(old, 300, { exact });
        assert.ok(hits.every((h) => h.slot !== 5), 'removed slot never appears');
        assert.equal(hits.length, 299, 'k larger than the live count returns every live point');
      }
      const replacement = randomVector(rng, dim);
      index.upsert(5, replacement);
      stored.set(5, replacement);
      assert.equal(index.count, 300);
      assert.equal(index.search(replacement, 1)[0]?.slot, 5);
      assert.deepEqual(index.search(old, 10, { exact: true }), bruteForceTopK(distance, stored, old, 10));
      index.close();
    });

    test(`${label}: ties are broken by lower slot`, () => {
      const dim = 6;
      const rng = new SeededRandom(5);
      const index = impl.make(dim, distance);
      const twin = new Float32Array([1, 2, 3, 4, 5, 6]);
      const farAway = (): Float32Array => {
        const v = randomVector(rng, dim);
        // Opposite direction and far away, so no random point competes with the twins.
        for (let i = 0; i < dim; i++) v[i] = (v[i] ?? 0) * 0.01 - (twin[i] ?? 0) * 10;
        return v;
      };
      for (let slot = 0; slot < 60; slot++) index.upsert(slot, [9, 31, 17, 44, 50].includes(slot) ? twin : farAway());
      assert.deepEqual(
        index.search(twin, 3, { exact: true }).map((h) => h.slot),
        [9, 17, 31],
      );
      // HNSW's neighbour heuristic prunes links between exact duplicates, so which twins a graph
      // walk reaches is approximate; the ones it returns must still be in slot order.
      const hits = index.search(twin, 3);
      const slots = hits.map((h) => h.slot);
      assert.equal(hits.length, 3);
      assert.ok(slots.every((s) => [9, 31, 17, 44, 50].includes(s)), `only twins are returned: ${slots.join(',')}`);
      assert.deepEqual(slots, [...slots].sort((a, b) => a - b));
      if (!impl.approximate) assert.deepEqual(slots, [9, 17, 31]);
      index.close();
    });

    test(`${label}: accept predicate is honoured`, () => {
      const dim = 16;
      const vectors = clusteredVectors(21, 1500, dim, 10);
      const index = impl.make(dim, distance);
      const stored = fill(index, vectors);
      const accept = (slot: number): boolean => slot % 3 === 0;
      const queries = clusteredVectors(22, 20, dim, 10);
      let recallSum = 0;
      for (const q of queries) {
        const got = index.search(q, 10, { accept, ef: 128 });
        assert.ok(got.every((h) => accept(h.slot)));
        const want = bruteForceTopK(distance, stored, q, 10, accept);
        recallSum += recallOf(got, want);
        assert.deepEqual(index.search(q, 10, { accept, exact: true }), want);
      }
      assert.ok(recallSum / queries.length >= 0.95, `filtered recall ${recallSum / queries.length}`);
      index.close();
    });

    test(`${label}: searchAmong is exact over the candidates, skipping dead and unknown slots`, () => {
      const dim = 8;
      const rng = new SeededRandom(6);
      const index = impl.make(dim, distance);
      const stored = fill(index, Array.from({ length: 400 }, () => randomVector(rng, dim)));
      index.remove(10);
      stored.delete(10);
      const candidates = [10, 11, 12, 12, 50, 51, 52, 53, 200, 399, 5000, 300, 301];
      const q = randomVector(rng, dim);
      const allowed = new Set(candidates);
      const want = bruteForceTopK(distance, stored, q, 5, (s) => allowed.has(s));
      assert.deepEqual(index.searchAmong(q, candidates, 5), want);
      assert.deepEqual(index.searchAmong(q, new Set(candidates), 5), want);
      assert.equal(index.searchAmong(q, candidates, 100).length, 10);
      assert.deepEqual(index.searchAmong(q, [], 5), []);
      assert.deepEqual(index.searchAmong(q, candidates, 0), []);
      // With a predicate: only the candidates it accepts compete.
      const odd = (s: number) => s % 2 === 1;
      assert.deepEqual(index.searchAmong(q, new Set(candidates), 5, odd), bruteForceTopK(distance, stored, q, 5, (s) => allowed.has(s) && odd(s)));
      assert.equal(index.searchAmong(q, candidates, 100, odd).length, 5);
      index.close();
    });

    test(`${label}: every live point stays reachable by a wide graph search`, () => {
      // Guards against graphs that strand points: a plain inner-product HNSW graph left 16% of
      // these points unreachable under Dot before the Euclidean reduction.
      const dim = 16;
      const vectors = clusteredVectors(21, 1500, dim, 10);
      const index = impl.make(dim, distance);
      fill(index, vectors);
      for (let slot = 0; slot < 1500; slot += 10) index.remove(slot);
      const everything = index.search(vectors[3]!, index.count, { ef: 4000 });
      assert.equal(everything.length, index.count);
      index.close();
    });

    test(`${label}: grows past its initial capacity and keeps sparse slots`, () => {
      const dim = 8;
      const rng = new SeededRandom(7);
      const index = impl.make(dim, distance, 16);
      const stored = fill(
        index,
        Array.from({ length: 700 }, () => randomVector(rng, dim)),
        (i) => i * 3,
      );
      assert.equal(index.count, 700);
      const q = randomVector(rng, dim);
      assert.deepEqual(index.search(q, 20, { exact: true }), bruteForceTopK(distance, stored, q, 20));
      const approx = index.search(q, 20, { ef: 200 });
      assert.ok(recallOf(approx, bruteForceTopK(distance, stored, q, 20)) >= 0.9);
      index.close();
    });
  }
}

for (const distance of DISTANCES) {
  test(`HnswIndex/${distance}: save and load restore the same answers`, () => {
    const dim = 12;
    const dir = mkdtempSync(join(tmpdir(), 'hektor-hnsw-'));
    try {
      const options = { dim, distance, m: 12, efConstruct: 64 } as const;
      const index = new HnswIndex({ ...options, initialCapacity: 8 });
      const vectors = clusteredVectors(31, 500, dim, 8);
      vectors.forEach((v, i) => index.upsert(i, v));
      for (let slot = 0; slot < 500; slot += 7) index.remove(slot);
      const file = join(dir, 'graph.hnsw');
      index.save(file);
      const loaded = HnswIndex.load(file, options);
      assert.equal(loaded.count, index.count);
      for (const q of clusteredVectors(32, 10, dim, 8)) {
        assert.deepEqual(loaded.search(q, 10), index.search(q, 10));
        assert.deepEqual(loaded.search(q, 10, { exact: true }), index.search(q, 10, { exact: true }));
      }
      // The loaded index stays writable: reuse a tombstoned slot and add past the old end.
      loaded.upsert(7, vectors[1]!);
      loaded.upsert(600, vectors[2]!);
      assert.equal(loaded.count, index.count + 2);
      const twins = loaded.searchAmong(vectors[1]!, [7, 1], 2);
      assert.deepEqual(
        twins.map((h) => h.slot),
        [1, 7],
      );
      assert.equal(twins[0]!.score, twins[1]!.score);
      const everything = loaded.search(vectors[2]!, loaded.count, { ef: 1000 }).map((h) => h.slot);
      assert.equal(everything.length, loaded.count);
      assert.ok(everything.includes(7) && everything.includes(600), 'the graph reaches slots written after load');
      index.close();
      loaded.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('HnswIndex: an exception in accept propagates after the native search', () => {
  const index = new HnswIndex({ dim: 4, distance: 'Dot', m: 8, efConstruct: 32 });
  for (let slot = 0; slot < 50; slot++) index.upsert(slot, new Float32Array([slot, 1, 0, 0]));
  assert.throws(
    () =>
      index.search(new Float32Array([1, 0, 0, 0]), 5, {
        accept: () => {
          throw new Error('boom');
        },
      }),
    /boom/,
  );
  assert.equal(index.search(new Float32Array([1, 0, 0, 0]), 5).length, 5);
  index.close();
});

test('HnswIndex/Dot: a vector beyond the norm bound rebuilds the graph and stays exact in score', () => {
  const dim = 8;
  const rng = new SeededRandom(41);
  const index = new HnswIndex({ dim, distance: 'Dot', m: 16, efConstruct: 64 });
  const stored = new Map<number, Float32Array>();
  for (let slot = 0; slot < 300; slot++) {
    const v = randomVector(rng, dim).map((x) => x * 0.1);
    index.upsert(slot, v);
    stored.set(slot, v);
  }
  index.remove(3);
  stored.delete(3);
  for (const scale of [3, 30]) {
    const big = randomVector(rng, dim).map((x) => x * scale);
    index.upsert(1000 + scale, big);
    stored.set(1000 + scale, big);
  }
  assert.equal(index.count, 301);
  for (let i = 0; i < 10; i++) {
    const q = randomVector(rng, dim);
    const want = bruteForceTopK('Dot', stored, q, 10);
    assert.ok(recallOf(index.search(q, 10), want) >= 0.9);
    assert.deepEqual(index.search(q, 10, { exact: true }), want);
  }
  assert.equal(index.search(randomVector(rng, dim), 400, { ef: 1000 }).length, 301);
  index.close();
});
