/**
 * Re-replication with real processes: on a 4-node cluster, the node holding a follower replica of
 * an RF3 shard is killed and stays dead; after `rereplicate_after_ms` the controller places a new
 * replica on the fourth node, which catches up from the primary and joins the in-sync set. When
 * the dead node returns, it no longer holds the shard.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster, shardReplication, waitFor, type NodeProcess, type ShardReplication } from '../helpers/cluster.js';
import { http } from '../helpers/node.js';

let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.start({
    ids: ['q1', 'q2', 'q3', 'q4'],
    extraArgs: () => ['--heartbeat-interval-ms', '100', '--failure-timeout-ms', '1000', '--rereplicate-after-ms', '1500'],
  });
});
after(async () => {
  await cluster.close();
});

function shard(node: NodeProcess): Promise<ShardReplication> {
  return shardReplication(node, 'moved');
}

test('a follower whose node stays dead is re-created on another node and catches up', async () => {
  const first = cluster.running()[0]!;
  const created = await http(first.url, 'PUT', '/collections/moved', {
    vectors: { size: 4, distance: 'Dot' }, shard_number: 1, replication_factor: 3, write_consistency: { mode: 'sync' },
  });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  await waitFor('three replicas in sync', 15_000, async () => ((await shard(first)).in_sync.length === 3 ? true : undefined));
  const points = Array.from({ length: 300 }, (_, i) => ({ id: i, vector: [i, 1, 0, -i], payload: { i } }));
  const put = await http(first.url, 'PUT', '/collections/moved/points?wait=true', { points });
  assert.equal(put.status, 200, JSON.stringify(put.json));

  const before = await shard(first);
  const holders = before.replicas.map((r) => r.peer_id);
  const spare = cluster.running().find((n) => !holders.includes(n.id))!;
  const victim = cluster.node(holders.find((id) => id !== before.primary)!);
  const observer = cluster.running().find((n) => n !== victim)!;
  await victim.kill9();

  const after = await waitFor('a new replica on the spare node, in sync', 30_000, async () => {
    const s = await shard(observer);
    const ids = s.replicas.map((r) => r.peer_id);
    return ids.includes(spare.id) && !ids.includes(victim.id) && s.in_sync.includes(spare.id) && s.in_sync.length === 3 ? s : undefined;
  });
  assert.equal(after.replicas.length, 3);
  // The new replica holds everything: the spare node answers from its own in-sync replica.
  const counted = await http(spare.url, 'POST', '/collections/moved/points/count?read_consistency=eventual', { exact: true });
  assert.equal((counted.json as { result: { count: number } }).result.count, 300, cluster.logTails(20));
  const got = await http(spare.url, 'POST', '/collections/moved/points?read_consistency=eventual', { ids: [0, 150, 299], with_payload: true });
  assert.deepEqual((got.json as { result: { id: number; payload: { i: number } }[] }).result.map((p) => p.payload.i), [0, 150, 299]);

  // The dead node returns: it follows the metadata and drops the shard it no longer holds.
  await victim.start();
  await waitFor('the returning node dropped its old replica', 20_000, async () =>
    (existsSync(join(victim.dataDir, 'collections', 'moved', 'shards', '0')) ? undefined : true));
  const final = await shard(victim);
  assert.ok(!final.replicas.some((r) => r.peer_id === victim.id));
});
