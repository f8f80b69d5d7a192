import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/prng.js';
import { ExactIndex } from './exact-index.js';
import { HnswIndex } from './hnsw-index.js';
import { compileFilter, parseFilter } from './filter.js';
import { PayloadIndexes } from './payload-index.js';
import { exactCandidatesMax, planSearch, sampleMatches, type SearchPath } from './planner.js';
import { bruteForceTopK, clusteredVectors, recallOf } from './testing.js';
import type { Payload, SlotHit } from './types.js';
import type { IndexSearchOptions, VectorIndex } from './vector-index.js';

const N = 20_000;
const DIM = 16;
const EXACT_PATHS: SearchPath[] = ['exact', 'candidates', 'exact_filtered', 'hnsw_fallback_exact'];

interface Fixture {
  index: HnswIndex;
  /** Held-out points of the same clusters, used as queries. */
  queries: Float32Array[];
  vectors: Map<number, Float32Array>;
  payloads: Payload[];
  indexes: PayloadIndexes;
}

let fixture: Fixture | undefined;
function getFixture(): Fixture {
  if (fixture !== undefined) return fixture;
  const rng = new SeededRandom(99);
  const index = new HnswIndex({ dim: DIM, distance: 'Cosine', m: 16, efConstruct: 64 });
  const vectors = new Map<number, Float32Array>();
  const payloads: Payload[] = [];
  const indexes = new PayloadIndexes();
  indexes.createIndex('r', 'float');
  const all = clusteredVectors(98, N + 20, DIM, 40);
  const queries = all.slice(N);
  all.slice(0, N).forEach((v, slot) => {
    index.upsert(slot, v);
    vectors.set(slot, v);
    const payload: Payload = { r: rng.next() };
    payloads.push(payload);
    indexes.add(slot, payload);
  });
  fixture = { index, queries, vectors, payloads, indexes };
  return fixture;
}

for (const selectivity of [0.001, 0.01, 0.1, 0.5, 1]) {
  for (const withPayloadIndex of [false, true]) {
    test(`planner: selectivity ${selectivity * 100}% ${withPayloadIndex ? 'with' : 'without'} a payload index returns k hits whenever k match`, () => {
      const { index, vectors, payloads, indexes, queries: heldOut } = getFixture();
      const filter = parseFilter({ must: [{ key: 'r', range: { lt: selectivity } }] });
      const compiled = compileFilter(filter);
      const accept = (slot: number): boolean => compiled(slot, payloads[slot] ?? {});
      const matches = payloads.filter((p, slot) => compiled(slot, p)).length;
      const queries = heldOut.slice(0, 6);
      const paths = new Set<SearchPath>();
      let recallSum = 0;
      let approximate = 0;
      for (const k of [10, 50]) {
        for (const query of queries) {
          const plan = planSearch({
            index,
            query,
            k,
            ef: 64,
            accept,
            ...(withPayloadIndex
              ? (() => {
                  const candidates = indexes.candidates(filter, exactCandidatesMax(index.count, index.dim));
                  const estimatedMatches = indexes.estimate(filter);
                  return {
                    ...(candidates === undefined ? {} : { candidates }),
                    ...(estimatedMatches === undefined ? {} : { estimatedMatches }),
                  };
                })()
              : {}),
          });
          paths.add(plan.path);
          assert.equal(plan.hits.length, Math.min(k, matches), `path ${plan.path}`);
          assert.ok(plan.hits.every((h) => accept(h.slot)));
          const want = bruteForceTopK('Cosine', vectors, query, k, accept);
          if (EXACT_PATHS.includes(plan.path)) {
            assert.deepEqual(plan.hits, want, `path ${plan.path} is exact`);
          } else {
            recallSum += recallOf(plan.hits, want);
            approximate++;
          }
        }
      }
      if (approximate > 0) assert.ok(recallSum / approximate >= 0.9, `filtered HNSW recall ${recallSum / approximate}`);
      if (withPayloadIndex && matches <= exactCandidatesMax(N, DIM)) assert.deepEqual([...paths], ['candidates']);
      if (selectivity === 1) assert.deepEqual([...paths], ['hnsw']);
    });
  }
}

test('planner: exact requests and small collections are scanned exactly; unfiltered large ones use the graph', () => {
  const { index, vectors, queries } = getFixture();
  const query = queries[10]!;
  const exact = planSearch({ index, query, k: 10, exact: true });
  assert.equal(exact.path, 'exact');
  assert.deepEqual(exact.hits, bruteForceTopK('Cosine', vectors, query, 10));
  const graph = planSearch({ index, query, k: 10 });
  assert.equal(graph.path, 'hnsw');
  assert.equal(graph.ef, 128, 'the index default ef');
  assert.equal(planSearch({ index, query, k: 300, ef: 64 }).ef, 300, 'ef is at least k');

  const small = new HnswIndex({ dim: DIM, distance: 'Cosine', m: 8, efConstruct: 32 });
  for (let slot = 0; slot < 100; slot++) small.upsert(slot, vectors.get(slot)!);
  assert.equal(planSearch({ index: small, query, k: 5 }).path, 'exact');
  assert.deepEqual(planSearch({ index: small, query, k: 0 }).hits, []);
  small.close();
});

test('planner: a low estimated selectivity widens the beam; a sample stands in for a missing estimate', () => {
  const { index, queries } = getFixture();
  const query = queries[11]!;
  const accept = (slot: number): boolean => slot % 4 === 0;
  const wide = planSearch({ index, query, k: 10, ef: 64, accept, estimatedMatches: N / 4 });
  assert.equal(wide.path, 'hnsw');
  assert.equal(wide.ef, Math.ceil(64 * Math.SQRT2), 'selectivity 1/4 widens ef by its fourth root, √2');
  assert.equal(planSearch({ index, query, k: 10, ef: 64, accept, estimatedMatches: N / 5 }).ef, Math.ceil(64 * 5 ** 0.25));
  const sampled = sampleMatches(index, accept);
  assert.ok(sampled !== undefined && Math.abs(sampled - N / 4) < N / 12, `sampled estimate ${sampled}`);
  assert.equal(sampleMatches(index, accept), sampled, 'sampling is deterministic');
  const planned = planSearch({ index, query, k: 10, ef: 64, accept });
  assert.equal(planned.path, 'hnsw');
  assert.equal(planned.estimatedMatches, sampled);
  assert.ok((planned.ef ?? 0) > 64, 'the sampled selectivity widens the beam');
  const rare = planSearch({ index, query, k: 10, ef: 64, accept: (slot) => slot % 1000 === 0 });
  assert.equal(rare.path, 'exact_filtered', 'a sample that finds few matches picks the exact filtered scan');
  assert.equal(rare.hits.length, 10);
  assert.ok(exactCandidatesMax(1_000_000) < 0.03 * 1_000_000 && exactCandidatesMax(50_000) === 5000);
  // Candidates the payload indexes answer exactly are scanned up to a larger, dimension-aware size.
  assert.equal(exactCandidatesMax(100_000, 128), Math.floor(Math.sqrt(2000 * 100_000)));
  assert.equal(exactCandidatesMax(60_000, 784), Math.floor(Math.sqrt((256_000 / 784) * 60_000)));
});

/** An index whose graph search loses results, to exercise the planner's fallback. */
class LossyIndex implements VectorIndex {
  constructor(
    private readonly inner: ExactIndex,
    private readonly lossy = true,
  ) {}
  get dim(): number {
    return this.inner.dim;
  }
  get distance(): ExactIndex['distance'] {
    return this.inner.distance;
  }
  get count(): number {
    return this.inner.count;
  }
  upsert(slot: number, vector: Float32Array): void {
    this.inner.upsert(slot, vector);
  }
  remove(slot: number): void {
    this.inner.remove(slot);
  }
  has(slot: number): boolean {
    return this.inner.has(slot);
  }
  vector(slot: number): Float32Array | undefined {
    return this.inner.vector(slot);
  }
  search(query: Float32Array, k: number, options?: IndexSearchOptions): SlotHit[] {
    const hits = this.inner.search(query, k, options);
    return options?.exact === true || !this.lossy ? hits : hits.slice(0, Math.floor(hits.length / 2));
  }
  searchAmong(query: Float32Array, slots: Iterable<number>, k: number, accept?: (slot: number) => boolean): SlotHit[] {
    return this.inner.searchAmong(query, slots, k, accept);
  }
  close(): void {
    this.inner.close();
  }
}

test('planner: when the graph search comes back short, an exact filtered scan answers', () => {
  const { vectors, queries } = getFixture();
  const lossy = new LossyIndex(new ExactIndex({ dim: DIM, distance: 'Cosine' }));
  const faithful = new LossyIndex(new ExactIndex({ dim: DIM, distance: 'Cosine' }), false);
  for (let slot = 0; slot < 10_000; slot++) {
    lossy.upsert(slot, vectors.get(slot)!);
    faithful.upsert(slot, vectors.get(slot)!);
  }
  const query = queries[12]!;
  const accept = (slot: number): boolean => slot % 2 === 1;
  const plan = planSearch({ index: lossy, query, k: 20, accept });
  assert.equal(plan.path, 'hnsw_fallback_exact');
  assert.deepEqual(plan.hits, bruteForceTopK('Cosine', vectors.entries(), query, 20, (s) => s < 10_000 && accept(s)));
  const unfiltered = planSearch({ index: lossy, query, k: 20 });
  assert.equal(unfiltered.path, 'hnsw_fallback_exact');
  assert.equal(unfiltered.hits.length, 20);
  // Few estimated matches: an exact filtered scan straight away.
  assert.equal(planSearch({ index: lossy, query, k: 20, accept: (s) => s < 10, estimatedMatches: 10 }).path, 'exact_filtered');
  // Fewer hits than k, but as many as the estimate allows: nothing was missed, no second scan.
  const proven = planSearch({ index: faithful, query, k: 4000, accept: (s) => s < 2400, estimatedMatches: 2400 });
  assert.equal(proven.path, 'hnsw');
  assert.equal(proven.hits.length, 2400);
});

test('planner: candidates the payload indexes answer exactly are scored without evaluating the filter', () => {
  const { index, queries, indexes, payloads } = getFixture();
  const filter = parseFilter({ must: [{ key: 'r', range: { lt: 0.05 } }] });
  const candidates = indexes.candidates(filter, exactCandidatesMax(index.count, index.dim), index.slotEnd);
  assert.ok(candidates?.exact === true && candidates.slots.size > 10);
  let calls = 0;
  const compiled = compileFilter(filter);
  const accept = (slot: number): boolean => {
    calls++;
    return compiled(slot, payloads[slot] ?? {});
  };
  const query = queries[3]!;
  const exact = planSearch({ index, query, k: 10, accept, candidates });
  assert.equal(exact.path, 'candidates');
  assert.equal(calls, 0, 'an exact candidate set needs no filter evaluation');
  const checked = planSearch({ index, query, k: 10, accept, candidates: { slots: candidates.slots, exact: false } });
  assert.ok(calls >= candidates.slots.size, 'an inexact candidate set is checked slot by slot');
  assert.deepEqual(exact.hits, checked.hits);
  assert.deepEqual(exact.hits, index.search(query, 10, { exact: true, accept }));
});

test('planner: a graph walk tests large exact candidates with their bitset instead of the filter', () => {
  const { index, queries, indexes, payloads } = getFixture();
  const filter = parseFilter({ must: [{ key: 'r', range: { lt: 0.7 } }] });
  const candidates = indexes.candidates(filter, Number.POSITIVE_INFINITY, index.slotEnd);
  assert.ok(candidates?.exact === true && candidates.slots.size > exactCandidatesMax(index.count, index.dim));
  let calls = 0;
  const compiled = compileFilter(filter);
  const accept = (slot: number): boolean => {
    calls++;
    return compiled(slot, payloads[slot] ?? {});
  };
  for (const query of queries.slice(0, 5)) {
    const plan = planSearch({ index, query, k: 10, ef: 64, accept, candidates });
    assert.equal(plan.path, 'hnsw');
    assert.equal(plan.estimatedMatches, candidates.slots.size, 'the exact candidate count is the estimate');
    assert.equal(plan.hits.length, 10);
    for (const hit of plan.hits) assert.ok(compiled(hit.slot, payloads[hit.slot] ?? {}), 'every hit passes the filter');
  }
  assert.equal(calls, 0, 'the filter itself never ran');
});
