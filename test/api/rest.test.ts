/**
 * End-to-end tests of the REST API through the TypeScript client against an in-process node:
 * every operation of the node issue, with results checked against what was written.
 */

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HektorApiError, HektorClient, type PointStruct } from '../../src/client/index.js';
import { SeededRandom } from '../../src/base/prng.js';
import { http, startNode, tempDir } from '../helpers/node.js';
import type { HektorNode } from '../../src/server/node.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = tempDir();
let node: HektorNode;
let url: string;
let client: HektorClient;

before(async () => {
  ({ node, url } = await startNode(dir.path));
  client = new HektorClient({ url });
});
after(async () => {
  await node.stop();
  dir.remove();
});

function randomVector(rng: SeededRandom, dim: number): number[] {
  return Array.from({ length: dim }, () => rng.gaussian());
}

async function expectCode(promise: Promise<unknown>, code: string, status?: number): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof HektorApiError, `expected HektorApiError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (status !== undefined) assert.equal(e.status, status);
    return true;
  });
}

describe('collections', () => {
  test('create, list, describe, exists, delete', async () => {
    assert.equal(await client.createCollection('c1', { vectors: { size: 4, distance: 'Cosine' }, hnsw_config: { m: 8, ef_construct: 64 } }), true);
    assert.deepEqual(await client.listCollections(), ['c1']);
    const info = await client.getCollection('c1');
    assert.equal(info.points_count, 0);
    assert.equal(info.config.params.vectors.size, 4);
    assert.equal(info.config.hnsw_config.m, 8);
    assert.equal(await client.collectionExists('c1'), true);
    await expectCode(client.createCollection('c1', { vectors: { size: 4, distance: 'Cosine' } }), 'collection_exists', 409);
    assert.ok(existsSync(join(dir.path, 'collections', 'c1')));
    assert.equal(await client.deleteCollection('c1'), true);
    assert.equal(await client.collectionExists('c1'), false);
    assert.equal(existsSync(join(dir.path, 'collections', 'c1')), false, 'a deleted collection must free its disk');
    await expectCode(client.getCollection('c1'), 'collection_not_found', 404);
  });

  test('bad configs are refused with stable codes', async () => {
    await expectCode(client.createCollection('bad', { vectors: { size: 0, distance: 'Cosine' } }), 'invalid_request', 400);
    await expectCode(client.createCollection('bad', { vectors: { size: 70000, distance: 'Cosine' } }), 'invalid_request', 400);
    await expectCode(client.createCollection('bad/x', { vectors: { size: 4, distance: 'Cosine' } }), 'invalid_collection_name', 400);
    await expectCode(client.createCollection('.hidden', { vectors: { size: 4, distance: 'Cosine' } }), 'invalid_collection_name', 400);
    const r = await http(url, 'PUT', '/collections/bad', { vectors: { size: 4, distance: 'Manhattan' } });
    assert.equal(r.status, 400);
    assert.deepEqual(await client.listCollections(), []);
  });
});

describe('points', () => {
  const name = 'pts';
  const rng = new SeededRandom(1);
  const points: PointStruct[] = [];
  before(async () => {
    await client.createCollection(name, { vectors: { size: 8, distance: 'Euclid' }, shard_number: 3 });
    for (let i = 0; i < 300; i++) {
      points.push({ id: i, vector: randomVector(rng, 8), payload: { group: `g${i % 5}`, n: i, tags: i % 2 === 0 ? ['even'] : ['odd'], nested: { level: i % 3 } } });
    }
    points.push({ id: '550e8400-e29b-41d4-a716-446655440000', vector: randomVector(rng, 8), payload: { group: 'uuid' } });
    for (let i = 0; i < points.length; i += 100) {
      const r = await client.upsert(name, points.slice(i, i + 100));
      assert.equal(r.status, 'completed');
    }
  });

  test('count and describe after upsert across 3 shards', async () => {
    assert.equal(await client.count(name), 301);
    assert.equal((await client.getCollection(name)).points_count, 301);
  });

  test('retrieve by ids keeps order, skips missing, returns vectors on request', async () => {
    const got = await client.retrieve(name, [5, 999, 3, '550E8400-E29B-41D4-A716-446655440000'], { with_vector: true });
    assert.deepEqual(got.map((r) => r.id), [5, 3, '550e8400-e29b-41d4-a716-446655440000']);
    assert.deepEqual(got[0]!.payload, points[5]!.payload);
    assert.equal(got[0]!.vector!.length, 8);
    assert.ok(Math.abs(got[0]!.vector![0]! - points[5]!.vector[0]!) < 1e-6);
  });

  test('exact search equals brute force (Euclid distance, ascending, ties by id)', async () => {
    const q = randomVector(rng, 8);
    const hits = await client.search(name, { vector: q, limit: 10, params: { exact: true }, with_payload: true });
    const expected = points
      .map((p) => ({ id: p.id, d: Math.sqrt(p.vector.reduce((s, v, i) => s + (v - q[i]!) ** 2, 0)) }))
      .sort((a, b) => a.d - b.d)
      .slice(0, 10);
    assert.deepEqual(hits.map((h) => h.id), expected.map((e) => e.id));
    for (let i = 0; i < 10; i++) assert.ok(Math.abs(hits[i]!.score - expected[i]!.d) < 1e-4);
    assert.ok(hits[0]!.payload !== null);
    const approx = await client.search(name, { vector: q, limit: 10, params: { hnsw_ef: 128 } });
    assert.deepEqual(approx.map((h) => h.id), expected.map((e) => e.id));
    assert.equal(approx[0]!.payload, null);
  });

  test('search with offset, score_threshold and payload selectors', async () => {
    const q = points[7]!.vector;
    const all = await client.search(name, { vector: q, limit: 6, params: { exact: true } });
    assert.equal(all[0]!.id, 7);
    const page2 = await client.search(name, { vector: q, limit: 3, offset: 3, params: { exact: true } });
    assert.deepEqual(page2.map((h) => h.id), all.slice(3).map((h) => h.id));
    const near = await client.search(name, { vector: q, limit: 50, score_threshold: all[2]!.score, params: { exact: true } });
    assert.ok(near.every((h) => h.score <= all[2]!.score));
    assert.ok(near.length >= 3);
    const sel = await client.search(name, { vector: q, limit: 1, with_payload: ['group', 'nested.level'] });
    assert.deepEqual(sel[0]!.payload, { group: 'g2', nested: { level: 1 } });
    const excl = await client.search(name, { vector: q, limit: 1, with_payload: { exclude: ['tags', 'nested', 'n'] } });
    assert.deepEqual(excl[0]!.payload, { group: 'g2' });
  });

  test('filtered search, count and scroll agree with the payloads', async () => {
    const q = randomVector(rng, 8);
    const filter = { must: [{ key: 'group', match: { value: 'g1' } }], must_not: [{ key: 'n', range: { lt: 100 } }] };
    const expectedIds = points.filter((p) => p.payload?.group === 'g1' && (p.payload.n as number) >= 100).map((p) => p.id);
    assert.equal(await client.count(name, filter), expectedIds.length);
    const hits = await client.search(name, { vector: q, limit: 1000, filter });
    assert.deepEqual(hits.map((h) => h.id).sort((a, b) => Number(a) - Number(b)), expectedIds);
    const page = await client.scroll(name, { filter, limit: 1000 });
    assert.deepEqual(page.points.map((p) => p.id), expectedIds);
    assert.equal(await client.count(name, { must: [{ key: 'tags', match: { value: 'even' } }] }), 150);
    assert.equal(await client.count(name, { must: [{ key: 'nested.level', match: { any: [0, 2] } }] }), 200);
    assert.equal(await client.count(name, { should: [{ has_id: [1, 2, 3] }, { key: 'group', match: { value: 'uuid' } }] }), 4);
  });

  test('scroll pages through every point in id order (integers before UUIDs)', async () => {
    const seen: (number | string)[] = [];
    let offset: number | string | null | undefined;
    do {
      const page = await client.scroll(name, { limit: 37, ...(offset === undefined || offset === null ? {} : { offset }) });
      seen.push(...page.points.map((p) => p.id));
      offset = page.next_page_offset;
    } while (offset !== null);
    assert.equal(seen.length, 301);
    assert.deepEqual(seen.slice(0, 300), Array.from({ length: 300 }, (_, i) => i));
    assert.equal(seen[300], '550e8400-e29b-41d4-a716-446655440000');
  });

  test('payload set, set at key, overwrite, delete keys, clear', async () => {
    await client.setPayload(name, { points: [10] }, { color: 'red' });
    let [r] = await client.retrieve(name, [10]);
    assert.deepEqual(r!.payload, { ...points[10]!.payload, color: 'red' });
    await client.setPayload(name, { points: [10] }, { deep: 1 }, 'nested');
    [r] = await client.retrieve(name, [10]);
    assert.deepEqual(r!.payload!.nested, { level: 1, deep: 1 });
    await client.deletePayload(name, { points: [10] }, ['color', 'nested.deep']);
    [r] = await client.retrieve(name, [10]);
    assert.deepEqual(r!.payload, points[10]!.payload);
    await client.overwritePayload(name, { points: [10] }, { only: true });
    [r] = await client.retrieve(name, [10]);
    assert.deepEqual(r!.payload, { only: true });
    await client.clearPayload(name, { points: [10] });
    [r] = await client.retrieve(name, [10]);
    assert.deepEqual(r!.payload, {});
    await client.setPayload(name, { filter: { must: [{ key: 'group', match: { value: 'g4' } }] } }, { flagged: true });
    assert.equal(await client.count(name, { must: [{ key: 'flagged', match: { value: true } }] }), 60);
    await expectCode(client.setPayload(name, { points: [123456] }, { a: 1 }), 'point_not_found', 404);
  });

  test('delete by ids and by filter; deletes are visible to search immediately', async () => {
    await client.delete(name, { points: [0, 1, 2] });
    assert.equal((await client.retrieve(name, [0, 1, 2])).length, 0);
    const hits = await client.search(name, { vector: points[1]!.vector, limit: 5 });
    assert.ok(!hits.some((h) => h.id === 1));
    await client.delete(name, { filter: { must: [{ key: 'group', match: { value: 'g3' } }] } });
    assert.equal(await client.count(name, { must: [{ key: 'group', match: { value: 'g3' } }] }), 0);
    assert.equal(await client.count(name), 301 - 3 - 60);
  });

  test('upsert replaces vector and payload in place', async () => {
    const v = randomVector(rng, 8);
    await client.upsert(name, [{ id: 50, vector: v, payload: { replaced: true } }]);
    const [r] = await client.retrieve(name, [50], { with_vector: true });
    assert.deepEqual(r!.payload, { replaced: true });
    const hits = await client.search(name, { vector: v, limit: 1 });
    assert.equal(hits[0]!.id, 50);
    assert.ok(hits[0]!.score < 1e-4);
  });

  test('query endpoint: nearest vector, by point id, and batch search', async () => {
    const q = points[20]!.vector;
    const byVector = await client.query(name, { query: q, limit: 3 });
    assert.equal(byVector.points[0]!.id, 20);
    const byNearest = await client.query(name, { query: { nearest: q }, limit: 3 });
    assert.deepEqual(byNearest.points.map((p) => p.id), byVector.points.map((p) => p.id));
    const byId = await client.query(name, { query: 20, limit: 3 });
    assert.deepEqual(byId.points.map((p) => p.id), byVector.points.map((p) => p.id));
    const batch = await client.searchBatch(name, [{ vector: q, limit: 2 }, { vector: points[21]!.vector, limit: 2 }]);
    assert.equal(batch.length, 2);
    assert.equal(batch[1]![0]!.id, 21);
  });

  test('payload indexes are created, reported and used by filtered search', async () => {
    await client.createPayloadIndex(name, 'group', 'keyword');
    await client.createPayloadIndex(name, 'n', 'integer');
    const info = await client.getCollection(name);
    assert.equal(info.payload_schema.group?.data_type, 'keyword');
    assert.ok(info.payload_schema.group.points > 0);
    const filter = { must: [{ key: 'group', match: { value: 'g2' } }, { key: 'n', range: { gte: 200 } }] };
    const expected = await client.scroll(name, { filter, limit: 1000 });
    assert.equal(await client.count(name, filter), expected.points.length);
    const hits = await client.search(name, { vector: randomVector(rng, 8), limit: 1000, filter });
    assert.equal(hits.length, expected.points.length);
    await client.deletePayloadIndex(name, 'n');
    assert.equal((await client.getCollection(name)).payload_schema.n, undefined);
  });
});

describe('on_disk_payload', () => {
  test('payloads read from disk serve filters, selectors and edits like cached ones', async () => {
    await client.createCollection('disk', { vectors: { size: 2, distance: 'Dot' }, on_disk_payload: true });
    await client.upsert('disk', [
      { id: 1, vector: [1, 0], payload: { city: 'Oslo', n: 1 } },
      { id: 2, vector: [0, 1], payload: { city: 'Rome', n: 2 } },
    ]);
    assert.equal((await client.getCollection('disk')).config.params.on_disk_payload, true);
    assert.equal(await client.count('disk', { must: [{ key: 'city', match: { value: 'Rome' } }] }), 1);
    await client.setPayload('disk', { points: [1] }, { flag: true });
    const hits = await client.search('disk', { vector: [1, 0], limit: 1, with_payload: ['city', 'flag'] });
    assert.deepEqual(hits[0]!.payload, { city: 'Oslo', flag: true });
  });
});

describe('validation', () => {
  before(async () => {
    await client.createCollection('v', { vectors: { size: 3, distance: 'Dot' } });
  });

  test('wrong vector size, NaN-like values, malformed ids are refused and change nothing', async () => {
    await expectCode(client.upsert('v', [{ id: 1, vector: [1, 2] }]), 'invalid_vector', 400);
    const huge = await http(url, 'PUT', '/collections/v/points?wait=true', undefined, '{"points":[{"id":1,"vector":[1e400,0,0]}]}');
    assert.equal(huge.status, 400);
    assert.equal((huge.json as { status: { code: string } }).status.code, 'invalid_vector');
    await expectCode(client.upsert('v', [{ id: -5, vector: [1, 2, 3] }]), 'invalid_point_id', 400);
    await expectCode(client.upsert('v', [{ id: 'not-a-uuid', vector: [1, 2, 3] }]), 'invalid_point_id', 400);
    await expectCode(client.upsert('v', [{ id: 1, vector: [1, 2, 3] }, { id: 2, vector: [1, 2] }]), 'invalid_vector', 400);
    assert.equal(await client.count('v'), 0);
  });

  test('invalid filters, JSON, unknown collections and routes', async () => {
    await expectCode(client.count('v', { must: [{ key: 'a' }] }), 'invalid_filter', 400);
    await expectCode(client.search('v', { vector: [1, 2, 3], limit: 3, filter: { must: [{ key: 'a', range: { gt: 'x' } }] } as never }), 'invalid_filter', 400);
    const bad = await http(url, 'POST', '/collections/v/points/search', undefined, '{"vector": [1,2,3], "limit": ');
    assert.equal(bad.status, 400);
    assert.equal((bad.json as { status: { code: string } }).status.code, 'invalid_json');
    // Prototype-poisoning keys are refused whether spelled out or hidden behind \u escapes; a
    // \u escape elsewhere (non-ASCII payload text) still parses.
    for (const body of ['{"vector":[1,2,3],"limit":1,"__proto__":{"x":1}}', '{"vector":[1,2,3],"limit":1,"\\u005f_proto__":{"x":1}}', '{"vector":[1,2,3],"limit":1,"constructor":{"prototype":{"x":1}}}']) {
      const poisoned = await http(url, 'POST', '/collections/v/points/search', undefined, body);
      assert.equal(poisoned.status, 400, body);
      assert.equal((poisoned.json as { status: { code: string } }).status.code, 'invalid_json', body);
    }
    const escaped = await http(url, 'POST', '/collections/v/points/search', undefined, '{"vector":[1,2,3],"limit":1,"filter":{"must":[{"key":"t","match":{"value":"\\u00e9t\\u00e9"}}]}}');
    assert.equal(escaped.status, 200, JSON.stringify(escaped.json));
    await expectCode(client.search('missing', { vector: [1, 2, 3], limit: 1 }), 'collection_not_found', 404);
    const nf = await http(url, 'GET', '/nope');
    assert.equal(nf.status, 404);
    assert.equal((nf.json as { status: { code: string } }).status.code, 'route_not_found');
    await expectCode(client.search('v', { vector: [1, 2, 3], limit: 0 }), 'invalid_request', 400);
  });

  test('oversized requests are refused with payload_too_large', async () => {
    const big = `{"points":[{"id":1,"vector":[1,2,3],"payload":{"x":"${'a'.repeat(65 * 1024 * 1024)}"}}]}`;
    const r = await http(url, 'PUT', '/collections/v/points', undefined, big);
    assert.equal(r.status, 413);
    assert.equal((r.json as { status: { code: string } }).status.code, 'payload_too_large');
    assert.equal(await client.count('v'), 0);
  });

  test('bodies with raw UTF-8 text decode as UTF-8 (ASCII bodies take a faster decode)', async () => {
    await client.createCollection('utf8', { vectors: { size: 3, distance: 'Dot' } });
    const text = 'café — 東京 🚀';
    const put = await http(url, 'PUT', '/collections/utf8/points?wait=true', undefined, `{"points":[{"id":7,"vector":[1,2,3],"payload":{"t":"${text}"}}]}`);
    assert.equal(put.status, 200, JSON.stringify(put.json));
    const found = await http(url, 'POST', '/collections/utf8/points/scroll', undefined, `{"filter":{"must":[{"key":"t","match":{"value":"${text}"}}]},"with_payload":true}`);
    assert.equal(found.status, 200, JSON.stringify(found.json));
    const points = (found.json as { result: { points: { id: number; payload: { t: string } }[] } }).result.points;
    assert.deepEqual(points.map((p) => [p.id, p.payload.t]), [[7, text]]);
  });
});

describe('service endpoints', () => {
  test('health, root and metrics', async () => {
    assert.equal((await http(url, 'GET', '/healthz')).status, 200);
    assert.equal((await http(url, 'GET', '/readyz')).status, 200);
    assert.equal((await http(url, 'GET', '/livez')).status, 200);
    const root = await http(url, 'GET', '/');
    assert.equal((root.json as { version: string }).version, '1.18.0');
    const metrics = await fetch(`${url}/metrics`).then((r) => r.text());
    assert.match(metrics, /hektor_http_requests_total\{method="POST",route="\/collections\/:name\/points\/search",status="200"\} \d+/);
    assert.match(metrics, /hektor_http_request_duration_seconds_bucket/);
    assert.match(metrics, /hektor_collection_points\{collection="pts"\} \d+/);
    assert.match(metrics, /hektor_vector_index_size\{collection="pts"\} \d+/);
  });
});
