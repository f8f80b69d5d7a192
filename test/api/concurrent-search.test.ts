/**
 * Concurrent searches over REST while points change: searches from several clients at once walk
 * the graph on the node's search threads, and writes land between and during those walks. Every
 * answer must still be one the data allows: each hit passes the filter with the payload it is
 * returned with, its score is the score of the vector it is returned with, and a search asking for
 * `limit` hits gets `limit` distinct points.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HektorClient, type PointStruct } from '../../src/client/index.js';
import { SeededRandom } from '../../src/base/prng.js';
import { startNode, tempDir } from '../helpers/node.js';
import type { HektorNode } from '../../src/server/node.js';

const DIM = 64;
const POINTS = 20_000;
const BUCKETS = 10;
const dir = tempDir();
let node: HektorNode;
let client: HektorClient;

function unitVector(rng: SeededRandom): number[] {
  const v = Array.from({ length: DIM }, () => rng.gaussian());
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

before(async () => {
  ({ node, url: baseUrl } = await startNode(dir.path));
  client = new HektorClient({ url: baseUrl });
  await client.createCollection('c', { vectors: { size: DIM, distance: 'Cosine' } });
  await client.createPayloadIndex('c', 'bucket', 'integer');
  const rng = new SeededRandom(5);
  for (let start = 0; start < POINTS; start += 2000) {
    const points: PointStruct[] = [];
    for (let id = start; id < start + 2000; id++) points.push({ id, vector: unitVector(rng), payload: { bucket: id % BUCKETS } });
    await client.upsert('c', points);
  }
});
let baseUrl = '';
after(async () => {
  await node.stop();
  dir.remove();
});

test('searches from 8 clients during updates, deletes and re-inserts return only hits the data allows', async () => {
  const rng = new SeededRandom(9);
  const queries = Array.from({ length: 64 }, () => unitVector(rng));
  const deadline = Date.now() + 3000;
  let searches = 0;
  let writes = 0;

  // The writer moves points between buckets, deletes points and re-inserts them far away, so
  // that slots are freed and reused while walks are in flight.
  const writer = (async () => {
    const wr = new SeededRandom(17);
    while (Date.now() < deadline) {
      const ids = Array.from({ length: 50 }, () => wr.int(POINTS));
      await client.setPayload('c', { points: ids.slice(0, 25) }, { bucket: BUCKETS + wr.int(3) });
      await client.delete('c', { points: ids.slice(25) });
      await client.upsert('c', ids.slice(25).map((id) => ({ id, vector: unitVector(wr), payload: { bucket: id % BUCKETS } })));
      writes++;
    }
  })();

  const searcher = async (worker: number): Promise<void> => {
    let i = worker;
    while (Date.now() < deadline) {
      const vector = queries[i++ % queries.length] ?? [];
      const filtered = i % 2 === 0;
      const hits = await client.search('c', {
        vector,
        limit: 10,
        params: { hnsw_ef: 64 },
        with_payload: true,
        with_vector: true,
        ...(filtered ? { filter: { must: [{ key: 'bucket', range: { lt: 5 } }] } } : {}),
      });
      searches++;
      assert.equal(hits.length, 10, 'a search asking for 10 hits among thousands got fewer');
      assert.equal(new Set(hits.map((h) => String(h.id))).size, 10, 'a point appeared twice');
      for (let h = 0; h < hits.length; h++) {
        const hit = hits[h];
        assert.ok(hit !== undefined);
        const bucket = (hit.payload as { bucket?: unknown } | null | undefined)?.bucket;
        if (filtered) assert.ok(typeof bucket === 'number' && bucket < 5, `hit ${String(hit.id)} has bucket ${String(bucket)}, which the filter excludes`);
        const returned = hit.vector as number[];
        assert.ok(Math.abs(cosine(vector, returned) - hit.score) < 1e-5, `hit ${String(hit.id)}: score ${hit.score} is not the score of its vector`);
        if (h > 0) assert.ok((hits[h - 1]?.score ?? 0) >= hit.score, 'hits are not sorted by score');
      }
    }
  };

  await Promise.all([writer, ...Array.from({ length: 8 }, (_, w) => searcher(w))]);
  assert.ok(searches > 50 && writes > 3, `too little happened to test anything (${searches} searches, ${writes} write rounds)`);
  console.log(`# ${searches} searches and ${writes} write rounds (150 points each) in 3 s`);
});
