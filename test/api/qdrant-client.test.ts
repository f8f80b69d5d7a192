/**
 * Drives Hektor through the official Qdrant JavaScript client (@qdrant/js-client-rest 1.18),
 * unchanged: if these calls work, existing Qdrant integrations work against Hektor.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';
import { startNode, tempDir } from '../helpers/node.js';
import type { HektorNode } from '../../src/server/node.js';

const dir = tempDir();
let node: HektorNode;
let client: QdrantClient;
const warnings: unknown[][] = [];
const originalWarn = console.warn;

before(async () => {
  const started = await startNode(dir.path);
  node = started.node;
  console.warn = (...args: unknown[]) => {
    warnings.push(args);
  };
  client = new QdrantClient({ url: started.url });
});
after(async () => {
  console.warn = originalWarn;
  await node.stop();
  dir.remove();
});

const vec = (a: number, b: number, c: number, d: number) => [a, b, c, d];

test('qdrant client: collection lifecycle', async () => {
  assert.equal(await client.createCollection('books', { vectors: { size: 4, distance: 'Dot' } }), true);
  const list = await client.getCollections();
  assert.deepEqual(list.collections.map((c) => c.name), ['books']);
  assert.deepEqual(await client.collectionExists('books'), { exists: true });
  const info = await client.getCollection('books');
  assert.equal(info.config.params.vectors && 'size' in info.config.params.vectors ? info.config.params.vectors.size : -1, 4);
  assert.equal(warnings.length, 0, `client warned: ${JSON.stringify(warnings)}`);
});

test('qdrant client: upsert, retrieve, search, query, scroll, count', async () => {
  const r = await client.upsert('books', {
    wait: true,
    points: [
      { id: 1, vector: vec(0.05, 0.61, 0.76, 0.74), payload: { city: 'Berlin', year: 1990 } },
      { id: 2, vector: vec(0.19, 0.81, 0.75, 0.11), payload: { city: 'London', year: 2001 } },
      { id: 3, vector: vec(0.36, 0.55, 0.47, 0.94), payload: { city: 'Moscow', year: 2010 } },
      { id: 4, vector: vec(0.18, 0.01, 0.85, 0.8), payload: { city: 'New York', year: 2020 } },
      { id: 5, vector: vec(0.24, 0.18, 0.22, 0.44), payload: { city: 'Beijing', year: 1995 } },
      { id: 6, vector: vec(0.35, 0.08, 0.11, 0.44), payload: { city: 'Mumbai', year: 2005 } },
    ],
  });
  assert.equal(r.status, 'completed');
  const got = await client.retrieve('books', { ids: [2, 4], with_payload: true });
  assert.deepEqual(got.map((p) => p.payload?.city), ['London', 'New York']);

  const hits = await client.search('books', { vector: vec(0.2, 0.1, 0.9, 0.7), limit: 3 });
  assert.deepEqual(hits.map((h) => h.id), [4, 1, 3]);
  assert.ok(Math.abs(hits[0]!.score - 1.362) < 1e-3);

  const filtered = await client.search('books', {
    vector: vec(0.2, 0.1, 0.9, 0.7),
    limit: 3,
    filter: { must: [{ key: 'city', match: { value: 'London' } }] },
    with_payload: true,
  });
  assert.deepEqual(filtered.map((h) => h.id), [2]);

  const q = await client.query('books', { query: vec(0.2, 0.1, 0.9, 0.7), limit: 2, with_payload: true });
  assert.deepEqual(q.points.map((p) => p.id), [4, 1]);

  const page = await client.scroll('books', { limit: 4, filter: { must: [{ key: 'year', range: { gte: 1995 } }] } });
  assert.deepEqual(page.points.map((p) => p.id), [2, 3, 4, 5]);
  assert.equal(page.next_page_offset, 6);

  const count = await client.count('books', { exact: true, filter: { must_not: [{ key: 'city', match: { any: ['Berlin', 'Mumbai'] } }] } });
  assert.equal(count.count, 4);

  const batch = await client.searchBatch('books', { searches: [{ vector: vec(1, 0, 0, 0), limit: 1 }, { vector: vec(0, 1, 0, 0), limit: 1 }] });
  assert.equal(batch.length, 2);
  assert.equal(batch[1]![0]!.id, 2);
});

test('qdrant client: payload operations, payload index, deletes', async () => {
  await client.setPayload('books', { payload: { rating: 5 }, points: [1], wait: true });
  await client.overwritePayload('books', { payload: { city: 'Paris' }, points: [2], wait: true });
  await client.deletePayload('books', { keys: ['year'], points: [3], wait: true });
  await client.clearPayload('books', { points: [4], wait: true });
  const got = await client.retrieve('books', { ids: [1, 2, 3, 4], with_payload: true });
  assert.deepEqual(got.map((p) => p.payload), [{ city: 'Berlin', year: 1990, rating: 5 }, { city: 'Paris' }, { city: 'Moscow' }, {}]);

  const idx = await client.createPayloadIndex('books', { field_name: 'city', field_schema: 'keyword', wait: true });
  assert.equal(idx.status, 'completed');

  await client.delete('books', { points: [5], wait: true });
  await client.delete('books', { filter: { must: [{ key: 'city', match: { value: 'Paris' } }] }, wait: true });
  const left = await client.scroll('books', { limit: 10 });
  assert.deepEqual(left.points.map((p) => p.id), [1, 3, 4, 6]);
  assert.equal(await client.deleteCollection('books'), true);
});

test('qdrant client: errors surface as client errors with the server message', async () => {
  await assert.rejects(client.search('missing', { vector: vec(1, 0, 0, 0), limit: 1 }), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /Not Found|does not exist/);
    return true;
  });
});
