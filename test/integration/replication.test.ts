/**
 * Replicated shards with real processes: a 3-node cluster, collections with replication_factor 3.
 * Every replica holds every acknowledged write; a primary killed with SIGKILL under a concurrent
 * sync write load is replaced and loses no acknowledged write; the old primary comes back, follows
 * the new one and converges.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster, shardReplication, waitFor, type NodeProcess, type ShardReplication } from '../helpers/cluster.js';
import { http } from '../helpers/node.js';

const FAST = ['--heartbeat-interval-ms', '100', '--failure-timeout-ms', '1000'];
let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.start({ ids: ['p1', 'p2', 'p3'], extraArgs: () => FAST });
});
after(async () => {
  await cluster.close();
});

async function shards(node: NodeProcess, name: string): Promise<ShardReplication[]> {
  return [await shardReplication(node, name)];
}

async function create(node: NodeProcess, name: string, mode: string): Promise<void> {
  const { status, json } = await http(node.url, 'PUT', `/collections/${name}`, {
    vectors: { size: 4, distance: 'Euclid' }, shard_number: 1, replication_factor: 3,
    write_consistency: { mode, ...(mode === 'semi_sync' ? { min_acks: 1 } : {}), timeout_ms: 5000 },
  });
  assert.equal(status, 200, JSON.stringify(json));
}

function vectorOf(id: number): number[] {
  return [id, id % 7, -id, 1];
}

async function localCount(node: NodeProcess, name: string): Promise<number> {
  const { status, json } = await http(node.url, 'POST', `/collections/${name}/points/count?read_consistency=eventual`, { exact: true });
  if (status !== 200) throw new Error(`count ${status}: ${JSON.stringify(json)}`);
  return (json as { result: { count: number } }).result.count;
}

test('an RF3 sync collection keeps every acknowledged write on every replica', async () => {
  const [a] = cluster.running();
  await create(a!, 'rep', 'sync');
  await waitFor('every replica in sync', 15_000, async () => {
    const s = await shards(a!, 'rep');
    return s[0]?.in_sync.length === 3 ? true : undefined;
  });
  const points = Array.from({ length: 200 }, (_, i) => ({ id: i, vector: vectorOf(i), payload: { i } }));
  for (let i = 0; i < points.length; i += 50) {
    const node = cluster.running()[(i / 50) % 3]!;
    const { status, json } = await http(node.url, 'PUT', '/collections/rep/points?wait=true', { points: points.slice(i, i + 50) });
    assert.equal(status, 200, JSON.stringify(json));
  }
  // A sync write is durable on every in-sync replica when acknowledged; each node answers from its own replica.
  for (const node of cluster.running()) assert.equal(await localCount(node, 'rep'), 200, `${node.id} holds every point`);
  const info = await shards(a!, 'rep');
  assert.equal(info[0]!.replicas.length, 3);
  await waitFor('lag figures at zero', 10_000, async () => {
    const s = await shards(a!, 'rep');
    return s[0]!.replicas.every((r) => r.lag_ops === 0) ? true : undefined;
  });
  // The primary's node exports the same figures.
  const primary = cluster.node(info[0]!.primary);
  const metrics = await (await fetch(`${primary.url}/metrics`)).text();
  for (const follower of info[0]!.replicas.map((r) => r.peer_id).filter((id) => id !== primary.id)) {
    assert.match(metrics, new RegExp(`hektor_replica_lag_ops\\{[^}]*collection="rep"[^}]*follower="${follower}"[^}]*\\} 0`), metrics.slice(0, 2000));
    assert.match(metrics, new RegExp(`hektor_replica_lag_seconds\\{[^}]*follower="${follower}"`));
  }
  assert.match(metrics, /hektor_shard_in_sync_replicas\{[^}]*collection="rep"[^}]*\} 3/);
  assert.match(metrics, /hektor_failovers_total \d+/);
});

test('kill -9 of the primary under sync load: a new primary is promoted and no acknowledged write is lost', async () => {
  const first = cluster.running()[0]!;
  await create(first, 'failover', 'sync');
  await waitFor('every replica in sync', 15_000, async () => ((await shards(first, 'failover'))[0]?.in_sync.length === 3 ? true : undefined));
  const before = (await shards(first, 'failover'))[0]!;
  const victim = cluster.node(before.primary);
  const others = cluster.running().filter((n) => n !== victim);
  const acked = new Map<number, number[]>();
  let stop = false;
  let nextId = 0;
  const failures: string[] = [];
  const writer = async (node: NodeProcess): Promise<void> => {
    while (!stop) {
      const id = nextId++;
      const { status, json } = await http(node.url, 'PUT', '/collections/failover/points?wait=true', { points: [{ id, vector: vectorOf(id) }] }).catch((e: unknown) => ({ status: 0, json: String(e) }));
      if (status === 200) acked.set(id, vectorOf(id));
      else failures.push(`${status}: ${JSON.stringify(json).slice(0, 200)}`);
    }
  };
  const writers = [writer(others[0]!), writer(others[1]!), writer(others[0]!)];
  await new Promise((r) => setTimeout(r, 1000));
  const ackedBeforeKill = acked.size;
  await victim.kill9();
  await waitFor('a new primary', 20_000, async () => {
    const s = (await shards(others[0]!, 'failover'))[0]!;
    return s.primary !== victim.id && s.epoch > before.epoch ? true : undefined;
  });
  const ackedAtPromotion = acked.size;
  await new Promise((r) => setTimeout(r, 1500));
  stop = true;
  await Promise.all(writers);
  assert.ok(ackedBeforeKill > 0, 'writes were acknowledged before the kill');
  assert.ok(acked.size > ackedAtPromotion, `writes resume on the new primary (acked ${acked.size}, at promotion ${ackedAtPromotion}; failures: ${failures.slice(0, 3).join(' | ')})`);
  // Every acknowledged write is readable, with its content, from the new primary.
  const ids = [...acked.keys()];
  const { json } = await http(others[0]!.url, 'POST', '/collections/failover/points?read_consistency=primary', { ids, with_vector: true });
  const got = new Map((json as { result: { id: number; vector: number[] }[] }).result.map((p) => [p.id, p.vector]));
  const lost = ids.filter((id) => got.get(id) === undefined || JSON.stringify(got.get(id)) !== JSON.stringify(acked.get(id)));
  assert.deepEqual(lost, [], `acknowledged writes lost: ${lost.length} of ${ids.length}\n${cluster.logTails(20)}`);

  // The old primary returns, follows the new one and converges to the same contents.
  await victim.start();
  const total = await localCount(others[0]!, 'failover');
  await waitFor('the old primary caught up', 30_000, async () => ((await localCount(victim, 'failover')) === total ? true : undefined));
  await waitFor('all three in sync again', 20_000, async () => ((await shards(others[0]!, 'failover'))[0]!.in_sync.length === 3 ? true : undefined));
});
