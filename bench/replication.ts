/**
 * Replicated-shard benchmark: a 3-node cluster of real processes on 127.0.0.1, JSON lines on stdout.
 *
 *   node dist/bench/replication.js [--writes 300] [--batches 40] [--rounds 10] [--lag-seconds 5] [--trials 20]
 *                                  [--catchup-points 100000] [--dim 64] [--only write,lag,failover,catchup]
 *
 * 1. write: sequential upserts of 1 point and of 256 points to the shard's primary node, for
 *    RF=1 (the baseline, same run) and RF=3 with async, semi_sync (min_acks 1) and sync, in
 *    interleaved rounds (`--rounds`). Latency p50/p99 per request and points/s (while writing);
 *    goal: sync p50 ≤ 1.5× RF=1.
 * 2. lag: followers' lag (ops and ms, as the primary reports it in GET /collections/{name}/cluster)
 *    sampled every 100 ms under a sustained async write load of 64-point batches.
 * 3. failover: kill -9 of a shard primary (RF=3, sync) until the first successful write on that
 *    shard through a survivor; the victim is restarted and back in sync before the next trial.
 *    Goal: p50 ≤ 1.5 s. Nodes run with failure_timeout_ms 1000 (heartbeats every 100 ms).
 * 4. catchup: a follower whose shard directory is wiped recovers `--catchup-points` points from
 *    the primary by snapshot stream (the primary keeps 1 MiB of log, so it cannot replay): points/s
 *    of the stream as the follower logs it, and time until it is back in the in-sync set.
 */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster, shardReplication, waitFor, type NodeProcess } from '../test/helpers/cluster.js';
import { http } from '../test/helpers/node.js';
import { flagInt, flagString, parseFlags } from './args.js';
import { emit, note, nowMs, processCpuMs, quantile, round, sleepMs } from './stats.js';

const flags = parseFlags(process.argv.slice(2));
const WRITES = flagInt(flags, 'writes', 300);
const BATCHES = flagInt(flags, 'batches', 40);
const WRITE_ROUNDS = flagInt(flags, 'rounds', 10);
const LAG_SECONDS = flagInt(flags, 'lag-seconds', 5);
const TRIALS = flagInt(flags, 'trials', 20);
const CATCHUP_POINTS = flagInt(flags, 'catchup-points', 100_000);
const DIM = flagInt(flags, 'dim', 64);
const ONLY = new Set((flagString(flags, 'only') ?? 'write,lag,failover,catchup').split(','));
const FAILURE_TIMEOUT_MS = 1000;
const NODE_ARGS = ['--heartbeat-interval-ms', '100', '--failure-timeout-ms', String(FAILURE_TIMEOUT_MS), '--log-level', 'info'];

function summary(samples: readonly number[]): { n: number; p50: number; p99: number; max: number } {
  return { n: samples.length, p50: round(quantile(samples, 0.5), 3), p99: round(quantile(samples, 0.99), 3), max: round(Math.max(...samples), 3) };
}

let seed = 12345;
function random(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff - 0.5;
}

function vector(): number[] {
  return Array.from({ length: DIM }, random);
}

const shardInfo = shardReplication;

async function create(node: NodeProcess, name: string, rf: number, mode: string | null): Promise<void> {
  const body: Record<string, unknown> = { vectors: { size: DIM, distance: 'Cosine' }, shard_number: 1, replication_factor: rf };
  if (mode !== null) body.write_consistency = { mode, ...(mode === 'semi_sync' ? { min_acks: 1 } : {}) };
  const { status, json } = await http(node.url, 'PUT', `/collections/${name}`, body);
  if (status !== 200) throw new Error(`create ${name}: ${status} ${JSON.stringify(json)}`);
  await waitFor(`${name} fully in sync`, 30_000, async () => ((await shardInfo(node, name)).in_sync.length === rf ? true : undefined));
}

let nextId = 1;
async function upsert(node: NodeProcess, name: string, count: number): Promise<void> {
  const points = Array.from({ length: count }, () => ({ id: nextId++, vector: vector() }));
  const { status, json } = await http(node.url, 'PUT', `/collections/${name}/points?wait=true`, { points });
  if (status !== 200) throw new Error(`upsert to ${name} via ${node.id}: ${status} ${JSON.stringify(json).slice(0, 300)}`);
}

async function writeBench(cluster: TestCluster): Promise<void> {
  const first = cluster.running()[0]!;
  const configs: { name: string; rf: number; mode: string | null }[] = [
    { name: 'w-rf1', rf: 1, mode: null },
    { name: 'w-async', rf: 3, mode: 'async' },
    { name: 'w-semi', rf: 3, mode: 'semi_sync' },
    { name: 'w-sync', rf: 3, mode: 'sync' },
  ];
  const primaries = new Map<string, NodeProcess>();
  for (const c of configs) {
    await create(first, c.name, c.rf, c.mode);
    primaries.set(c.name, cluster.node((await shardInfo(first, c.name)).primary));
  }
  // Interleaved rounds (every configuration in turn, a warm-up round discarded): the machine
  // speeds up over a run (JIT, caches), and measuring one configuration after another would
  // charge that drift to whichever came first.
  const rounds = WRITE_ROUNDS;
  for (const batch of [1, 256]) {
    const perRound = Math.max(1, Math.round((batch === 1 ? WRITES : BATCHES) / rounds));
    const samples = new Map<string, number[]>(configs.map((c) => [c.name, []]));
    const busyMs = new Map<string, number>(configs.map((c) => [c.name, 0]));
    const cpuMs = new Map<string, number>(configs.map((c) => [c.name, 0]));
    const nodesCpu = (): number => cluster.running().reduce((sum, n) => sum + (n.pid === undefined ? 0 : processCpuMs(n.pid)), 0);
    for (let round = -1; round < rounds; round++) {
      for (const c of configs) {
        const primary = primaries.get(c.name)!;
        const cpuBefore = nodesCpu();
        for (let i = 0; i < perRound; i++) {
          const t = nowMs();
          await upsert(primary, c.name, batch);
          if (round < 0) continue;
          const ms = nowMs() - t;
          samples.get(c.name)!.push(ms);
          busyMs.set(c.name, (busyMs.get(c.name) ?? 0) + ms);
        }
        if (round >= 0) cpuMs.set(c.name, (cpuMs.get(c.name) ?? 0) + nodesCpu() - cpuBefore);
      }
    }
    const base = summary(samples.get('w-rf1')!).p50;
    for (const c of configs) {
      const list = samples.get(c.name)!;
      const s = summary(list);
      emit({
        bench: 'replication_write', collection: c.name, replication_factor: c.rf, mode: c.mode ?? 'async', batch,
        requests: list.length, p50_ms: s.p50, p99_ms: s.p99, points_per_s: round((list.length * batch) / ((busyMs.get(c.name) ?? 1) / 1000), 0),
        nodes_cpu_ms_per_request: round((cpuMs.get(c.name) ?? 0) / list.length, 2),
        baseline: 'rf1_same_run_interleaved', baseline_p50_ms: base, p50_vs_rf1: round(s.p50 / base, 2),
      });
    }
  }
}

async function lagBench(cluster: TestCluster): Promise<void> {
  const first = cluster.running()[0]!;
  await create(first, 'lag', 3, 'async');
  const primary = cluster.node((await shardInfo(first, 'lag')).primary);
  const observer = cluster.running().find((n) => n !== primary)!;
  let stop = false;
  let written = 0;
  const writer = (async () => {
    while (!stop) {
      await upsert(primary, 'lag', 64);
      written += 64;
    }
  })();
  const ops: number[] = [];
  const ms: number[] = [];
  const until = nowMs() + LAG_SECONDS * 1000;
  while (nowMs() < until) {
    const info = await shardInfo(observer, 'lag');
    for (const r of info.replicas) {
      if (r.role !== 'follower' || r.lag_ops === null || r.lag_ms === null) continue;
      ops.push(r.lag_ops);
      ms.push(r.lag_ms);
    }
    await sleepMs(100);
  }
  stop = true;
  await writer;
  const o = summary(ops);
  const m = summary(ms);
  emit({
    bench: 'replication_lag', mode: 'async', batch: 64, seconds: LAG_SECONDS, points_written: written, samples: o.n,
    lag_ops_p50: o.p50, lag_ops_p99: o.p99, lag_ops_max: o.max, lag_ms_p50: m.p50, lag_ms_p99: m.p99, lag_ms_max: m.max,
  });
}

async function failoverBench(cluster: TestCluster): Promise<void> {
  const first = cluster.running()[0]!;
  // Three collections whose shard primaries land on different nodes, so each trial can pick a
  // primary that is not the Raft leader (one trial in four picks one that is, measured apart).
  const names = ['fo-a', 'fo-b', 'fo-c', 'fo-d', 'fo-e'];
  for (const name of names) await create(first, name, 3, 'sync');
  const samples: number[] = [];
  const leaderSamples: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const leader = await cluster.waitLeader(30_000);
    const wantLeader = trial % 4 === 3;
    let chosen: { name: string; primary: string } | undefined;
    for (const name of names) {
      const primary = (await shardInfo(leader, name)).primary;
      if ((primary === leader.id) === wantLeader) chosen = { name, primary };
    }
    chosen ??= { name: names[0]!, primary: (await shardInfo(leader, names[0]!)).primary };
    const victim = cluster.node(chosen.primary);
    const survivor = cluster.running().find((n) => n !== victim)!;
    await upsert(survivor, chosen.name, 1);
    const started = nowMs();
    await victim.kill9();
    for (;;) {
      try {
        await upsert(survivor, chosen.name, 1);
        break;
      } catch {
        if (nowMs() - started > 60_000) throw new Error('no write succeeded within 60 s of the kill');
      }
    }
    const ms = nowMs() - started;
    (victim.id === leader.id ? leaderSamples : samples).push(ms);
    note(`failover trial ${trial}: ${Math.round(ms)} ms (victim ${victim.id}${victim.id === leader.id ? ', also Raft leader' : ''})`);
    await victim.start();
    await waitFor('victim back in sync', 60_000, async () => {
      for (const name of names) if ((await shardInfo(survivor, name)).in_sync.length !== 3) return undefined;
      return true;
    });
  }
  emit({
    bench: 'replication_failover', trials: samples.length + leaderSamples.length, failure_timeout_ms: FAILURE_TIMEOUT_MS, mode: 'sync',
    ...(samples.length > 0 ? prefixed('primary_ms', summary(samples)) : {}),
    ...(leaderSamples.length > 0 ? prefixed('primary_and_raft_leader_ms', summary(leaderSamples)) : {}),
    goal_p50_ms: 1500,
  });
}

function prefixed(prefix: string, s: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [`${prefix}_${k}`, v]));
}

async function catchupBench(cluster: TestCluster): Promise<void> {
  const first = cluster.running()[0]!;
  await create(first, 'cu', 3, 'async');
  const info = await shardInfo(first, 'cu');
  const primary = cluster.node(info.primary);
  const loadStarted = nowMs();
  for (let done = 0; done < CATCHUP_POINTS; done += 500) await upsert(primary, 'cu', Math.min(500, CATCHUP_POINTS - done));
  note(`loaded ${CATCHUP_POINTS} points in ${Math.round(nowMs() - loadStarted)} ms`);
  await waitFor('followers caught up', 300_000, async () => {
    const s = await shardInfo(first, 'cu');
    return s.replicas.every((r) => r.lag_ops === 0) && s.in_sync.length === 3 ? true : undefined;
  });
  const victim = cluster.running().find((n) => n !== primary)!;
  await victim.kill9();
  rmSync(join(victim.dataDir, 'collections', 'cu', 'shards', '0'), { recursive: true, force: true });
  const started = nowMs();
  await victim.start();
  const line = await waitFor('snapshot installed', 600_000, async () => victim.logs.find((l) => l.includes('installed shard snapshot') && l.includes('cu/0')), 100);
  const parsed = JSON.parse(line) as { points: number; ms: number };
  await waitFor('victim back in sync', 600_000, async () => ((await shardInfo(first, 'cu')).in_sync.length === 3 ? true : undefined), 100);
  const inSyncMs = nowMs() - started;
  emit({
    bench: 'replication_catchup', method: 'snapshot_stream', dim: DIM, points: parsed.points, stream_ms: parsed.ms,
    points_per_s: round(parsed.points / (parsed.ms / 1000), 0), restart_to_in_sync_ms: round(inSyncMs, 0),
  });
}

async function main(): Promise<void> {
  const cluster = await TestCluster.start({
    ids: ['b1', 'b2', 'b3'],
    extraArgs: () => [...NODE_ARGS, '--replication-log-retention-bytes', String(1024 * 1024)],
  });
  try {
    if (ONLY.has('write')) await writeBench(cluster);
    if (ONLY.has('lag')) await lagBench(cluster);
    if (ONLY.has('failover')) await failoverBench(cluster);
    if (ONLY.has('catchup')) await catchupBench(cluster);
  } catch (e: unknown) {
    note(cluster.logTails(30));
    throw e;
  } finally {
    await cluster.close();
  }
}

await main();
