/**
 * Cross-node point routing on a 3-node cluster: a collection with shards on every node is written
 * through one node and read through the others; every node gives the same answers, equal to the
 * answers of one node holding all the data.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HektorClient, type PointStruct } from '../../src/client/index.js';
import { SeededRandom } from '../../src/base/prng.js';
import * as grpc from '@grpc/grpc-js';
import { TestCluster } from '../helpers/cluster.js';
import { loadPointsProto } from '../../src/transport/grpc.js';

let cluster: TestCluster;
let clients: HektorClient[];
const rng = new SeededRandom(99);
const points: PointStruct[] = Array.from({ length: 400 }, (_, i) => ({
  id: i,
  vector: [rng.gaussian(), rng.gaussian(), rng.gaussian(), rng.gaussian()],
  payload: { group: i % 4, tag: i % 2 === 0 ? 'even' : 'odd' },
}));

before(async () => {
  cluster = await TestCluster.start({ ids: ['r1', 'r2', 'r3'], extraArgs: () => ['--grpc-api-port', '0'] });
  clients = cluster.running().map((n) => new HektorClient({ url: n.url }));
  await clients[0]!.createCollection('spread', { vectors: { size: 4, distance: 'Euclid' }, shard_number: 6 });
  for (let i = 0; i < points.length; i += 100) await clients[i % 3]!.upsert('spread', points.slice(i, i + 100));
});
after(async () => {
  await cluster.close();
});

test('points spread over every node, and every node sees all of them', async () => {
  const info = (await (await fetch(`${cluster.running()[0]!.url}/collections/spread/cluster`)).json()) as {
    result: { local_shards: unknown[]; remote_shards: { peer_id: string }[] };
  };
  const peers = new Set(info.result.remote_shards.map((s) => s.peer_id));
  assert.equal(peers.size, 2, 'shards should be placed on the other two nodes too');
  for (const c of clients) {
    assert.equal(await c.count('spread'), 400);
    assert.equal((await c.getCollection('spread')).points_count, 400);
    assert.equal(await c.count('spread', { must: [{ key: 'group', match: { value: 2 } }] }), 100);
  }
});

test('search, scroll and retrieve agree on every node and with brute force', async () => {
  const q = [0.1, -0.2, 0.3, 0.05];
  const expected = points
    .map((p) => ({ id: p.id, d: Math.sqrt(p.vector.reduce((s, v, j) => s + (v - q[j]!) ** 2, 0)) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, 10)
    .map((e) => e.id);
  for (const c of clients) {
    const hits = await c.search('spread', { vector: q, limit: 10, params: { exact: true } });
    assert.deepEqual(hits.map((h) => h.id), expected);
    const page = await c.scroll('spread', { limit: 7, offset: 100, filter: { must: [{ key: 'tag', match: { value: 'odd' } }] } });
    assert.deepEqual(page.points.map((p) => p.id), [101, 103, 105, 107, 109, 111, 113]);
    assert.equal(page.next_page_offset, 115);
    const got = await c.retrieve('spread', [399, 0, 200], { with_vector: true });
    assert.deepEqual(got.map((r) => r.id), [399, 0, 200]);
  }
});

test('writes through any node reach the owning shard: payload edits, deletes by id and filter', async () => {
  await clients[1]!.setPayload('spread', { points: [5, 6, 7] }, { marked: true });
  assert.equal(await clients[2]!.count('spread', { must: [{ key: 'marked', match: { value: true } }] }), 3);
  await clients[2]!.delete('spread', { points: [5] });
  await clients[0]!.delete('spread', { filter: { must: [{ key: 'group', match: { value: 0 } }] } });
  for (const c of clients) {
    assert.equal(await c.count('spread'), 400 - 100 - 1);
    assert.equal((await c.retrieve('spread', [5, 6])).length, 1);
  }
  await assert.rejects(clients[0]!.setPayload('spread', { points: [5] }, { x: 1 }), /no point with id 5/);
});

test('the public gRPC API routes across nodes too', async () => {
  for (const node of cluster.running()) {
    const line = node.logs.find((l) => l.includes('"msg":"public gRPC API listening"'));
    assert.ok(line !== undefined, `${node.id} did not log its gRPC API port`);
    const port = (JSON.parse(line) as { port: number }).port;
    const Points = loadPointsProto().hektor.api.v1.Points;
    const client = new Points(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const count = await new Promise<number>((resolve, reject) => {
        client.Count({ collection: 'spread', filter_json: '' }, (e, r) => (e !== null ? reject(e) : resolve(r?.count ?? -1)));
      });
      assert.equal(count, await clients[0]!.count('spread'));
    } finally {
      client.close();
    }
  }
});
