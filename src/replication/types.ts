/**
 * The vocabulary of the data-plane replication core: log entries, the controller-committed shard
 * view, write modes, the messages replicas exchange and the requests a primary makes of the
 * controller. Everything is plain data so the runtime can encode it for gRPC and LMDB without the
 * core knowing either. The operation type `Op` is opaque to the core.
 */

/** A node's stable identity, as in the cluster map. */
export type NodeId = string;

/** One operation-log entry: `seq` is assigned by the primary of `epoch`, gap-free from 1. */
export interface ReplicaEntry<Op> {
  readonly seq: number;
  readonly epoch: number;
  readonly op: Op;
}

/** An entry removed from a replica's log by divergence repair; kept and listed, never silently dropped. */
export interface TruncatedEntry<Op> extends ReplicaEntry<Op> {
  /** The epoch of the primary whose log made this entry obsolete. */
  readonly truncatedInEpoch: number;
}

/** The first seq written in an epoch (Kafka's leader-epoch cache entry). */
export interface EpochStart {
  readonly epoch: number;
  readonly startSeq: number;
}

/**
 * One shard's replica set as committed by the controller (a Raft entry). `epoch` rises on every
 * change of primary; `version` rises on every committed change (including in-sync set changes).
 * `inSync` always contains the primary when there is one.
 */
export interface ShardView {
  readonly shard: string;
  readonly epoch: number;
  readonly version: number;
  readonly primary: NodeId | null;
  readonly replicas: readonly NodeId[];
  readonly inSync: readonly NodeId[];
}

/** The three acknowledgement modes of issue 5. */
export type WriteModeName = 'async' | 'sync' | 'semi_sync';

/**
 * How a write is acknowledged. `minAcks` (semi_sync only) counts in-sync followers besides the
 * primary. `timeoutMs` bounds how long the write may stay pending before it fails as timed out.
 */
export interface WriteMode {
  readonly mode: WriteModeName;
  readonly minAcks?: number;
  readonly timeoutMs: number;
}

/** Primary → follower: entries after (prevSeq, prevEpoch); empty entries make a heartbeat. */
export interface AppendMessage<Op> {
  readonly type: 'append';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly shard: string;
  readonly epoch: number;
  readonly prevSeq: number;
  readonly prevEpoch: number;
  readonly entries: readonly ReplicaEntry<Op>[];
  /** Highest seq durable on the primary and every in-sync follower (a high watermark). */
  readonly primaryCommitSeq: number;
}

/**
 * Primary → follower: the primary's log no longer reaches back far enough; install the shard
 * snapshot at `seq` (its data travels beside this message, supplied by the runtime) and take the
 * tail from there. `epochStarts` lets the follower tell which of its own entries the snapshot covers.
 */
export interface SnapshotMessage {
  readonly type: 'snapshot';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly shard: string;
  readonly epoch: number;
  readonly seq: number;
  readonly snapshotEpoch: number;
  readonly epochStarts: readonly EpochStart[];
}

/** Follower → primary: everything up to `durableSeq` is durable here and matches the primary's log. */
export interface AppendAckMessage {
  readonly type: 'appendAck';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly shard: string;
  readonly epoch: number;
  readonly durableSeq: number;
}

/**
 * Follower → primary: the append was refused. `stale_epoch` fences a deposed primary (`epoch` is
 * the follower's newer epoch). `diverged` is the epoch query of the divergence search: the
 * follower's log may match the primary's up to `lastSeq`, whose epoch here is `lastEpoch`; the
 * primary answers with the end of that epoch in its own log (an append at the divergence point,
 * or a snapshot when the answer lies below `baseSeq` or below the primary's retained log).
 */
export interface AppendRejectMessage {
  readonly type: 'appendReject';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly shard: string;
  readonly epoch: number;
  readonly reason: 'stale_epoch' | 'diverged';
  readonly lastSeq: number;
  readonly lastEpoch: number;
  /** Seq of the follower's last installed snapshot; its log cannot be truncated below it. */
  readonly baseSeq: number;
}

/** Every message between replicas of a shard. */
export type ReplicationMessage<Op> = AppendMessage<Op> | SnapshotMessage | AppendAckMessage | AppendRejectMessage;

/** Primary → controller: remove a lagging follower from, or add a caught-up one to, the in-sync set. */
export interface InSyncRequest {
  readonly type: 'shrink_isr' | 'expand_isr';
  readonly shard: string;
  /** The requesting primary; the controller refuses requests from anyone but the view's primary. */
  readonly from: NodeId;
  readonly follower: NodeId;
  /** The requester's epoch; a request from a stale epoch is refused (fencing). */
  readonly epoch: number;
  /**
   * The view version the request was made against. An expand is refused once the view changed
   * (compare-and-set), so the primary knows exactly which expands may still commit.
   */
  readonly viewVersion: number;
}

/** Why a write was refused up front (nothing written) or failed after being logged (outcome unknown). */
export type WriteFailureCode = 'not_primary' | 'no_lease' | 'not_enough_in_sync' | 'overloaded' | 'timed_out';

/** The outcome of a logged write, emitted once per write. */
export type WriteCompletion =
  | { readonly seq: number; readonly ok: true }
  | { readonly seq: number; readonly ok: false; readonly code: WriteFailureCode; readonly message: string };

/** The answer to `propose`: the seq assigned, or a refusal with nothing written. */
export type ProposeResult =
  | { readonly ok: true; readonly seq: number }
  | { readonly ok: false; readonly code: WriteFailureCode; readonly message: string };
