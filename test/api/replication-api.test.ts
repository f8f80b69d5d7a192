/**
 * The user-facing API of replicated shards on a single node: collection replication settings
 * (validation and how GET /collections/{name} shows them), the per-request write_consistency and
 * read_consistency overrides, the cluster endpoint's replica status, the truncated-entries
 * endpoints and the replication metrics.
 */

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { toReplicationConfig } from '../../src/api/convert.js';
import { effectiveWriteConsistency, type CollectionConfig } from '../../src/shard/collection.js';
import { HektorError } from '../../src/base/errors.js';
import { http, startNode, tempDir } from '../helpers/node.js';
import type { HektorNode } from '../../src/server/node.js';

const dir = tempDir();
let node: HektorNode;
let url: string;

before(async () => {
  ({ node, url } = await startNode(dir.path));
  const created = await http(url, 'PUT', '/collections/r', { vectors: { size: 2, distance: 'Dot' } });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  const written = await http(url, 'PUT', '/collections/r/points?wait=true', { points: [{ id: 1, vector: [1, 0], payload: { a: 1 } }, { id: 2, vector: [0, 1] }] });
  assert.equal(written.status, 200, JSON.stringify(written.json));
});
after(async () => {
  await node.stop();
  dir.remove();
});

interface ErrorReply {
  status: { error: string; code: string };
}

function errorOf(reply: { status: number; json: unknown }): { http: number; code: string; message: string } {
  const body = reply.json as ErrorReply;
  return { http: reply.status, code: body.status.code, message: body.status.error };
}

function vectors(): { size: number; distance: string } {
  return { size: 2, distance: 'Cosine' };
}

describe('collection replication settings', () => {
  test('replication_factor above the live nodes is refused by the cluster with invalid_config', async () => {
    const e = errorOf(await http(url, 'PUT', '/collections/rf2', { vectors: vectors(), replication_factor: 2 }));
    assert.equal(e.http, 400);
    assert.equal(e.code, 'invalid_config', e.message);
    assert.match(e.message, /replication_factor 2/);
    const exists = (await http(url, 'GET', '/collections/rf2/exists')).json as { result: { exists: boolean } };
    assert.equal(exists.result.exists, false, 'a refused collection must not exist');
  });

  test('sync or semi_sync with replication_factor 1 is invalid_config', async () => {
    for (const mode of ['sync', 'semi_sync']) {
      const e = errorOf(await http(url, 'PUT', `/collections/${mode}1`, { vectors: vectors(), write_consistency: { mode } }));
      assert.equal(e.code, 'invalid_config', e.message);
      assert.match(e.message, /needs replication_factor >= 2/);
    }
  });

  test('semi_sync min_acks above replication_factor - 1 is invalid_config', async () => {
    const e = errorOf(await http(url, 'PUT', '/collections/acks', { vectors: vectors(), replication_factor: 3, write_consistency: { mode: 'semi_sync', min_acks: 3 } }));
    assert.equal(e.http, 400);
    assert.equal(e.code, 'invalid_config', e.message);
    assert.match(e.message, /min_acks 3 must be at most replication_factor - 1 = 2/);
  });

  test('min_acks with a mode other than semi_sync, and write_consistency_factor above replication_factor, are invalid_config', async () => {
    const a = errorOf(await http(url, 'PUT', '/collections/x', { vectors: vectors(), replication_factor: 3, write_consistency: { mode: 'sync', min_acks: 1 } }));
    assert.equal(a.code, 'invalid_config', a.message);
    const b = errorOf(await http(url, 'PUT', '/collections/x', { vectors: vectors(), write_consistency_factor: 2 }));
    assert.equal(b.code, 'invalid_config', b.message);
  });

  test('malformed write_consistency and read_consistency are invalid_request', async () => {
    const bodies: unknown[] = [
      { mode: 'quorum' },
      { min_acks: 1 },
      { mode: 'async', timeout_ms: 0 },
      { mode: 'async', timeout_ms: 600_001 },
      { mode: 'semi_sync', min_acks: 0 },
      { mode: 'async', timeoutMs: 5 },
      'sync',
    ];
    for (const wc of bodies) {
      const e = errorOf(await http(url, 'PUT', '/collections/x', { vectors: vectors(), replication_factor: 3, write_consistency: wc }));
      assert.equal(e.code, 'invalid_request', `${JSON.stringify(wc)}: ${e.message}`);
      assert.match(e.message, /write_consistency/);
    }
    const e = errorOf(await http(url, 'PUT', '/collections/x', { vectors: vectors(), read_consistency: 'strong' }));
    assert.equal(e.code, 'invalid_request', e.message);
    assert.match(e.message, /eventual, primary/);
    assert.equal(errorOf(await http(url, 'PUT', '/collections/x', { vectors: vectors(), replication_factor: 17 })).code, 'invalid_request');
    assert.equal(errorOf(await http(url, 'GET', '/collections/x')).code, 'collection_not_found');
  });

  test('GET /collections/{name} shows the replication factor and the effective consistency', async () => {
    const created = await http(url, 'PUT', '/collections/wc', { vectors: vectors(), write_consistency: { mode: 'async', timeout_ms: 5000 }, read_consistency: 'primary' });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const info = (await http(url, 'GET', '/collections/wc')).json as { result: { config: { params: Record<string, unknown> } } };
    const params = info.result.config.params;
    assert.equal(params.replication_factor, 1);
    assert.equal(params.write_consistency_factor, 1);
    assert.deepEqual(params.write_consistency, { mode: 'async', min_acks: 1, timeout_ms: 5000 });
    assert.equal(params.read_consistency, 'primary');

    const plain = (await http(url, 'GET', '/collections/r')).json as { result: { config: { params: Record<string, unknown> } } };
    assert.deepEqual(plain.result.config.params.write_consistency, { mode: 'async', min_acks: 1, timeout_ms: 10_000 });
    assert.equal(plain.result.config.params.read_consistency, 'eventual');
  });

  test("Qdrant's write_consistency_factor maps onto semi_sync when write_consistency is absent", () => {
    const base: CollectionConfig = {
      name: 'q', vectors: { size: 2, distance: 'Dot' }, hnsw_config: { m: 16, ef_construct: 100 }, on_disk_payload: false, shard_number: 1,
      payload_schema: {}, created_at_ms: 0, ...toReplicationConfig({ replication_factor: 3, write_consistency_factor: 2 }),
    };
    assert.deepEqual(effectiveWriteConsistency(base), { mode: 'semi_sync', min_acks: 1, timeout_ms: 10_000 });
    const explicit = { ...base, ...toReplicationConfig({ replication_factor: 3, write_consistency_factor: 2, write_consistency: { mode: 'sync' } }) };
    assert.equal(effectiveWriteConsistency(explicit).mode, 'sync', 'write_consistency wins over the Qdrant factor');
    const semi = toReplicationConfig({ replication_factor: 3, write_consistency: { mode: 'semi_sync', min_acks: 2, timeout_ms: 250 }, read_consistency: 'eventual' });
    assert.deepEqual(semi, { replication_factor: 3, write_consistency_factor: 1, write_consistency: { mode: 'semi_sync', min_acks: 2, timeout_ms: 250 }, read_consistency: 'eventual' });
    assert.throws(() => toReplicationConfig({ replication_factor: 2, write_consistency: { mode: 'semi_sync', min_acks: 2 } }), (e: unknown) => e instanceof HektorError && e.code === 'invalid_config');
  });
});

describe('per-request consistency', () => {
  const writes: [string, string, unknown][] = [
    ['PUT', '/collections/r/points', { points: [{ id: 3, vector: [1, 1] }] }],
    ['POST', '/collections/r/points/delete', { points: [3] }],
    ['POST', '/collections/r/points/payload', { payload: { b: 2 }, points: [1] }],
    ['PUT', '/collections/r/points/payload', { payload: { a: 1 }, points: [1] }],
    ['POST', '/collections/r/points/payload/delete', { keys: ['b'], points: [1] }],
    ['POST', '/collections/r/points/payload/clear', { points: [2] }],
  ];
  const reads: [string, string, unknown][] = [
    ['GET', '/collections/r/points/1', undefined],
    ['POST', '/collections/r/points', { ids: [1, 2] }],
    ['POST', '/collections/r/points/search', { vector: [1, 0], limit: 2 }],
    ['POST', '/collections/r/points/search/batch', { searches: [{ vector: [1, 0], limit: 2 }] }],
    ['POST', '/collections/r/points/query', { query: [1, 0], limit: 2 }],
    ['POST', '/collections/r/points/query/batch', { searches: [{ query: 1, limit: 2 }] }],
    ['POST', '/collections/r/points/scroll', { limit: 10 }],
    ['POST', '/collections/r/points/count', {}],
  ];

  test('a bad write_consistency query is invalid_request naming the allowed values, and changes nothing', async () => {
    for (const [method, path, body] of writes) {
      const e = errorOf(await http(url, method, `${path}?wait=true&write_consistency=quorum`, body));
      assert.equal(e.http, 400, `${method} ${path}`);
      assert.equal(e.code, 'invalid_request', e.message);
      assert.match(e.message, /write_consistency must be one of async, sync, semi_sync/);
    }
    const count = (await http(url, 'POST', '/collections/r/points/count', {})).json as { result: { count: number } };
    assert.equal(count.result.count, 2);
    const point = (await http(url, 'GET', '/collections/r/points/1')).json as { result: { payload: unknown } };
    assert.deepEqual(point.result.payload, { a: 1 });
  });

  test('write_consistency=async is accepted on every write endpoint', async () => {
    for (const [method, path, body] of writes) {
      const reply = await http(url, method, `${path}?wait=true&write_consistency=async`, body);
      assert.equal(reply.status, 200, `${method} ${path}: ${JSON.stringify(reply.json)}`);
    }
  });

  test('a bad read_consistency query is invalid_request; eventual and primary are accepted', async () => {
    for (const [method, path, body] of reads) {
      const e = errorOf(await http(url, method, `${path}?read_consistency=strong`, body));
      assert.equal(e.http, 400, `${method} ${path}`);
      assert.equal(e.code, 'invalid_request', e.message);
      assert.match(e.message, /read_consistency must be one of eventual, primary/);
      for (const level of ['eventual', 'primary']) {
        const reply = await http(url, method, `${path}?read_consistency=${level}`, body);
        assert.equal(reply.status, 200, `${method} ${path} ${level}: ${JSON.stringify(reply.json)}`);
      }
    }
  });
});

describe('replica status', () => {
  test('the cluster endpoint shows one shard led by this node, Active, with no lag', async () => {
    const reply = await http(url, 'GET', '/collections/r/cluster');
    assert.equal(reply.status, 200, JSON.stringify(reply.json));
    const info = (reply.json as { result: ClusterInfo }).result;
    const self = node.cluster.id;
    assert.equal(info.peer_id, self);
    assert.equal(info.shard_count, 1);
    assert.deepEqual(info.local_shards, [{ shard_id: 0, points_count: 2, state: 'Active' }]);
    assert.deepEqual(info.remote_shards, []);
    assert.equal(info.shards.length, 1);
    const shard = info.shards[0]!;
    assert.equal(shard.shard_id, 0);
    assert.equal(shard.primary, self);
    assert.deepEqual(shard.in_sync, [self]);
    assert.equal(shard.complete, true);
    assert.equal(shard.truncated_entries, 0);
    assert.equal(shard.replicas.length, 1);
    const replica = shard.replicas[0]!;
    assert.equal(replica.peer_id, self);
    assert.equal(replica.role, 'primary');
    assert.equal(replica.state, 'Active');
    assert.equal(replica.hektor_state, 'active');
    assert.equal(replica.in_sync, true);
    assert.equal(replica.lag_ops, 0);
  });

  test('truncated entries: an empty list, and resolve requests validated', async () => {
    const list = await http(url, 'GET', '/collections/r/truncated');
    assert.equal(list.status, 200, JSON.stringify(list.json));
    assert.deepEqual((list.json as { result: { entries: unknown[] } }).result.entries, []);
    assert.equal(errorOf(await http(url, 'GET', '/collections/none/truncated')).code, 'collection_not_found');
    for (const action of ['reapply', 'drop']) {
      const noIds = errorOf(await http(url, 'POST', `/collections/r/truncated/${action}`, { shard: 0, peer_id: node.cluster.id, ids: [] }));
      assert.equal(noIds.code, 'invalid_request', noIds.message);
      const badShard = errorOf(await http(url, 'POST', `/collections/r/truncated/${action}`, { shard: 1, peer_id: node.cluster.id, ids: [1] }));
      assert.equal(badShard.code, 'invalid_request', badShard.message);
      assert.match(badShard.message, /shard 1 does not exist/);
    }
  });

  test('/metrics exposes the failover counter, and docs/metrics.md documents every replication metric', async () => {
    const text = String((await http(url, 'GET', '/metrics')).json);
    assert.match(text, /^hektor_failovers_total 0$/m);
    const doc = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');
    for (const name of ['hektor_replica_lag_ops', 'hektor_replica_lag_seconds', 'hektor_replica_in_sync', 'hektor_shard_in_sync_replicas', 'hektor_shard_epoch', 'hektor_failovers_total']) {
      assert.ok(doc.includes(`| \`${name}\` |`), `docs/metrics.md does not document ${name}`);
      assert.ok(text.includes(`# HELP ${name} `), `/metrics does not register ${name}`);
    }
  });
});

interface ClusterInfo {
  peer_id: string;
  shard_count: number;
  local_shards: unknown[];
  remote_shards: unknown[];
  shards: {
    shard_id: number;
    primary: string;
    epoch: number;
    in_sync: string[];
    complete: boolean;
    truncated_entries: number;
    replicas: { peer_id: string; role: string; state: string; hektor_state: string; in_sync: boolean; lag_ops: number | null }[];
  }[];
}
