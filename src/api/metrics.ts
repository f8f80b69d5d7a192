/**
 * Prometheus metrics of a node: HTTP request counts and latency per endpoint, and per-collection
 * gauges (points, payload index sizes) read from the catalog at scrape time, Raft figures, and the
 * replication figures (lag, in-sync sets, epochs, failovers) of the replication runtime.
 */

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ClusterStatus } from '../cluster/cluster-node.js';
import type { ReplicaManager } from '../cluster/replicas.js';
import type { ReplicaLagSample, ShardPrimarySample } from '../cluster/replica-status.js';
import type { Catalog } from '../shard/catalog.js';

/** The metrics of one node, on a registry of its own (tests run several nodes in one process). */
export class NodeMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  /** Requests by method, route pattern and status. */
  readonly requests: Counter<'method' | 'route' | 'status'>;
  /** Request latency by method and route pattern. */
  readonly latency: Histogram<'method' | 'route'>;
  /** Searches by the planner path they took. */
  readonly searchPaths: Counter<'path'>;

  /**
   * Creates the metrics; gauges read `catalog`, the cluster status and the replication runtime
   * when scraped (the runtime is undefined until the node has started it).
   */
  constructor(catalog: Catalog, clusterStatus: () => ClusterStatus | undefined, replicas: () => ReplicaManager | undefined) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'hektor_process_' });
    this.requests = new Counter({
      name: 'hektor_http_requests_total',
      help: 'HTTP requests by method, route and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'hektor_http_request_duration_seconds',
      help: 'HTTP request latency by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.searchPaths = new Counter({
      name: 'hektor_search_plans_total',
      help: 'Shard searches by the path the filter planner chose',
      labelNames: ['path'],
      registers,
    });
    new Gauge({
      name: 'hektor_collection_points',
      help: 'Live points per collection',
      labelNames: ['collection'],
      registers,
      collect() {
        this.reset();
        for (const c of catalog.list()) this.set({ collection: c.name }, c.pointCount);
      },
    });
    new Gauge({
      name: 'hektor_collection_shards',
      help: 'Local shards per collection',
      labelNames: ['collection'],
      registers,
      collect() {
        this.reset();
        for (const c of catalog.list()) this.set({ collection: c.name }, c.shards.length);
      },
    });
    new Gauge({
      name: 'hektor_vector_index_size',
      help: 'Vectors in the HNSW index per collection',
      labelNames: ['collection'],
      registers,
      collect() {
        this.reset();
        for (const c of catalog.list()) this.set({ collection: c.name }, c.indexedVectorCount);
      },
    });
    const raftGauge = (name: string, help: string, read: (s: ClusterStatus) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const s = clusterStatus();
          if (s !== undefined) this.set(read(s));
        },
      });
    raftGauge('hektor_raft_term', 'Current Raft term of the metadata group', (s) => s.term);
    raftGauge('hektor_raft_commit_index', 'Raft commit index on this node', (s) => s.commitIndex);
    raftGauge('hektor_raft_applied_index', 'Raft index applied to the metadata on this node', (s) => s.appliedIndex);
    raftGauge('hektor_raft_apply_lag', 'Committed but not yet applied Raft entries', (s) => s.commitIndex - s.appliedIndex);
    raftGauge('hektor_raft_leader_changes', 'Leader changes this node has seen since it started', (s) => s.leaderChanges);
    raftGauge('hektor_raft_is_leader', '1 when this node is the Raft leader (the controller)', (s) => (s.role === 'leader' ? 1 : 0));
    raftGauge('hektor_cluster_members', 'Members of the cluster', (s) => s.members.length);
    new Gauge({
      name: 'hektor_peer_rtt_seconds',
      help: 'Round-trip time of the last heartbeat to each peer',
      labelNames: ['peer'],
      registers,
      collect() {
        this.reset();
        for (const [peer, ms] of Object.entries(clusterStatus()?.peerRttMs ?? {})) this.set({ peer }, ms / 1000);
      },
    });
    new Gauge({
      name: 'hektor_node_state',
      help: 'Health of each member as committed by the controller (1 for the state it is in)',
      labelNames: ['node', 'state'],
      registers,
      collect() {
        this.reset();
        for (const m of clusterStatus()?.members ?? []) for (const st of ['alive', 'suspect', 'dead']) this.set({ node: m.id, state: st }, m.state === st ? 1 : 0);
      },
    });
    new Gauge({
      name: 'hektor_payload_index_points',
      help: 'Points in each payload index',
      labelNames: ['collection', 'field'],
      registers,
      collect() {
        this.reset();
        for (const c of catalog.list()) {
          for (const [field, info] of Object.entries(c.payloadSchemaInfo())) this.set({ collection: c.name, field }, info.points);
        }
      },
    });
    registerReplicationMetrics(registers, replicas);
  }
}

/**
 * Replication figures of the shards this node is primary of (a follower's lag is known only to
 * its primary, so each series comes from one node), read from the runtime at scrape time.
 */
function registerReplicationMetrics(registers: Registry[], replicas: () => ReplicaManager | undefined): void {
  const followerGauge = (name: string, help: string, read: (s: ReplicaLagSample) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['collection', 'shard', 'follower'],
      registers,
      collect() {
        this.reset();
        for (const s of replicas()?.lagSamples() ?? []) this.set({ collection: s.collection, shard: String(s.shard), follower: s.follower }, read(s));
      },
    });
  followerGauge('hektor_replica_lag_ops', 'Log entries a follower is behind its shard primary', (s) => s.lagOps);
  followerGauge('hektor_replica_lag_seconds', 'Age of the oldest entry a follower has not acknowledged', (s) => s.lagSeconds);
  followerGauge('hektor_replica_in_sync', '1 when a follower is in its shard in-sync set', (s) => (s.inSync ? 1 : 0));
  const shardGauge = (name: string, help: string, read: (s: ShardPrimarySample) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['collection', 'shard'],
      registers,
      collect() {
        this.reset();
        for (const s of replicas()?.primarySamples() ?? []) this.set({ collection: s.collection, shard: String(s.shard) }, read(s));
      },
    });
  shardGauge('hektor_shard_in_sync_replicas', 'Replicas in the in-sync set of a shard this node is primary of, the primary included', (s) => s.inSyncSize);
  shardGauge('hektor_shard_epoch', 'Epoch of a shard this node is primary of (rises on every change of primary)', (s) => s.epoch);
  new Counter({
    name: 'hektor_failovers_total',
    help: 'Shard primaries this node promoted as controller since it started',
    registers,
    collect() {
      // The runtime owns the count; a scrape copies it.
      const total = replicas()?.failovers;
      this.reset();
      if (total !== undefined && total > 0) this.inc(total);
    },
  });
}
