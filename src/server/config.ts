/**
 * Node configuration: defaults, then a YAML file, then `HEKTOR_*` environment variables, then
 * command-line flags (later wins). Every value is validated; a bad one stops start-up with a
 * message that names the setting and what is allowed.
 */

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HektorError, errorMessage } from '../base/errors.js';

/** The settings of one node. */
export interface NodeConfig {
  /** Directory for all durable data. */
  dataDir: string;
  /** Address the REST API binds to. */
  host: string;
  /** REST port; 0 picks a free one. */
  httpPort: number;
  /** pino log level. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Milliseconds to let in-flight requests finish on shutdown. */
  shutdownTimeoutMs: number;
  /** This node's id; generated and kept in the data directory when not given. */
  nodeId: string | undefined;
  /** Node-to-node gRPC port; 0 picks a free one. */
  grpcPort: number;
  /** Public gRPC API port (off when absent; 0 picks a free one). */
  grpcApiPort: number | undefined;
  /** Initial cluster members `id@host:port,...` (this node included), for a static start. */
  peers: { id: string; address: string }[];
  /** Address (host:port, gRPC) of a member to join through. */
  join: string | undefined;
  /** Zone label of this node (placement spreads replicas over zones). */
  zone: string;
  /** Cluster name; nodes of another cluster are refused. */
  clusterId: string;
  /** TLS files for node-to-node gRPC (all three or none). */
  tls: { ca: string; cert: string; key: string } | undefined;
  /** Node health: heartbeat interval and the silence after which a node is declared dead. */
  heartbeatIntervalMs: number;
  failureTimeoutMs: number;
  /** Milliseconds per Raft tick (election timeout is 10–20 ticks). */
  raftTickMs: number;
  /** Applied metadata entries between Raft snapshots (log compaction). */
  raftSnapshotEntries: number;
  /** Silence or lag after which a shard primary removes a follower from the in-sync set. */
  replicaTimeoutMs: number;
  /** Bytes of shard log kept behind the commit point for followers to catch up without a snapshot. */
  replicationLogRetentionBytes: number;
  /** How long a replica's node stays dead before the replica is re-created on another node (0: never). */
  rereplicateAfterMs: number;
  /** Threads that walk HNSW graphs for concurrent searches; 0 means one per core but one. */
  searchThreads: number;
}

/** Largest `search_threads`. */
export const SEARCH_THREADS_MAX = 256;

const schema = z.object({
  data_dir: z.string().min(1),
  host: z.string().min(1),
  http_port: z.coerce.number().int().min(0).max(65535),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  shutdown_timeout_ms: z.coerce.number().int().min(0).max(600_000),
  node_id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use 1..64 characters from A-Z a-z 0-9 _ . -').optional(),
  grpc_port: z.coerce.number().int().min(0).max(65535),
  grpc_api_port: z.coerce.number().int().min(0).max(65535).optional(),
  peers: z.string().optional(),
  join: z.string().regex(/^[^\s:]+:\d+$/, 'use host:port').optional(),
  zone: z.string().min(1).max(64),
  cluster_id: z.string().min(1).max(64),
  tls_ca: z.string().optional(),
  tls_cert: z.string().optional(),
  tls_key: z.string().optional(),
  heartbeat_interval_ms: z.coerce.number().int().min(10).max(60_000),
  failure_timeout_ms: z.coerce.number().int().min(50).max(600_000),
  raft_tick_ms: z.coerce.number().int().min(5).max(10_000),
  raft_snapshot_entries: z.coerce.number().int().min(4).max(10_000_000),
  replica_timeout_ms: z.coerce.number().int().min(200).max(600_000),
  replication_log_retention_bytes: z.coerce.number().int().min(0).max(2 ** 40),
  rereplicate_after_ms: z.coerce.number().int().min(0).max(7 * 24 * 3600 * 1000),
  search_threads: z.coerce.number().int().min(0).max(SEARCH_THREADS_MAX),
});

/** Default settings. */
export const DEFAULT_CONFIG = {
  data_dir: './data',
  host: '127.0.0.1',
  http_port: 6333,
  log_level: 'info',
  shutdown_timeout_ms: 10_000,
  node_id: undefined,
  grpc_port: 6335,
  grpc_api_port: undefined,
  peers: undefined,
  join: undefined,
  zone: 'default',
  cluster_id: 'hektor',
  tls_ca: undefined,
  tls_cert: undefined,
  tls_key: undefined,
  heartbeat_interval_ms: 200,
  failure_timeout_ms: 2_000,
  raft_tick_ms: 50,
  raft_snapshot_entries: 1000,
  replica_timeout_ms: 1000,
  replication_log_retention_bytes: 64 * 1024 * 1024,
  rereplicate_after_ms: 60_000,
  search_threads: 0,
} as const;

const ENV_KEYS = Object.keys(DEFAULT_CONFIG).map((k) => [k, `HEKTOR_${k.toUpperCase()}`] as const);

/** Resolves the configuration from a file path, the environment and flag overrides (snake_case keys). */
export function loadConfig(options: { file?: string | undefined; env?: NodeJS.ProcessEnv; flags?: Record<string, string | number | boolean | undefined> }): NodeConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };
  if (options.file !== undefined) {
    let fromFile: unknown;
    try {
      fromFile = parseYaml(readFileSync(options.file, 'utf8'));
    } catch (e: unknown) {
      throw new HektorError('invalid_config', `cannot read config file ${options.file}: ${errorMessage(e)}`);
    }
    if (fromFile !== null && fromFile !== undefined) {
      if (typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new HektorError('invalid_config', `config file ${options.file} must be a YAML mapping`);
      for (const [k, v] of Object.entries(fromFile)) {
        if (!(k in DEFAULT_CONFIG)) throw new HektorError('invalid_config', `config file ${options.file}: unknown setting "${k}"; known: ${Object.keys(DEFAULT_CONFIG).join(', ')}`);
        merged[k] = v;
      }
    }
  }
  const env = options.env ?? {};
  for (const [key, envName] of ENV_KEYS) {
    const v = env[envName];
    if (v !== undefined && v !== '') merged[key] = v;
  }
  for (const [k, v] of Object.entries(options.flags ?? {})) if (v !== undefined) merged[k] = v;
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HektorError('invalid_config', `invalid setting ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const c = parsed.data;
  const tlsGiven = [c.tls_ca, c.tls_cert, c.tls_key].filter((v) => v !== undefined).length;
  if (tlsGiven !== 0 && tlsGiven !== 3) throw new HektorError('invalid_config', 'give all of tls_ca, tls_cert and tls_key, or none');
  if (c.failure_timeout_ms <= c.heartbeat_interval_ms) throw new HektorError('invalid_config', 'failure_timeout_ms must be larger than heartbeat_interval_ms');
  if (c.peers !== undefined && c.join !== undefined) throw new HektorError('invalid_config', 'give either peers (a static initial cluster) or join, not both');
  return {
    dataDir: c.data_dir,
    host: c.host,
    httpPort: c.http_port,
    logLevel: c.log_level,
    shutdownTimeoutMs: c.shutdown_timeout_ms,
    nodeId: c.node_id,
    grpcPort: c.grpc_port,
    grpcApiPort: c.grpc_api_port,
    peers: c.peers === undefined ? [] : parsePeers(c.peers),
    join: c.join,
    zone: c.zone,
    clusterId: c.cluster_id,
    tls: c.tls_ca !== undefined && c.tls_cert !== undefined && c.tls_key !== undefined ? { ca: c.tls_ca, cert: c.tls_cert, key: c.tls_key } : undefined,
    heartbeatIntervalMs: c.heartbeat_interval_ms,
    failureTimeoutMs: c.failure_timeout_ms,
    raftTickMs: c.raft_tick_ms,
    raftSnapshotEntries: c.raft_snapshot_entries,
    replicaTimeoutMs: c.replica_timeout_ms,
    replicationLogRetentionBytes: c.replication_log_retention_bytes,
    rereplicateAfterMs: c.rereplicate_after_ms,
    searchThreads: c.search_threads,
  };
}

/** Parses `id@host:port,id@host:port`. */
export function parsePeers(text: string): { id: string; address: string }[] {
  const peers = text.split(',').map((part) => part.trim()).filter((part) => part !== '').map((part) => {
    const match = /^([A-Za-z0-9_.-]{1,64})@([^\s:@]+:\d+)$/.exec(part);
    if (match?.[1] === undefined || match[2] === undefined) throw new HektorError('invalid_config', `peer "${part}" must look like id@host:port`);
    return { id: match[1], address: match[2] };
  });
  if (new Set(peers.map((p) => p.id)).size !== peers.length) throw new HektorError('invalid_config', 'peers lists a node id twice');
  return peers;
}
