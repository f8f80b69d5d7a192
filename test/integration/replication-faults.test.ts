/**
 * Replicated shards under faults, with real `hektor serve` processes (issue 5):
 * - semi_sync (min_acks 1): kill -9 of the primary under a concurrent write load loses no
 *   acknowledged write;
 * - async: kill -9 of the primary under load; what the new primary lacks is measured and must be
 *   kept in the old primary's truncated entries once it returns (nothing disappears silently);
 * - a follower paused with SIGSTOP leaves the in-sync set within seconds, sync writes keep being
 *   acknowledged, and after SIGCONT it returns to the in-sync set with the same contents;
 * - a primary cut off from both other nodes (fault proxies) acknowledges no write, the majority
 *   promotes a new primary, and after healing the old one follows it and converges;
 * - a follower whose shard directory is wiped catches up: by log replay, and by a streamed
 *   snapshot of a primary whose log was compacted (a cluster with a small log retention).
 *
 * One 3-node cluster is shared by every test but the partition test, which starts its own with
 * fault proxies between the nodes. Every test leaves all nodes of the shared cluster running.
 */

import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster, clusterInfo, waitFor, type NodeProcess } from '../helpers/cluster.js';
import { http } from '../helpers/node.js';

/** Fast failure detection: heartbeats every 100 ms, a node is dead after 1 s of silence. */
const FAST = ['--heartbeat-interval-ms', '100', '--failure-timeout-ms', '1000'];
/** Sync and semi_sync writes fail (write_timeout) if not acknowledged within this. */
const WRITE_TIMEOUT_MS = 5000;

let cluster: TestCluster | undefined;
let partitioned: TestCluster | undefined;
let compacting: TestCluster | undefined;

before(async () => {
  cluster = await TestCluster.start({ ids: ['f1', 'f2', 'f3'], extraArgs: () => FAST });
});
after(async () => {
  await cluster?.close();
  await partitioned?.close();
  await compacting?.close();
});

function shared(): TestCluster {
  if (cluster === undefined) throw new Error('the shared cluster did not start');
  return cluster;
}

// ------------------------------------------------------------------ API helpers

interface ReplicaInfo {
  peer_id: string;
  role: string;
  hektor_state: string;
  in_sync: boolean;
  acked_seq: number | null;
  lag_ops: number | null;
}

interface ShardInfo {
  shard_id: number;
  primary: string;
  epoch: number;
  in_sync: string[];
  truncated_entries: number;
  replicas: ReplicaInfo[];
}

interface CollectionClusterInfo {
  local_shards: { shard_id: number; points_count: number }[];
  shards: ShardInfo[];
}

interface TruncatedEntry {
  shard: number;
  peer_id: string;
  id: number;
  seq: number;
  epoch: number;
  truncated_in_epoch: number;
  op: { type: string; points?: { id: number; vector: number[] }[] };
}

async function collectionCluster(node: NodeProcess, name: string): Promise<CollectionClusterInfo> {
  const { status, json } = await http(node.url, 'GET', `/collections/${name}/cluster`);
  if (status !== 200) throw new Error(`${node.id}: cluster info ${status}: ${JSON.stringify(json)}`);
  return (json as { result: CollectionClusterInfo }).result;
}

/** Shard 0 as `node` sees it (its committed shard map plus the primary's lag figures). */
async function shard0(node: NodeProcess, name: string): Promise<ShardInfo> {
  const s = (await collectionCluster(node, name)).shards[0];
  if (s === undefined) throw new Error(`${node.id}: no shard 0 in ${name}`);
  return s;
}

/** Points in `node`'s own replica of shard 0 (never forwarded, unlike a count). */
async function localPoints(node: NodeProcess, name: string): Promise<number> {
  const local = (await collectionCluster(node, name)).local_shards.find((s) => s.shard_id === 0);
  if (local === undefined) throw new Error(`${node.id} lists no local replica of ${name}/0`);
  return local.points_count;
}

interface WriteConsistency {
  mode: 'async' | 'sync' | 'semi_sync';
  min_acks?: number;
  timeout_ms?: number;
}

async function create(node: NodeProcess, name: string, consistency: WriteConsistency, vectors: Record<string, unknown> = { size: 4, distance: 'Euclid' }): Promise<void> {
  const { status, json } = await http(node.url, 'PUT', `/collections/${name}`, {
    vectors, shard_number: 1, replication_factor: 3, write_consistency: consistency,
  });
  assert.equal(status, 200, JSON.stringify(json));
}

async function waitAllInSync(node: NodeProcess, name: string, timeoutMs = 15_000): Promise<ShardInfo> {
  return waitFor(`every replica of ${name} in sync`, timeoutMs, async () => {
    const s = await shard0(node, name);
    return s.in_sync.length === 3 ? s : undefined;
  }, 100);
}

function vectorOf(id: number): number[] {
  return [id, id % 7, -id, 1];
}

function pointsOf(ids: readonly number[]): { id: number; vector: number[] }[] {
  return ids.map((id) => ({ id, vector: vectorOf(id) }));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Points by id with their vectors, read with `consistency`, in chunks. */
async function retrieve(node: NodeProcess, name: string, ids: readonly number[], consistency: 'primary' | 'eventual'): Promise<Map<number, number[]>> {
  const got = new Map<number, number[]>();
  for (let i = 0; i < ids.length; i += 2000) {
    const { status, json } = await http(node.url, 'POST', `/collections/${name}/points?read_consistency=${consistency}`, { ids: ids.slice(i, i + 2000), with_vector: true });
    if (status !== 200) throw new Error(`${node.id}: retrieve ${status}: ${JSON.stringify(json).slice(0, 300)}`);
    for (const p of (json as { result: { id: number; vector: number[] }[] }).result) got.set(p.id, p.vector);
  }
  return got;
}

/** Acknowledged ids whose point is missing from `got` or holds other content. */
function missingOrChanged(acked: ReadonlyMap<number, number[]>, got: ReadonlyMap<number, number[]>): number[] {
  return [...acked].filter(([id, vector]) => JSON.stringify(got.get(id)) !== JSON.stringify(vector)).map(([id]) => id).sort((a, b) => a - b);
}

/** A PUT of points with a client-side deadline; status 0 for no answer in time or no connection. */
async function upsertWithin(node: NodeProcess, name: string, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  try {
    const response = await fetch(`${node.url}/collections/${name}/points?wait=true`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, text: (await response.text()).slice(0, 300) };
  } catch (e: unknown) {
    return { status: 0, text: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

async function upsertOk(node: NodeProcess, name: string, ids: readonly number[]): Promise<void> {
  const { status, json } = await http(node.url, 'PUT', `/collections/${name}/points?wait=true`, { points: pointsOf(ids) });
  assert.equal(status, 200, `${node.id}: ${JSON.stringify(json)}`);
}

/**
 * Waits until `node` is in the in-sync set (as `via` sees the shard map) and its own replica
 * holds as many points as the primary's own replica (and `expected`, when given).
 */
async function waitConverged(c: TestCluster, via: NodeProcess, node: NodeProcess, name: string, timeoutMs: number, expected?: number): Promise<number> {
  let last = '';
  try {
    return await waitFor(`${node.id} back in sync with the primary's contents`, timeoutMs, async () => {
      const s = await shard0(via, name);
      const primary = c.node(s.primary);
      const [mine, theirs] = await Promise.all([localPoints(node, name), localPoints(primary, name)]);
      last = `in_sync ${s.in_sync.join(',')}, ${node.id} holds ${mine}, primary ${primary.id} holds ${theirs}${expected === undefined ? '' : `, expected ${expected}`}`;
      return s.in_sync.includes(node.id) && mine === theirs && (expected === undefined || mine === expected) ? mine : undefined;
    }, 200);
  } catch (e: unknown) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}; last seen: ${last}`);
  }
}

/** Runs a test body; on failure prints every node's log tail first. */
async function withTails(c: TestCluster, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e: unknown) {
    process.stderr.write(`${c.logTails(40)}\n`);
    throw e;
  }
}

// ------------------------------------------------------------------ write load

/** Concurrent writers, one per target, each writing fresh ids in batches until stopped. */
class WriteLoad {
  /** Acknowledged ids and the vector each was written with. */
  readonly acked = new Map<number, number[]>();
  /** performance.now() at each acknowledgement, with the time its request was sent. */
  readonly acks: { sentMs: number; ackedMs: number }[] = [];
  readonly failures: string[] = [];
  private stopped = false;
  private nextId: number;
  private readonly writers: Promise<void>[];

  constructor(private readonly name: string, targets: readonly NodeProcess[], private readonly batch = 1, firstId = 0) {
    this.nextId = firstId;
    this.writers = targets.map((node) => this.run(node));
  }

  private async run(node: NodeProcess): Promise<void> {
    while (!this.stopped) {
      const ids = range(this.nextId, this.nextId + this.batch);
      this.nextId += this.batch;
      const sentMs = performance.now();
      const { status, json } = await http(node.url, 'PUT', `/collections/${this.name}/points?wait=true`, { points: pointsOf(ids) })
        .catch((e: unknown) => ({ status: 0, json: String(e) }));
      if (status === 200) {
        for (const id of ids) this.acked.set(id, vectorOf(id));
        this.acks.push({ sentMs, ackedMs: performance.now() });
      } else {
        this.failures.push(`${node.id} ${status}: ${JSON.stringify(json).slice(0, 200)}`);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.writers);
  }
}

// ------------------------------------------------------------------ kill -9 of the primary

/** Kills the primary of `name` under a load on the two other nodes; returns the load and the survivors. */
async function killPrimaryUnderLoad(c: TestCluster, name: string, batch: number): Promise<{ load: WriteLoad; victim: NodeProcess; others: NodeProcess[]; ackedBeforeKill: number; ackedAtPromotion: number; newPrimary: string }> {
  const first = c.running()[0]!;
  const before = await waitAllInSync(first, name);
  const victim = c.node(before.primary);
  const others = c.running().filter((n) => n !== victim);
  const load = new WriteLoad(name, [others[0]!, others[1]!, others[0]!], batch);
  await sleep(1000);
  const ackedBeforeKill = load.acked.size;
  await victim.kill9();
  const newPrimary = await waitFor('a new primary', 20_000, async () => {
    const s = await shard0(others[0]!, name);
    return s.primary !== victim.id && s.epoch > before.epoch ? s.primary : undefined;
  }, 50);
  const ackedAtPromotion = load.acked.size;
  await sleep(1500);
  await load.stop();
  assert.ok(ackedBeforeKill > 0, 'writes were acknowledged before the kill');
  assert.ok(load.acked.size > ackedAtPromotion, `writes resume on the new primary (acked ${load.acked.size}, at promotion ${ackedAtPromotion}; failures: ${load.failures.slice(0, 3).join(' | ')})`);
  return { load, victim, others, ackedBeforeKill, ackedAtPromotion, newPrimary };
}

test('semi_sync (min_acks 1): kill -9 of the primary under load loses no acknowledged write', { timeout: 60_000 }, async (t: TestContext) => {
  const c = shared();
  await withTails(c, async () => {
    const name = 'semi';
    await create(c.running()[0]!, name, { mode: 'semi_sync', min_acks: 1, timeout_ms: WRITE_TIMEOUT_MS });
    const { load, victim, others, newPrimary } = await killPrimaryUnderLoad(c, name, 1);
    t.diagnostic(`semi_sync: ${load.acked.size} writes acknowledged, ${load.failures.length} failed; ${victim.id} killed, ${newPrimary} promoted`);

    // Every acknowledged write is readable, with its content, from the new primary.
    const ids = [...load.acked.keys()];
    const lost = missingOrChanged(load.acked, await retrieve(others[0]!, name, ids, 'primary'));
    assert.deepEqual(lost, [], `acknowledged semi_sync writes lost: ${lost.length} of ${ids.length}`);

    // The old primary returns, follows the new one and converges; then every replica's own copy
    // holds every acknowledged write.
    await victim.start();
    await waitConverged(c, others[0]!, victim, name, 30_000);
    await waitAllInSync(others[0]!, name, 20_000);
    for (const node of c.running()) {
      const missing = missingOrChanged(load.acked, await retrieve(node, name, ids, 'eventual'));
      assert.deepEqual(missing, [], `${node.id}'s replica lacks acknowledged writes`);
    }
  });
});

test('async: kill -9 of the primary under load; every acknowledged write the new primary lacks is kept as a truncated entry', { timeout: 60_000 }, async (t: TestContext) => {
  const c = shared();
  await withTails(c, async () => {
    const name = 'async';
    await create(c.running()[0]!, name, { mode: 'async', timeout_ms: WRITE_TIMEOUT_MS });
    const { load, victim, others, newPrimary } = await killPrimaryUnderLoad(c, name, 4);
    const ids = [...load.acked.keys()];
    const onNewPrimary = await retrieve(others[0]!, name, ids, 'primary');
    const lost = missingOrChanged(load.acked, onNewPrimary);
    t.diagnostic(`async: ${load.acked.size} points acknowledged (${load.acks.length} writes), ${load.failures.length} writes failed; ${victim.id} killed, ${newPrimary} promoted; acknowledged points missing on the new primary: ${lost.length}${lost.length > 0 ? ` (ids ${lost.slice(0, 20).join(',')})` : ''}`);

    // The old primary returns, repairs its divergence and converges on the new primary's contents.
    await victim.start();
    const total = await waitConverged(c, others[0]!, victim, name, 30_000);
    await waitAllInSync(others[0]!, name, 20_000);

    const { status, json } = await http(others[0]!.url, 'GET', `/collections/${name}/truncated`);
    assert.equal(status, 200, JSON.stringify(json));
    const entries = (json as { result: { entries: TruncatedEntry[] } }).result.entries;
    const truncated = new Map<number, number[]>();
    for (const e of entries) {
      if (e.op.type !== 'upsert') continue;
      for (const p of e.op.points ?? []) truncated.set(p.id, p.vector);
    }
    t.diagnostic(`async: ${entries.length} truncated entries holding ${truncated.size} points, on ${[...new Set(entries.map((e) => e.peer_id))].join(',') || 'no node'}; converged at ${total} points`);

    // Nothing disappears silently: every acknowledged point is on the new primary with its
    // content, or listed (with that content) among the truncated entries.
    const unaccounted = lost.filter((id) => JSON.stringify(truncated.get(id)) !== JSON.stringify(load.acked.get(id)));
    assert.deepEqual(unaccounted, [], `acknowledged async writes lost without a truncated entry: ${unaccounted.length} of ${lost.length} lost`);
    // A truncated entry comes from a write the new primary's history does not hold: only the old
    // primary, diverged after the failover, can have kept one.
    for (const e of entries) {
      assert.equal(e.peer_id, victim.id, `truncated entry ${e.id} kept on ${e.peer_id}, not on the old primary`);
      assert.ok(e.epoch < e.truncated_in_epoch, `truncated entry ${e.id} of epoch ${e.epoch} truncated in epoch ${e.truncated_in_epoch}`);
    }

    // Converged: the old primary's own replica holds exactly what the primary holds, for every
    // id the test wrote or saw truncated.
    const everyId = [...new Set([...ids, ...truncated.keys()])];
    const [onPrimary, onOld] = await Promise.all([retrieve(others[0]!, name, everyId, 'primary'), retrieve(victim, name, everyId, 'eventual')]);
    assert.deepEqual(missingOrChanged(onPrimary, onOld), [], `${victim.id}'s replica differs from the primary's`);
    assert.equal(onOld.size, onPrimary.size, `${victim.id}'s replica holds points the primary does not`);
  });
});

// ------------------------------------------------------------------ a paused follower

test('a follower paused with SIGSTOP leaves the in-sync set, sync writes continue, and it returns after SIGCONT', { timeout: 60_000 }, async (t: TestContext) => {
  const c = shared();
  await withTails(c, async () => {
    const name = 'paused';
    const first = c.running()[0]!;
    await create(first, name, { mode: 'sync', timeout_ms: WRITE_TIMEOUT_MS });
    const before = await waitAllInSync(first, name);
    const primary = c.node(before.primary);
    // Pause a follower that does not lead the metadata group, so that the in-sync change does
    // not also wait for a Raft election.
    const leader = (await clusterInfo(primary.url)).leader;
    const followers = c.running().filter((n) => n !== primary);
    const paused = followers.find((n) => n.id !== leader) ?? followers[0]!;
    const load = new WriteLoad(name, [primary, primary], 1);
    let resumed = false;
    try {
      await sleep(700);
      assert.ok(load.acked.size > 0, `writes were acknowledged before the pause: ${load.failures.slice(0, 3).join(' | ')}`);
      const pausedAt = performance.now();
      paused.signal('SIGSTOP');

      const shrunk = await waitFor(`${paused.id} removed from the in-sync set`, 10_000, async () => {
        const s = await shard0(primary, name);
        return s.in_sync.includes(paused.id) ? undefined : s;
      }, 100);
      const shrunkMs = performance.now() - pausedAt;
      const ackedAtShrink = load.acks.length;
      await waitFor('sync writes acknowledged after the shrink', 10_000, async () => (load.acks.length >= ackedAtShrink + 10 ? true : undefined));
      const firstAckAfterPause = load.acks.find((a) => a.sentMs >= pausedAt);
      assert.ok(firstAckAfterPause !== undefined, 'a write sent after the pause was acknowledged');
      const stallMs = firstAckAfterPause.ackedMs - pausedAt;
      const replica = shrunk.replicas.find((r) => r.peer_id === paused.id);
      t.diagnostic(`paused ${paused.id}: out of the in-sync set seen after ${Math.round(shrunkMs)} ms; first write sent after the pause acknowledged after ${Math.round(stallMs)} ms; its replica shows ${replica?.hektor_state ?? 'nothing'}; failures ${load.failures.length}`);
      assert.deepEqual(shrunk.in_sync.slice().sort(), [primary.id, followers.find((n) => n !== paused)!.id].sort());
      assert.equal(replica?.in_sync, false, JSON.stringify(shrunk));
      assert.ok(stallMs < WRITE_TIMEOUT_MS, `writes stalled ${Math.round(stallMs)} ms after the pause`);
      assert.deepEqual(load.failures, [], 'no sync write failed while the follower was paused');

      await sleep(500);
      paused.signal('SIGCONT');
      resumed = true;
      // Writes go on while it catches up, then stop so its count can be compared.
      await sleep(1000);
    } finally {
      if (!resumed) paused.signal('SIGCONT');
      await load.stop();
    }
    const total = await waitConverged(c, primary, paused, name, 30_000, load.acked.size);
    assert.deepEqual(load.failures, [], 'no sync write failed while the follower caught up');
    const missing = missingOrChanged(load.acked, await retrieve(paused, name, [...load.acked.keys()], 'eventual'));
    assert.deepEqual(missing, [], `${paused.id}'s replica lacks acknowledged writes`);
    t.diagnostic(`${paused.id} back in sync holding all ${total} acknowledged points`);
  });
});

// ------------------------------------------------------------------ a wiped follower

/** How the wiped-replica tests shape their data. */
interface WipeShape {
  name: string;
  dim: number;
  points: number;
  batch: number;
  hnsw?: { m: number; ef_construct: number };
}

/** A vector whose first components name its id (the rest zero), so content checks are cheap to write. */
function shapedVector(id: number, dim: number): number[] {
  const v = new Array<number>(dim).fill(0);
  v[0] = id;
  v[1] = (id % 7) + 1;
  return v;
}

/** The upsert body for `ids`, built as text: wide vectors of zeros stay small and fast. */
function shapedPointsJson(ids: readonly number[], dim: number): string {
  const zeros = ',0'.repeat(dim - 2);
  return `{"points":[${ids.map((id) => `{"id":${id},"vector":[${id},${(id % 7) + 1}${zeros}]}`).join(',')}]}`;
}

async function shapedWrites(node: NodeProcess, shape: WipeShape, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += shape.batch) {
    const { status, text } = await upsertWithin(node, shape.name, shapedPointsJson(range(i, Math.min(to, i + shape.batch)), shape.dim), 30_000);
    assert.equal(status, 200, `${node.id}: ${text}`);
  }
}

/**
 * Kills a follower, deletes its replica's files (`<data>/collections/<name>/shards/0/*`; its node
 * identity and Raft state stay), writes the second half of the points while it is away, restarts
 * it and waits until it is back in the in-sync set holding every point with its content.
 * Returns how it caught up: the 'installed shard snapshot' log line, or undefined (log replay).
 */
async function wipeAndCatchUp(t: TestContext, c: TestCluster, shape: WipeShape, settleMs: number, catchUpMs: number): Promise<string | undefined> {
  const first = c.running()[0]!;
  // async: a bulk load may lag a healthy follower past the follower timeout, which would make
  // sync writes fail; the write mode is not what these tests are about.
  await create(first, shape.name, { mode: 'async', timeout_ms: 10_000 }, {
    size: shape.dim, distance: 'Dot', ...(shape.hnsw === undefined ? {} : { hnsw_config: shape.hnsw }),
  });
  const before = await waitAllInSync(first, shape.name);
  const primary = c.node(before.primary);
  const leader = (await clusterInfo(primary.url)).leader;
  const followers = c.running().filter((n) => n !== primary);
  const wiped = followers.find((n) => n.id !== leader) ?? followers[0]!;
  const half = Math.floor(shape.points / 2 / shape.batch) * shape.batch;
  const started = performance.now();
  await shapedWrites(primary, shape, 0, half);
  await waitConverged(c, primary, wiped, shape.name, 30_000, half);

  await wiped.kill9();
  const shardDir = join(wiped.dataDir, 'collections', shape.name, 'shards', '0');
  const files = readdirSync(shardDir);
  assert.ok(files.length > 0, `${shardDir} held the replica`);
  for (const f of files) rmSync(join(shardDir, f), { recursive: true, force: true });

  await shapedWrites(primary, shape, half, shape.points);
  const writeMs = performance.now() - started;
  await waitFor(`${wiped.id} out of the in-sync set`, 10_000, async () => ((await shard0(primary, shape.name)).in_sync.includes(wiped.id) ? undefined : true), 100);
  await sleep(settleMs);

  const restarted = performance.now();
  await wiped.start();
  await waitConverged(c, primary, wiped, shape.name, catchUpMs, shape.points);
  const tookMs = performance.now() - restarted;
  const installed = wiped.logs.find((l) => l.includes('installed shard snapshot'));
  t.diagnostic(`wiped ${wiped.id}: ${shape.points} points of dim ${shape.dim} written in ${Math.round(writeMs)} ms; back in sync after ${Math.round(tookMs)} ms (restart included) by ${installed === undefined ? 'log replay (no snapshot installed)' : `snapshot: ${installed}`}`);

  const sample = shape.dim <= 16 ? range(0, shape.points) : range(0, 25).map((i) => Math.floor((i * shape.points) / 25) + (i % 3));
  const got = await retrieve(wiped, shape.name, sample, 'eventual');
  const wrong = sample.filter((id) => JSON.stringify(got.get(id)) !== JSON.stringify(shapedVector(id, shape.dim)));
  assert.deepEqual(wrong, [], `${wiped.id}'s replica holds other content for these ids`);
  await waitAllInSync(primary, shape.name, 20_000);
  return installed;
}

test('a follower whose shard directory was wiped catches up (primary log replay)', { timeout: 60_000 }, async (t: TestContext) => {
  const c = shared();
  await withTails(c, async () => {
    // 3000 small points: far below the primary's 64 MiB log retention, so its log still reaches
    // back to seq 1 and the empty replica is rebuilt by replaying it.
    await wipeAndCatchUp(t, c, { name: 'wiped', dim: 4, points: 3000, batch: 100 }, 0, 30_000);
  });
});

/*
 * The snapshot path needs a primary whose log was compacted past what the wiped replica lacks: a
 * cluster of its own keeps only 64 KiB of log (replication_log_retention_bytes), so 4000 points
 * of dim 64 (about 1.3 MB of operations) are far beyond it. The settle time lets the primary's
 * once-a-second compaction run.
 */
test('a follower whose shard directory was wiped catches up by a streamed snapshot (compacted primary log)', { timeout: 120_000 }, async (t: TestContext) => {
  compacting = await TestCluster.start({ ids: ['s1', 's2', 's3'], extraArgs: () => [...FAST, '--replication-log-retention-bytes', '65536'] });
  const c = compacting;
  await withTails(c, async () => {
    const installed = await wipeAndCatchUp(t, c, { name: 'wiped-snapshot', dim: 64, points: 4000, batch: 100 }, 2500, 60_000);
    assert.ok(installed !== undefined, 'the wiped replica caught up by snapshot (the primary log outgrew its retention budget)');
  });
  await c.close();
  compacting = undefined;
});

// ------------------------------------------------------------------ a partitioned primary

test('a partitioned old primary acknowledges no write; the majority promotes and writes; after healing the old primary follows and converges', { timeout: 90_000 }, async (t: TestContext) => {
  partitioned = await TestCluster.start({ ids: ['q1', 'q2', 'q3'], proxies: true, extraArgs: () => FAST });
  const c = partitioned;
  const mesh = c.mesh!;
  await withTails(c, async () => {
    const name = 'part';
    const first = c.running()[0]!;
    await create(first, name, { mode: 'sync', timeout_ms: WRITE_TIMEOUT_MS });
    const before = await waitAllInSync(first, name);
    const acked = new Map<number, number[]>();
    await upsertOk(first, name, range(0, 100));
    for (const id of range(0, 100)) acked.set(id, vectorOf(id));
    assert.ok(mesh.acceptedTotal() > 0, 'node-to-node traffic goes through the proxies');

    const old = c.node(before.primary);
    const majority = c.running().filter((n) => n !== old);
    mesh.isolate(old.id);
    const isolatedAt = performance.now();
    // Writes sent straight to the isolated primary: none may be acknowledged. The server retries
    // a write for up to 15 s, so the client gives up after 3 s (not acknowledged either).
    const isolatedWrites: { id: number; status: number; text: string }[] = [];
    const isolatedWriter = async (firstId: number): Promise<void> => {
      for (let id = firstId; performance.now() - isolatedAt < 4000; id++) {
        const r = await upsertWithin(old, name, JSON.stringify({ points: pointsOf([id]) }), 3000);
        isolatedWrites.push({ id, ...r });
      }
    };
    const isolating = Promise.all([isolatedWriter(100_000), isolatedWriter(200_000)]);

    const newPrimary = await waitFor('a new primary on the majority side', 20_000, async () => {
      const s = await shard0(majority[0]!, name);
      return s.primary !== old.id && s.epoch > before.epoch ? s.primary : undefined;
    }, 100);
    const promotedMs = performance.now() - isolatedAt;
    // The majority side acknowledges writes, through either of its nodes.
    for (let i = 100; i < 300; i += 50) {
      await upsertOk(majority[(i / 50) % 2]!, name, range(i, i + 50));
      for (const id of range(i, i + 50)) acked.set(id, vectorOf(id));
    }
    await isolating;
    t.diagnostic(`partition: isolated ${old.id}; ${newPrimary} promoted after ${Math.round(promotedMs)} ms; writes sent to ${old.id}: ${isolatedWrites.map((w) => `${w.status === 0 ? 'no answer' : w.status}`).join(', ')}`);
    assert.ok(isolatedWrites.length > 0, 'writes were sent to the isolated primary');
    const acknowledged = isolatedWrites.filter((w) => w.status === 200);
    assert.deepEqual(acknowledged, [], 'the isolated old primary acknowledged writes');

    mesh.healAll();
    await waitFor(`${old.id} to follow ${newPrimary}`, 30_000, async () => ((await shard0(old, name)).primary === newPrimary ? true : undefined), 100);
    const total = await waitConverged(c, majority[0]!, old, name, 30_000);
    // A write through the old primary is forwarded to the new one and acknowledged.
    await upsertOk(old, name, [500]);
    acked.set(500, vectorOf(500));
    const onNew = await retrieve(c.node(newPrimary), name, [...acked.keys()], 'primary');
    assert.deepEqual(missingOrChanged(acked, onNew), [], 'acknowledged writes missing on the new primary');
    await waitAllInSync(majority[0]!, name, 20_000);
    await waitConverged(c, majority[0]!, old, name, 20_000);
    const onOld = await retrieve(old, name, [...acked.keys()], 'eventual');
    assert.deepEqual(missingOrChanged(acked, onOld), [], `acknowledged writes missing on ${old.id}'s replica`);
    // Writes the client gave up on may still land: the server retries them for up to 15 s.
    const late = await retrieve(c.node(newPrimary), name, isolatedWrites.map((w) => w.id), 'primary');
    const truncated = await http(majority[0]!.url, 'GET', `/collections/${name}/truncated`);
    const truncatedCount = (truncated.json as { result: { entries: unknown[] } }).result.entries.length;
    t.diagnostic(`partition healed: ${old.id} converged at ${total} points, then accepted a forwarded write; of the ${isolatedWrites.length} writes the client gave up on, ${late.size} were applied later by server-side retries; ${truncatedCount} truncated entries`);
  });
  await c.close();
  partitioned = undefined;
});
