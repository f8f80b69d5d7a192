/**
 * What the replication runtime reports about replicated shards, for the REST cluster endpoint,
 * /metrics and the CLI. Plain data: the API layer renders it, the runtime (replicas.ts) fills it.
 */

/** The state of one replica of a shard, Qdrant-style. */
export type ReplicaState = 'active' | 'catching_up' | 'dead';

/** One replica of a shard as the shard's primary (or the metadata, when the primary is silent) sees it. */
export interface ReplicaStatus {
  node: string;
  role: 'primary' | 'follower';
  state: ReplicaState;
  inSync: boolean;
  /** Highest seq the replica acknowledged as durable (null when unknown). */
  ackedSeq: number | null;
  /** Entries the replica is behind the primary's durable log (0 for the primary; null when unknown). */
  lagOps: number | null;
  /** Age of the oldest entry the replica has not acknowledged, in milliseconds (null when unknown). */
  lagMs: number | null;
}

/** One shard's replica set. */
export interface ShardReplicationStatus {
  shard: number;
  epoch: number;
  version: number;
  primary: string;
  inSync: string[];
  replicas: ReplicaStatus[];
  /** The primary's last durable seq (null when the primary did not answer). */
  lastSeq: number | null;
  /** Entries kept in the truncated list on the replicas that answered. */
  truncatedEntries: number;
  /** False when the primary's node did not answer: lag figures are then unknown. */
  complete: boolean;
}

/** A truncated entry as listed to operators. */
export interface TruncatedEntryInfo {
  collection: string;
  shard: number;
  node: string;
  id: number;
  seq: number;
  epoch: number;
  truncatedInEpoch: number;
  atMs: number;
  /** The operation, as JSON (vectors as number arrays). */
  op: unknown;
}

/** Per-follower figures of the shards this node leads, for /metrics. */
export interface ReplicaLagSample {
  collection: string;
  shard: number;
  follower: string;
  inSync: boolean;
  lagOps: number;
  lagSeconds: number;
}

/** Per-shard figures of the shards this node leads, for /metrics. */
export interface ShardPrimarySample {
  collection: string;
  shard: number;
  epoch: number;
  inSyncSize: number;
  replicas: number;
}
