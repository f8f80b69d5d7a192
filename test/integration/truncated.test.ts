/**
 * Truncated entries end to end with real processes: an `async` write acknowledged by a primary
 * whose links to its followers are cut, then a kill -9 of that primary, loses the write on the
 * promoted follower; when the old primary returns, divergence repair keeps the write in its
 * truncated list, which the operator lists, re-applies (the points come back through the new
 * primary) and drops, over REST and the CLI.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TestCluster, shardReplication, waitFor, type NodeProcess } from '../helpers/cluster.js';
import { http } from '../helpers/node.js';

const run = promisify(execFile);
const BIN = new URL('../../../bin/hektor.js', import.meta.url).pathname;
let cluster: TestCluster;

before(async () => {
  // A 4 s failure timeout gives the primary a 2 s lease: room, on a loaded machine, for the
  // writes acknowledged after its links are cut.
  cluster = await TestCluster.start({ ids: ['t1', 't2', 't3'], proxies: true, extraArgs: () => ['--heartbeat-interval-ms', '100', '--failure-timeout-ms', '4000'] });
});
after(async () => {
  await cluster.close();
});

const shard = shardReplication;

interface Truncated {
  shard: number;
  peer_id: string;
  id: number;
  seq: number;
  op: { type: string; points?: { id: number }[] };
}

async function truncated(node: NodeProcess, name: string): Promise<Truncated[]> {
  const { status, json } = await http(node.url, 'GET', `/collections/${name}/truncated`);
  if (status !== 200) throw new Error(`truncated ${status}: ${JSON.stringify(json)}`);
  return (json as { result: { entries: Truncated[] } }).result.entries;
}

test('an async write lost in a failover is kept as a truncated entry, then re-applied or dropped by the operator', async () => {
  const mesh = cluster.mesh!;
  const leader = await cluster.waitLeader(20_000);
  // Pick a collection whose primary is not the Raft leader (the controller must survive the kill).
  let name = '';
  let primary: NodeProcess | undefined;
  for (let i = 0; i < 8 && primary === undefined; i++) {
    const candidate = `trunc${i}`;
    const created = await http(leader.url, 'PUT', `/collections/${candidate}`, {
      vectors: { size: 2, distance: 'Dot' }, shard_number: 1, replication_factor: 3, write_consistency: { mode: 'async' },
    });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const info = await waitFor('three in sync', 15_000, async () => {
      const s = await shard(leader, candidate);
      return s.in_sync.length === 3 ? s : undefined;
    });
    if (info.primary !== leader.id) {
      name = candidate;
      primary = cluster.node(info.primary);
    }
  }
  assert.ok(primary !== undefined, 'some collection has a primary other than the leader');
  const base = await http(primary.url, 'PUT', `/collections/${name}/points?wait=true`, { points: [{ id: 1, vector: [1, 1] }] });
  assert.equal(base.status, 200);
  // Async acknowledges before the followers have it: wait until they do, so only the writes
  // below can be lost.
  await waitFor('followers hold the base write', 10_000, async () => {
    const s = await shard(primary, name);
    return s.last_seq !== null && s.replicas.every((r) => r.acked_seq === s.last_seq) ? true : undefined;
  });

  // Cut everything the primary dials (its appends, its heartbeats): followers get nothing, the
  // controller still hears the primary through its own probes. Acknowledge two async writes.
  for (const other of cluster.running()) if (other !== primary) mesh.cut(primary.id, other.id, 'blackhole');
  const lost: number[] = [];
  for (const id of [100, 101]) {
    const r = await fetch(`${primary.url}/collections/${name}/points?wait=true`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ points: [{ id, vector: [id, 0] }] }),
      signal: AbortSignal.timeout(1000),
    }).catch(() => undefined);
    if (r?.status === 200) lost.push(id);
  }
  assert.ok(lost.length > 0, 'the cut-off primary acknowledged async writes within its lease');
  await primary.kill9();
  mesh.healAll();
  const survivor = cluster.running()[0]!;
  const promoted = await waitFor('a new primary', 30_000, async () => {
    const s = await shard(survivor, name);
    return s.primary !== primary.id ? s : undefined;
  });
  const onNew = await http(survivor.url, 'POST', `/collections/${name}/points?read_consistency=primary`, { ids: lost });
  assert.deepEqual((onNew.json as { result: unknown[] }).result, [], 'the acknowledged async writes are not on the new primary');

  // The old primary returns; divergence repair keeps its extra entries.
  await primary.start();
  await waitFor('the old primary back in sync', 30_000, async () => ((await shard(survivor, name)).in_sync.length === 3 ? true : undefined));
  const kept = await truncated(survivor, name);
  const keptIds = kept.flatMap((t) => t.op.points?.map((p) => p.id) ?? []);
  // Every acknowledged write the new primary lacks is kept; anything else kept is one of the
  // writes sent while cut off (logged, but its answer came too late for the client).
  for (const id of lost) assert.ok(keptIds.includes(id), `acknowledged write ${id} is not among the truncated entries ${JSON.stringify(kept)}`);
  for (const id of keptIds) assert.ok([100, 101].includes(id), `unexpected truncated point ${id}`);
  assert.ok(kept.every((t) => t.peer_id === primary.id && t.shard === 0));
  assert.ok(promoted.epoch >= 2);

  // CLI lists them; re-apply the first through the API, drop the rest through the CLI.
  const listed = await run(process.execPath, [BIN, 'truncated', 'list', '--url', survivor.url, '--collection', name]);
  for (const t of kept) assert.ok(listed.stdout.includes(String(t.seq)), listed.stdout);
  const [first, ...rest] = kept;
  const reapplied = await http(survivor.url, 'POST', `/collections/${name}/truncated/reapply`, { shard: 0, peer_id: primary.id, ids: [first!.id] });
  assert.equal(reapplied.status, 200, JSON.stringify(reapplied.json));
  const firstIds = first!.op.points!.map((p) => p.id);
  const back = await http(survivor.url, 'POST', `/collections/${name}/points?read_consistency=primary`, { ids: firstIds });
  assert.deepEqual((back.json as { result: { id: number }[] }).result.map((p) => p.id), firstIds);
  if (rest.length > 0) {
    await run(process.execPath, [BIN, 'truncated', 'drop', '--url', survivor.url, '--collection', name, '--shard', '0', '--peer', primary.id, '--ids', rest.map((t) => t.id).join(',')]);
  }
  assert.deepEqual(await truncated(survivor, name), [], 'nothing is left once every entry was re-applied or dropped');
  // A bad id is refused and changes nothing.
  const bad = await http(survivor.url, 'POST', `/collections/${name}/truncated/drop`, { shard: 0, peer_id: primary.id, ids: [999] });
  assert.equal(bad.status, 400);
});
