/**
 * Cluster benchmark: real node processes on 127.0.0.1, JSON lines on stdout.
 *
 *   node dist/bench/cluster.js [--trials 20] [--commits 50] [--rtt-calls 2000]
 *
 * 1. failover: kill -9 of the Raft leader of a 3-node cluster until a metadata write (create
 *    collection) through a survivor succeeds; the killed node is restarted and caught up between
 *    trials so every trial starts from three healthy nodes. Goal: p50 ≤ 1.5 s.
 * 2. gRPC round trip: sequential Cluster.Heartbeat calls to a node (plaintext and mutual TLS),
 *    and the node-to-node heartbeat RTT the nodes report in `hektor_peer_rtt_seconds`.
 * 3. commit latency: `PUT /collections/{name}` through the leader and through a follower (the
 *    answer comes once the change is committed and applied on the answering node), with
 *    `GET /collections` on the same node as the same-run baseline (the REST floor).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PeerChannels, unary } from '../src/transport/grpc.js';
import { writeClusterCerts } from '../src/transport/certs.js';
import type { TlsMaterial } from '../src/transport/tls.js';
import type { HeartbeatRequest } from '../src/transport/generated/hektor/cluster/v1/HeartbeatRequest.js';
import type { HeartbeatReply__Output } from '../src/transport/generated/hektor/cluster/v1/HeartbeatReply.js';
import { NodeProcess, TestCluster, clusterInfo, collectionNames, createCollection, freePort, waitFor } from '../test/helpers/cluster.js';
import { http, tempDir } from '../test/helpers/node.js';
import { flagInt, parseFlags } from './args.js';
import { emit, note, nowMs, quantile, round } from './stats.js';

const flags = parseFlags(process.argv.slice(2));
const TRIALS = flagInt(flags, 'trials', 20);
const COMMITS = flagInt(flags, 'commits', 50);
const RTT_CALLS = flagInt(flags, 'rtt-calls', 2000);
/** Warm-up calls before timing (JIT, channel set-up, TLS handshake). */
const WARMUP_CALLS = 50;
/** Bounds of one failover trial; a trial that exceeds them fails the run. */
const TRIAL_WAIT_MS = 30_000;

function summary(samples: readonly number[]): { n: number; p50: number; p99: number; min: number; max: number; mean: number } {
  const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  return {
    n: samples.length,
    p50: round(quantile(samples, 0.5), 3),
    p99: round(quantile(samples, 0.99), 3),
    min: round(Math.min(...samples), 3),
    max: round(Math.max(...samples), 3),
    mean: round(mean, 3),
  };
}

/** Kills the leader, times the first successful create through a survivor, restarts the victim. */
async function failoverTrial(cluster: TestCluster, trial: number): Promise<{ ms: number; refused: number }> {
  const leader = await cluster.waitLeader(TRIAL_WAIT_MS);
  const survivor = cluster.running().find((n) => n.id !== leader.id)!;
  const name = `failover-${trial}`;
  const started = nowMs();
  await leader.kill9();
  let refused = 0;
  for (;;) {
    const r = await createCollection(survivor.url, name);
    if (r.status === 200) break;
    if (r.status !== 503) throw new Error(`create through ${survivor.id} answered ${r.status}: ${JSON.stringify(r.json)}`);
    refused++;
    if (nowMs() - started > TRIAL_WAIT_MS) throw new Error(`no write succeeded ${TRIAL_WAIT_MS} ms after the kill`);
  }
  const ms = nowMs() - started;
  await leader.start();
  await cluster.waitCollections(leader, [name], TRIAL_WAIT_MS);
  await cluster.waitLeader(TRIAL_WAIT_MS);
  return { ms, refused };
}

async function benchFailover(cluster: TestCluster): Promise<void> {
  const samples: number[] = [];
  let refused = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const r = await failoverTrial(cluster, trial);
    samples.push(r.ms);
    refused += r.refused;
    note(`failover trial ${trial + 1}/${TRIALS}: ${r.ms.toFixed(0)} ms`);
  }
  emit({ bench: 'cluster', metric: 'failover_write_ms', what: 'kill -9 leader → create collection succeeds through a survivor', ...summary(samples), goal_p50_ms: 1500, refused_503: refused, tick_ms: 50, election_timeout_ms: '500-1000' });
}

async function timeHeartbeats(address: string, nodeId: string, tls: TlsMaterial | undefined): Promise<number[]> {
  const channels = new PeerChannels(tls);
  try {
    const client = channels.client(nodeId, address);
    const call = () => unary<HeartbeatRequest, HeartbeatReply__Output>((r, md, o, cb) => client.Heartbeat(r, md, o, cb), { from: '', sent_at_ms: 0 }, 2_000);
    for (let i = 0; i < WARMUP_CALLS; i++) await call();
    const samples: number[] = [];
    for (let i = 0; i < RTT_CALLS; i++) {
      const t0 = nowMs();
      await call();
      samples.push(nowMs() - t0);
    }
    return samples;
  } finally {
    channels.close();
  }
}

/** The node-to-node heartbeat RTTs (ms) a node reports in /metrics. */
async function reportedRttMs(url: string): Promise<number[]> {
  const response = await fetch(`${url}/metrics`);
  const text = await response.text();
  const values: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^hektor_peer_rtt_seconds\{[^}]*\} ([0-9.e+-]+)$/.exec(line);
    if (m !== null) values.push(Number(m[1]) * 1000);
  }
  return values;
}

async function benchRtt(cluster: TestCluster): Promise<void> {
  const node = cluster.running()[0]!;
  emit({ bench: 'cluster', metric: 'grpc_heartbeat_rtt_ms', tls: false, what: 'sequential Cluster.Heartbeat from a client process to a cluster node', ...summary(await timeHeartbeats(node.grpcAddress, node.id, undefined)) });

  // Nodes sample each other every heartbeat interval (200 ms); 25 reads of every node's gauges.
  const reported: number[] = [];
  for (let i = 0; i < 25; i++) {
    for (const n of cluster.running()) reported.push(...(await reportedRttMs(n.url)));
    await new Promise((r) => setTimeout(r, 200));
  }
  emit({ bench: 'cluster', metric: 'node_peer_rtt_ms', what: 'hektor_peer_rtt_seconds as reported by the nodes (node-to-node heartbeat)', ...summary(reported) });
}

async function benchTlsRtt(): Promise<void> {
  const dir = tempDir('hektor-bench-certs-');
  const data = tempDir('hektor-bench-tls-');
  writeClusterCerts(dir.path, ['t1', 'client']);
  const files = (id: string) => ({ ca: join(dir.path, 'ca.pem'), cert: join(dir.path, `${id}.pem`), key: join(dir.path, `${id}.key`) });
  const node = new NodeProcess('t1', data.path, await freePort(), () => ['--tls-ca', files('t1').ca, '--tls-cert', files('t1').cert, '--tls-key', files('t1').key]);
  try {
    await node.start();
    const f = files('client');
    const material: TlsMaterial = { caPem: readFileSync(f.ca), certPem: readFileSync(f.cert), keyPem: readFileSync(f.key) };
    emit({ bench: 'cluster', metric: 'grpc_heartbeat_rtt_ms', tls: true, what: 'sequential Cluster.Heartbeat over mutual TLS 1.3 (one long-lived channel)', ...summary(await timeHeartbeats(node.grpcAddress, 't1', material)) });
  } finally {
    await node.kill9();
    dir.remove();
    data.remove();
  }
}

async function timeCreates(node: NodeProcess, prefix: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < COMMITS; i++) {
    const t0 = nowMs();
    const r = await createCollection(node.url, `${prefix}-${i}`);
    const ms = nowMs() - t0;
    if (r.status !== 200) throw new Error(`create through ${node.id} answered ${r.status}: ${JSON.stringify(r.json)}`);
    samples.push(ms);
  }
  return samples;
}

async function timeListing(node: NodeProcess): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < COMMITS; i++) {
    const t0 = nowMs();
    const r = await http(node.url, 'GET', '/collections');
    samples.push(nowMs() - t0);
    if (r.status !== 200) throw new Error(`GET /collections answered ${r.status}`);
  }
  return samples;
}

async function benchCommit(cluster: TestCluster): Promise<void> {
  const leader = await cluster.waitLeader(TRIAL_WAIT_MS);
  const follower = cluster.running().find((n) => n.id !== leader.id)!;
  emit({ bench: 'cluster', metric: 'rest_get_collections_ms', via: 'leader', what: 'baseline: GET /collections on the leader (no Raft)', ...summary(await timeListing(leader)) });
  emit({ bench: 'cluster', metric: 'commit_create_collection_ms', via: 'leader', what: 'PUT /collections/{name} through the leader', ...summary(await timeCreates(leader, 'commit-leader')) });
  emit({ bench: 'cluster', metric: 'commit_create_collection_ms', via: 'follower', what: 'PUT /collections/{name} through a follower (forwarded to the leader)', ...summary(await timeCreates(follower, 'commit-follower')) });
  const listed = await collectionNames(follower.url);
  if (listed.filter((n) => n.startsWith('commit-')).length !== 2 * COMMITS) throw new Error('the follower does not list every created collection');
  const info = await clusterInfo(leader.url);
  if (info.role !== 'Leader') note('leadership moved during the commit benchmark; the figures mix leader and follower paths');
}

async function main(): Promise<void> {
  note(`3-node cluster, ${TRIALS} failover trials, ${COMMITS} commits per path, ${RTT_CALLS} heartbeat calls`);
  const cluster = await TestCluster.start({ ids: ['n1', 'n2', 'n3'] });
  try {
    await waitFor('a first write', TRIAL_WAIT_MS, async () => ((await createCollection(cluster.node('n1').url, 'warmup')).status === 200 ? true : undefined));
    await benchRtt(cluster);
    await benchCommit(cluster);
    await benchFailover(cluster);
  } catch (e: unknown) {
    for (const n of cluster.nodes.values()) note(`--- ${n.id} (${n.running ? 'running' : 'stopped'}) last log lines:\n${n.tail(40)}`);
    throw e;
  } finally {
    await cluster.close();
  }
  await benchTlsRtt();
}

await main();
