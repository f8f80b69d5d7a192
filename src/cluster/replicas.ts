/**
 * The replication runtime of a node (issue 5): it drives the pure replication core
 * (src/replication) for every shard replica this node holds, with real time, the shard's durable
 * store and gRPC, and it is the controller's failover step when this node leads the metadata group.
 *
 * Per replica:
 * - On the primary, the shard's write path calls the core through a WriteGate: each staged
 *   operation is proposed (the core checks the lease, the in-sync set and the mode), the shard
 *   commits it durably, the core streams it to followers and completes the write when its mode is
 *   met. In-sync changes the core asks for are proposed as metadata commands.
 * - On a follower, messages are stepped one at a time (a per-replica chain): known epoch, then
 *   entries, are made durable before the acknowledgement is sent. Entries are applied to the
 *   shard as they become durable, so follower reads are fresh; an applied entry cannot be undone
 *   in place, so divergence repair keeps the removed entries in the truncated list and then
 *   rebuilds the replica from the primary (full log replay or snapshot stream). Every logged
 *   operation is a blind write of resolved ids, so replaying a suffix over a newer state converges.
 * - Role changes follow the committed shard map (metadata events): a promoted follower becomes
 *   primary over its durable log; a deposed primary fails its pending writes and follows.
 */

import type { Logger } from 'pino';
import { HektorError, errorMessage, type ErrorCode } from '../base/errors.js';
import type { PointId } from '../base/ids.js';
import type { Payload } from '../index/types.js';
import { onNodeDead, type ReplicaReport } from '../replication/controller.js';
import { FollowerReplica } from '../replication/follower.js';
import { DEFAULT_REPLICATION_LIMITS, validateReplicationLimits, type ReplicationLimits } from '../replication/limits.js';
import { ReplicaLog } from '../replication/log.js';
import { PrimaryReplica } from '../replication/primary.js';
import type { ReplicationMessage, ShardView, WriteCompletion, WriteMode } from '../replication/types.js';
import { effectiveWriteConsistency, type Collection } from '../shard/collection.js';
import type { LocalShard, WriteGate, WriteOptions } from '../shard/local-shard.js';
import type { LogEntry, ShardOp } from '../storage/ops.js';
import { unary } from '../transport/grpc.js';
import type { ReplicationBatch, ReplicationBatch__Output } from '../transport/generated/hektor/cluster/v1/ReplicationBatch.js';
import type { ReplicaCallRequest, ReplicaCallRequest__Output } from '../transport/generated/hektor/cluster/v1/ReplicaCallRequest.js';
import type { ReplicaCallReply__Output } from '../transport/generated/hektor/cluster/v1/ReplicaCallReply.js';
import type { ShardSnapshotRequest, ShardSnapshotRequest__Output } from '../transport/generated/hektor/cluster/v1/ShardSnapshotRequest.js';
import type { ShardSnapshotChunk__Output } from '../transport/generated/hektor/cluster/v1/ShardSnapshotChunk.js';
import type { ClusterClient } from '../transport/generated/hektor/cluster/v1/Cluster.js';
import type { ClusterNode, ReplicationService } from './cluster-node.js';
import type { ClusterCollections } from './collections.js';
import { toView, type CollectionMeta, type ShardPlacement } from './metadata.js';
import type { ReplicaLagSample, ReplicaStatus, ShardPrimarySample, ShardReplicationStatus, TruncatedEntryInfo } from './replica-status.js';
import { decodeReplicationMessage, decodeSnapshotPage, encodeReplicationMessage, encodeSnapshotPage } from './replication-codec.js';

/** Settings of the replication runtime. */
export interface ReplicationSettings {
  /** Bounds and timings of the core (follower timeout, heartbeats, pipelining). */
  limits: ReplicationLimits;
  /** How often the runtime ticks every primary (heartbeats, retransmits, deadlines, leases). */
  tickMs: number;
  /** Op bytes of log kept in memory and on disk behind the commit point, for followers to catch up from. */
  logRetentionBytes: number;
  /** Points per snapshot stream page. */
  snapshotPagePoints: number;
  /** How long a replica's node must stay dead before the controller re-creates the replica elsewhere (0: never). */
  rereplicateAfterMs: number;
}

/** The defaults (docs/replication.md). */
export const DEFAULT_REPLICATION_SETTINGS: ReplicationSettings = {
  // Delivery per (node, shard) is ordered and back-pressured (see send), so a message is lost only
  // when its call fails; a slow follower (indexing a large batch) must not be sent copies of
  // entries it is still applying. Retransmit after 3 s, not the core's 300 ms.
  limits: { ...DEFAULT_REPLICATION_LIMITS, retransmitMs: 3000 },
  tickMs: 50,
  logRetentionBytes: 64 * 1024 * 1024,
  snapshotPagePoints: 512,
  rereplicateAfterMs: 60_000,
};

/** Encoded bytes per Replicate call and snapshot page (one message or point always goes). */
const BATCH_BYTES_TARGET = 4 * 1024 * 1024;
/** Encoded bytes queued for one node behind its stream; more are dropped. */
const OUTBOX_BYTES_MAX = 32 * 1024 * 1024;
/** Messages queued behind a busy follower replica (a snapshot install); more are dropped. */
const FOLLOWER_QUEUE_MAX = 64;
/** Deadline of a ReplicaCall (reports, status). */
const CALL_DEADLINE_MS = 2_000;
/** Pause between retries of a failed local write on a replicated primary. */
const STALL_RETRY_MS = 1_000;
/** Pause between requests for a new epoch by a restarted primary. */
const NEW_EPOCH_RETRY_MS = 1_000;
/** How often compaction is considered, in ticks. */
const COMPACT_EVERY_TICKS = 20;

/** The client stream of replication batches to one node. */
type ReplicationStream = ReturnType<ClusterClient['Replicate']>;

/** Batches waiting for one node's stream. */
interface Outbox {
  stream: ReplicationStream | null;
  /** The stream asked the writer to wait for 'drain'. */
  blocked: boolean;
  queue: { batch: ReplicationBatch; bytes: number }[];
  bytes: number;
}

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** One shard replica held by this node. */
class Replica {
  primary: PrimaryReplica<ShardOp> | null = null;
  follower: FollowerReplica<ShardOp> | null = null;
  readonly waiters = new Map<number, Waiter>();
  chain: Promise<void> = Promise.resolve();
  queued = 0;
  closed = false;
  view: ShardView;
  /** The epoch after which this restarted primary asked for a new one (null when not waiting). */
  newEpochAfter: number | null = null;
  newEpochAskedMs = 0;
  /** A local commit failed after its entries may have been streamed: retried until it lands. */
  stalled = false;
  stalledMs = 0;
  retrying = false;
  /** A new primary still has to log its epoch-start no-op. */
  epochMarkPending = false;
  marking = false;
  /** The log's last seq, commit point and replica count when compaction last looked (-1: never). */
  compactedLast = -1;
  compactedCommit = -1;
  compactedReplicas = -1;

  constructor(
    readonly collection: string,
    readonly shard: number,
    readonly incarnation: number,
    readonly local: LocalShard,
    readonly owner: Collection,
    view: ShardView,
  ) {
    this.view = view;
  }

  get key(): string {
    return `${this.collection}/${this.shard}`;
  }

  /** Runs `task` after every earlier task of this replica. */
  enqueue(task: () => Promise<void>, onError: (e: unknown) => void): void {
    this.queued++;
    this.chain = this.chain.then(task).catch(onError).finally(() => {
      this.queued--;
    });
  }
}

/** What a `status` ReplicaCall answers for one local shard. */
interface LocalShardStatus {
  shard: number;
  role: 'primary' | 'follower';
  lastSeq: number;
  epoch: number;
  truncated: number;
  lag: { follower: string; inSync: boolean; ackedSeq: number; lagOps: number; lagMs: number }[] | null;
}

/** The replication runtime of this node. */
export class ReplicaManager implements ReplicationService {
  /** Promotions this node committed as controller. */
  failovers = 0;
  private readonly cluster: ClusterNode;
  private readonly collections: ClusterCollections;
  private readonly logger: Logger;
  private readonly settings: ReplicationSettings;
  private readonly replicas = new Map<string, Replica>();
  private readonly outboxes = new Map<string, Outbox>();
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private reconciling = false;
  private reconcileAgain = false;
  private stopped = false;
  private reapply: ((collection: string, op: ShardOp) => Promise<void>) | undefined;
  /** Controller only: when each member was first seen dead (performance.now). */
  private readonly deadSince = new Map<string, number>();
  /** Replicas this node created by re-replication as controller. */
  rereplications = 0;

  /** Creates the runtime and installs its RPC handlers and controller step on the cluster node. */
  constructor(cluster: ClusterNode, collections: ClusterCollections, logger: Logger, settings: ReplicationSettings = DEFAULT_REPLICATION_SETTINGS) {
    validateReplicationLimits(settings.limits);
    this.cluster = cluster;
    this.collections = collections;
    this.logger = logger.child({ component: 'replication' });
    this.settings = settings;
    cluster.onReplication(this);
    cluster.onControllerStep(() => this.controllerStep());
    cluster.metadata.onEvent(() => this.scheduleReconcile());
  }

  /** Starts the tick timer and brings every local replica in line with the shard map. */
  start(): void {
    this.timer = setInterval(() => this.tick(), this.settings.tickMs);
    this.scheduleReconcile();
  }

  /** Installs how truncated entries are written again (through the point router). */
  onReapply(reapply: (collection: string, op: ShardOp) => Promise<void>): void {
    this.reapply = reapply;
  }

  /** Stops the timer and fails pending replicated writes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const out of this.outboxes.values()) out.stream?.end();
    this.outboxes.clear();
    for (const r of this.replicas.values()) this.retire(r);
    await Promise.all([...this.replicas.values()].map((r) => r.chain));
    this.replicas.clear();
  }

  // ------------------------------------------------------------------ shard map → roles

  private scheduleReconcile(): void {
    if (this.stopped) return;
    if (this.reconciling) {
      this.reconcileAgain = true;
      return;
    }
    this.reconciling = true;
    void (async () => {
      try {
        do {
          this.reconcileAgain = false;
          await this.collections.settled();
          this.reconcile();
        } while (this.moreToReconcile());
      } catch (e: unknown) {
        this.logger.error({ err: e }, 'reconciling replicas with the shard map failed');
      } finally {
        this.reconciling = false;
      }
    })();
  }

  /** True when the shard map changed while reconciling (read through a method: it changes across awaits). */
  private moreToReconcile(): boolean {
    return this.reconcileAgain && !this.stopped;
  }

  /** Creates, updates and retires local replicas to match the committed shard map. */
  private reconcile(): void {
    const state = this.cluster.metadata.current;
    const seen = new Set<string>();
    for (const meta of Object.values(state.collections)) {
      const local = this.collections.localIfAny(meta.config.name);
      if (local === undefined || (local.config.raft_index ?? 0) !== (meta.config.raft_index ?? 0)) continue;
      for (const placement of meta.shards) {
        if (!placement.replicas.includes(this.cluster.id)) continue;
        const shard = local.shard(placement.shard);
        if (shard === undefined) continue;
        const key = `${meta.config.name}/${placement.shard}`;
        seen.add(key);
        let r = this.replicas.get(key);
        if (r !== undefined && (r.incarnation !== (meta.config.raft_index ?? 0) || r.local !== shard)) {
          this.retire(r);
          r = undefined;
        }
        const view = toView(meta.config.name, placement);
        if (r === undefined) {
          r = new Replica(meta.config.name, placement.shard, meta.config.raft_index ?? 0, shard, local, view);
          this.replicas.set(key, r);
          const created = r;
          r.enqueue(() => this.applyView(created, view, true), (e) => this.replicaError(created, e));
        } else if (view.version !== r.view.version || view.epoch !== r.view.epoch) {
          const existing = r;
          r.enqueue(() => this.applyView(existing, view, false), (e) => this.replicaError(existing, e));
        }
      }
    }
    for (const [key, r] of this.replicas) {
      if (!seen.has(key)) {
        this.retire(r);
        this.replicas.delete(key);
      }
    }
  }

  private retire(r: Replica): void {
    r.closed = true;
    this.failWaiters(r, 'not_primary', `the replica of ${r.key} on ${this.cluster.id} was closed; the write's outcome is unknown`);
    r.local.setWriteGate(null); // refused: the catalog opened the shard gated
  }

  private replicaError(r: Replica, e: unknown): void {
    if (!r.closed) this.logger.error({ err: e, shard: r.key }, 'replica step failed');
  }

  /** Takes the role the view gives this node (runs on the replica's chain). */
  private async applyView(r: Replica, view: ShardView, fresh: boolean): Promise<void> {
    if (r.closed) return;
    r.view = view;
    const now = performance.now();
    if (r.newEpochAfter !== null && view.epoch > r.newEpochAfter) r.newEpochAfter = null;
    if (view.primary === this.cluster.id) {
      if (r.primary !== null && r.primary.active && r.primary.currentView.epoch === view.epoch) {
        r.primary.updateView(view, now);
        this.flushPrimary(r);
        return;
      }
      const replicated = view.replicas.length > 1;
      if (replicated && r.local.primaryEpoch === view.epoch) {
        // This replica already acted as primary in this epoch (before a restart) and streamed
        // entries before they were durable: some may sit on followers though lost here. Writing
        // new entries at those seqs in the same epoch would break log matching: take a new epoch.
        r.primary = null;
        r.local.setWriteGate(refusingGate(r, `the primary of ${r.key} restarted and is taking a new epoch; retry`));
        r.newEpochAfter = view.epoch;
        this.askNewEpoch(r, now);
        return;
      }
      await r.local.setKnownEpoch(view.epoch);
      if (replicated) await r.local.setPrimaryEpoch(view.epoch);
      const log = r.follower?.log ?? (await this.rebuildLog(r.local));
      r.follower = null;
      if (log.lastEpoch > view.epoch) throw new Error(`${r.key}: local log is at epoch ${log.lastEpoch}, newer than the view's ${view.epoch}`);
      // Replicated primaries stream while they persist (docs/replication.md, "The runtime").
      r.primary = new PrimaryReplica<ShardOp>(this.cluster.id, log, view, this.settings.limits, opBytes, now, {}, { streamBeforeDurable: replicated });
      r.stalled = false;
      this.renewLease(r);
      r.local.setWriteGate(this.primaryGate(r));
      this.logger.info({ shard: r.key, epoch: view.epoch, lastSeq: log.lastSeq, fresh }, 'acting as shard primary');
      if (replicated) {
        r.epochMarkPending = true;
        this.markEpoch(r);
      }
      return;
    }
    if (r.primary !== null) {
      r.primary.updateView(view, now);
      this.flushPrimary(r);
      this.failWaiters(r, 'not_primary', `${this.cluster.id} is no longer primary of ${r.key}; the write's outcome is unknown`);
      r.primary = null;
      this.logger.info({ shard: r.key, epoch: view.epoch, primary: view.primary }, 'no longer shard primary; following');
    }
    r.local.setWriteGate(refusingGate(r, `this node is not the primary of ${r.key} (${view.primary ?? 'none'} is, epoch ${view.epoch}); retry`));
    if (r.follower === null) r.follower = new FollowerReplica<ShardOp>(this.cluster.id, view.shard, await this.rebuildLog(r.local), r.local.knownEpoch);
    const out = r.follower.observeEpoch(view.epoch);
    if (out.persist !== null) await r.local.setKnownEpoch(out.persist.knownEpoch);
  }

  /** The in-memory log image of a replica, read back from its durable store once no write is in flight. */
  private async rebuildLog(local: LocalShard): Promise<ReplicaLog<ShardOp>> {
    let log: ReplicaLog<ShardOp> | undefined;
    await local.runExclusive(async () => {
      log = logOfStore(local);
    });
    if (log === undefined) throw new Error('log rebuild did not run');
    return log;
  }

  // ------------------------------------------------------------------ primary side

  private primaryGate(r: Replica): WriteGate {
    return {
      get epoch() {
        return r.view.epoch;
      },
      propose: (op: ShardOp, seq: number, options: WriteOptions): Promise<void> => {
        const core = r.primary;
        if (core === null || r.closed) throw new HektorError('not_primary', `${this.cluster.id} is not the primary of ${r.key}; retry`);
        if (r.stalled) throw new HektorError('storage_error', `the primary of ${r.key} cannot write locally (is its disk full?) and is retrying an earlier write; nothing was written`);
        this.renewLease(r);
        const result = core.propose(op, this.writeMode(r, options), performance.now());
        if (!result.ok) throw new HektorError(refusalCode(result.code), `${r.key}: ${result.message}`);
        if (result.seq !== seq) {
          this.logger.error({ shard: r.key, core: result.seq, store: seq }, 'replication core and shard store disagree on seq');
          throw new HektorError('internal', `${r.key}: replication log at ${result.seq - 1}, store at ${seq - 1}`);
        }
        return new Promise<void>((resolve, reject) => r.waiters.set(seq, { resolve, reject }));
      },
      staged: (): void => {
        r.primary?.streamPending(performance.now());
        this.flushPrimary(r);
      },
      persisted: (seq: number): void => {
        r.primary?.persisted(seq, performance.now());
        this.flushPrimary(r);
      },
      commitFailed: (error: unknown): unknown => {
        if (r.view.replicas.length > 1) {
          // The entries may already be on followers: their seqs must never carry anything else.
          // Keep them in the core's log and retry the local write until it lands (tick).
          r.stalled = true;
          r.stalledMs = performance.now();
          this.logger.error({ err: error, shard: r.key }, 'primary failed to write locally; retrying, new writes are refused meanwhile');
          return new HektorError('write_timeout', `the primary of ${r.key} could not write this locally (${errorMessage(error)}); it may already be on followers and is being retried, so its outcome is unknown`);
        }
        // A single replica streamed nothing: drop the failed entries from the core's log. The
        // shard's writer is inside this commit, so the store's log can be read directly.
        if (r.primary !== null) r.primary = new PrimaryReplica<ShardOp>(this.cluster.id, logOfStore(r.local), r.view, this.settings.limits, opBytes, performance.now());
        this.renewLease(r);
        return error;
      },
    };
  }

  private writeMode(r: Replica, options: WriteOptions): WriteMode {
    const configured = effectiveWriteConsistency(r.owner.config);
    const mode = options.consistency ?? configured.mode;
    return { mode, minAcks: configured.min_acks, timeoutMs: configured.timeout_ms };
  }

  /**
   * A single-replica shard has no one to fail over to, so its primary never needs the lease;
   * others hold the cluster node's lease (contact with the controller).
   */
  private renewLease(r: Replica): void {
    if (r.primary === null) return;
    r.primary.renewLease(r.view.replicas.length <= 1 ? Number.MAX_SAFE_INTEGER : this.cluster.leaseUntilMs());
  }

  /** Carries out everything the primary core asked for. */
  private flushPrimary(r: Replica): void {
    const core = r.primary;
    if (core === null) return;
    const out = core.takeOutput();
    // out.entries are persisted by the shard's own write path, which reports `persisted`.
    this.send(r, out.messages);
    for (const request of out.controllerRequests) {
      this.cluster.propose({ type: 'in_sync_change', collection: r.collection, shard: r.shard, request }).catch((e: unknown) => {
        this.logger.debug({ err: e, shard: r.key, request: request.type, follower: request.follower }, 'in-sync change not committed');
      });
      this.logger.info({ shard: r.key, request: request.type, follower: request.follower }, 'asking the controller to change the in-sync set');
    }
    for (const c of out.completions) this.complete(r, c);
  }

  private complete(r: Replica, c: WriteCompletion): void {
    const waiter = r.waiters.get(c.seq);
    if (waiter === undefined) return;
    r.waiters.delete(c.seq);
    if (c.ok) {
      waiter.resolve();
      return;
    }
    const code: ErrorCode = c.code === 'not_primary' ? 'not_primary' : 'write_timeout';
    waiter.reject(new HektorError(code, `${r.key}: ${c.message}`));
  }

  private failWaiters(r: Replica, code: ErrorCode, message: string): void {
    for (const w of r.waiters.values()) w.reject(new HektorError(code, message));
    r.waiters.clear();
  }

  private tick(): void {
    this.ticks++;
    const now = performance.now();
    const compact = this.ticks % COMPACT_EVERY_TICKS === 0;
    for (const r of this.replicas.values()) {
      if (r.closed) continue;
      if (r.primary !== null) {
        this.renewLease(r);
        r.primary.tick(now);
        this.flushPrimary(r);
        if (r.stalled && !r.retrying && now - r.stalledMs >= STALL_RETRY_MS) this.retryStalled(r);
        if (r.epochMarkPending) this.markEpoch(r);
      }
      if (r.newEpochAfter !== null && r.view.epoch === r.newEpochAfter && now - r.newEpochAskedMs >= NEW_EPOCH_RETRY_MS) this.askNewEpoch(r, now);
      if (compact) this.compact(r);
    }
  }

  /** Writes the entries a failed local commit left only in the core's log, then resumes. */
  private retryStalled(r: Replica): void {
    const core = r.primary;
    if (core === null) return;
    r.retrying = true;
    const entries: LogEntry[] = [];
    for (let seq = r.local.lastSeq + 1; seq <= core.log.lastSeq; seq++) {
      const entry = core.log.entry(seq);
      if (entry !== undefined) entries.push({ seq: entry.seq, epoch: entry.epoch, op: entry.op });
    }
    r.local.applyReplicated(entries).then(
      () => {
        r.stalled = false;
        this.logger.info({ shard: r.key, entries: entries.length }, 'primary wrote the retried entries; accepting writes again');
        if (r.primary === core) {
          core.persisted(r.local.lastSeq, performance.now());
          this.flushPrimary(r);
        }
      },
      (e: unknown) => this.logger.warn({ err: e, shard: r.key }, 'primary still cannot write locally'),
    ).finally(() => {
      r.retrying = false;
      r.stalledMs = performance.now();
    });
  }

  /**
   * Logs the no-op that starts a new primary's epoch (async: it only has to reach the log), so
   * followers holding entries this primary lacks truncate them at once. Retried on tick until it
   * lands (the lease may not be granted yet).
   */
  private markEpoch(r: Replica): void {
    if (r.marking || !r.epochMarkPending || r.primary === null) return;
    r.marking = true;
    const core = r.primary;
    r.local.write({ type: 'noop' }, { consistency: 'async' }).then(
      () => {
        if (r.primary === core) r.epochMarkPending = false;
      },
      () => undefined,
    ).finally(() => {
      r.marking = false;
    });
  }

  private askNewEpoch(r: Replica, now: number): void {
    const after = r.newEpochAfter;
    if (after === null) return;
    r.newEpochAskedMs = now;
    this.logger.info({ shard: r.key, epoch: after }, 'restarted primary asks for a new epoch');
    this.cluster.propose({ type: 'new_primary_epoch', collection: r.collection, shard: r.shard, epoch: after, node: this.cluster.id }).catch((e: unknown) => {
      this.logger.warn({ err: e, shard: r.key }, 'new epoch not committed yet');
    });
  }

  /**
   * Drops log entries that every in-sync replica holds durably and that are further back than the
   * retention budget, from memory and from the store. A shard with no other replica keeps none
   * behind its commit point: no follower can need them, and a replica added later starts from a
   * snapshot, as one that fell behind the budget does. (Kept, they held up to the whole budget of
   * vectors in memory per shard: 64 MiB, a fifth of a node loaded with 100k 128-d points.)
   */
  private compact(r: Replica): void {
    const log = r.primary?.log ?? r.follower?.log;
    if (log === undefined) return;
    const commit = r.primary?.commitSeqValue ?? r.follower?.commitSeq ?? 0;
    const replicas = r.view.replicas.length;
    // The walk below costs time in proportion to the retained log (a 100k-point load is ≈ 200
    // entries of 500 points): nothing changes unless the log grew, committed or lost a replica.
    if (log.lastSeq === r.compactedLast && commit === r.compactedCommit && replicas === r.compactedReplicas) return;
    r.compactedLast = log.lastSeq;
    r.compactedCommit = commit;
    r.compactedReplicas = replicas;
    const retentionBytes = replicas <= 1 ? 0 : this.settings.logRetentionBytes;
    let bytes = 0;
    let keepFrom = log.lastSeq + 1;
    while (keepFrom - 1 > log.baseSeq) {
      const entry = log.entry(keepFrom - 1);
      if (entry === undefined) break;
      bytes += opBytes(entry.op);
      if (bytes > retentionBytes) break;
      keepFrom--;
    }
    const through = Math.min(commit, keepFrom - 1);
    if (through <= log.baseSeq) return;
    let compacted: number;
    if (r.primary !== null) compacted = r.primary.compactThrough(through);
    else {
      log.compactThrough(through);
      compacted = log.baseSeq;
    }
    r.enqueue(() => r.local.compactLog(compacted + 1), (e) => this.replicaError(r, e));
  }

  // ------------------------------------------------------------------ transport

  /**
   * Queues messages for their nodes. Each destination node has one long-lived client stream
   * (Cluster.Replicate): messages arrive in the order they were sent (a heartbeat cannot overtake
   * the entries before it), cost no per-call setup, and a slow link or node back-pressures the
   * stream instead of receiving ever more copies. A full queue drops messages, and a broken stream
   * loses what it carried; the core retransmits from what the follower acknowledged.
   */
  private send(r: Replica, messages: readonly ReplicationMessage<ShardOp>[]): void {
    const byNode = new Map<string, Buffer[]>();
    for (const message of messages) {
      const list = byNode.get(message.to);
      const encoded = encodeReplicationMessage(message);
      if (list === undefined) byNode.set(message.to, [encoded]);
      else list.push(encoded);
    }
    for (const [to, encoded] of byNode) {
      const out = this.outbox(to);
      // Cut into batches of about BATCH_BYTES_TARGET encoded bytes (one message always goes).
      let batch: Buffer[] = [];
      let bytes = 0;
      const enqueue = (): void => {
        if (out.queue.length > 0 && out.bytes + bytes > OUTBOX_BYTES_MAX) return; // dropped: retransmitted later
        out.queue.push({ batch: { from: this.cluster.id, collection: r.collection, incarnation: r.incarnation, shard: r.shard, messages: batch }, bytes });
        out.bytes += bytes;
      };
      for (const m of encoded) {
        if (batch.length > 0 && bytes + m.byteLength > BATCH_BYTES_TARGET) {
          enqueue();
          batch = [];
          bytes = 0;
        }
        batch.push(m);
        bytes += m.byteLength;
      }
      if (batch.length > 0) enqueue();
      this.pump(to, out);
    }
  }

  private outbox(to: string): Outbox {
    let out = this.outboxes.get(to);
    if (out === undefined) {
      out = { stream: null, blocked: false, queue: [], bytes: 0 };
      this.outboxes.set(to, out);
    }
    return out;
  }

  /** Writes queued batches into the node's stream while it accepts them. */
  private pump(to: string, out: Outbox): void {
    if (this.stopped) return;
    while (!out.blocked && out.queue.length > 0) {
      const stream = out.stream ?? this.openStream(to, out);
      if (stream === null) {
        out.queue = [];
        out.bytes = 0;
        return;
      }
      const next = out.queue.shift();
      if (next === undefined) return;
      out.bytes -= next.bytes;
      if (!stream.write(next.batch)) {
        out.blocked = true;
        stream.once('drain', () => {
          out.blocked = false;
          this.pump(to, out);
        });
      }
    }
  }

  private openStream(to: string, out: Outbox): ReplicationStream | null {
    let client: ClusterClient;
    try {
      client = this.cluster.peerClient(to);
    } catch {
      return null;
    }
    // The call ends (callback, 'status') when the peer goes away or restarts; the next send opens
    // a new stream.
    let stream: ReplicationStream | null = null;
    const drop = (): void => {
      if (stream === null || out.stream !== stream) return;
      out.stream = null;
      out.blocked = false;
    };
    stream = client.Replicate((error) => {
      drop();
      if (error !== null) this.logger.debug({ err: error, to }, 'replication stream closed');
    });
    stream.on('error', drop);
    stream.on('status', drop);
    stream.on('close', drop);
    out.stream = stream;
    return stream;
  }

  /** Handles a batch of replication messages from a peer. */
  replicate(batch: ReplicationBatch__Output): void {
    const r = this.replicas.get(`${batch.collection}/${batch.shard}`);
    if (r === undefined || r.closed || r.incarnation !== batch.incarnation) return;
    for (const raw of batch.messages) {
      let message: ReplicationMessage<ShardOp>;
      try {
        message = decodeReplicationMessage(raw);
      } catch (e: unknown) {
        this.logger.warn({ err: e, from: batch.from }, 'dropping a malformed replication message');
        continue;
      }
      if (message.from !== batch.from || message.to !== this.cluster.id) continue;
      if (message.type === 'appendAck' || message.type === 'appendReject') {
        if (r.primary !== null) {
          r.primary.step(message, performance.now());
          this.flushPrimary(r);
        }
        continue;
      }
      if (r.primary !== null) {
        // An append from a newer epoch tells a stale primary it was replaced.
        r.primary.step(message, performance.now());
        this.flushPrimary(r);
        continue;
      }
      if (r.queued >= FOLLOWER_QUEUE_MAX) continue; // busy (a snapshot): the primary retransmits
      r.enqueue(() => this.stepFollower(r, message), (e) => this.replicaError(r, e));
    }
  }

  /** Steps one message on a follower: persist, then acknowledge (runs on the replica's chain). */
  private async stepFollower(r: Replica, message: ReplicationMessage<ShardOp>): Promise<void> {
    const follower = r.follower;
    if (follower === null || r.closed) return;
    const out = follower.step(message);
    const persist = out.persist;
    if (persist !== null) {
      if (persist.knownEpoch > r.local.knownEpoch) await r.local.setKnownEpoch(persist.knownEpoch);
      if (persist.truncated.length > 0) {
        await r.local.durable.recordTruncated(
          persist.truncated.map((t) => ({ entry: { seq: t.seq, epoch: t.epoch, op: t.op }, truncatedInEpoch: t.truncatedInEpoch })),
          Date.now(),
        );
        this.logger.warn({ shard: r.key, entries: persist.truncated.length, firstSeq: persist.truncated[0]?.seq }, 'entries truncated by divergence repair; kept in the truncated list');
      }
      if (persist.snapshot !== null && message.type === 'snapshot') {
        await this.installSnapshot(r, message.from, message.epoch, persist.snapshot.seq, persist.snapshot.epoch);
      } else if (persist.truncated.length > 0) {
        // Applied entries cannot be undone in place: start over empty and let the primary
        // rebuild this replica (log replay or snapshot). No acknowledgement is sent.
        await r.local.resetTo(0, 0);
        r.follower = new FollowerReplica<ShardOp>(this.cluster.id, r.view.shard, new ReplicaLog<ShardOp>(), r.local.knownEpoch);
        return;
      }
      if (persist.entries.length > 0) await r.local.applyReplicated(persist.entries.map((e) => ({ seq: e.seq, epoch: e.epoch, op: e.op })));
    }
    this.send(r, out.messages);
  }

  /** Replaces the replica's contents by the primary's points, then bases its log at (seq, epoch). */
  private async installSnapshot(r: Replica, from: string, epoch: number, seq: number, seqEpoch: number): Promise<void> {
    const started = performance.now();
    await r.local.resetTo(0, 0);
    let points = 0;
    try {
      const client = this.cluster.peerClient(from);
      const request: ShardSnapshotRequest = { from: this.cluster.id, collection: r.collection, incarnation: r.incarnation, shard: r.shard, epoch };
      const stream = client.ShardSnapshot(request);
      for await (const chunk of stream as AsyncIterable<ShardSnapshotChunk__Output>) {
        const page = decodeSnapshotPage(chunk.points);
        await r.local.installSnapshotPoints(page);
        points += page.length;
      }
      await r.local.rebase(seq, seqEpoch);
    } catch (e: unknown) {
      // Partial: stay empty at base 0; the primary sends the snapshot again.
      await r.local.resetTo(0, 0);
      r.follower = new FollowerReplica<ShardOp>(this.cluster.id, r.view.shard, new ReplicaLog<ShardOp>(), r.local.knownEpoch);
      throw new Error(`snapshot of ${r.key} from ${from} failed after ${points} points: ${errorMessage(e)}`);
    }
    this.logger.info({ shard: r.key, from, points, seq, ms: Math.round(performance.now() - started) }, 'installed shard snapshot');
  }

  /** Streams this primary's points to a follower catching up. */
  async snapshot(request: ShardSnapshotRequest__Output, write: (chunk: Buffer) => Promise<void>): Promise<void> {
    const r = this.replicas.get(`${request.collection}/${request.shard}`);
    if (r === undefined || r.incarnation !== request.incarnation || r.primary === null || r.view.epoch !== request.epoch) {
      throw new HektorError('not_primary', `${this.cluster.id} is not the primary of ${request.collection}/${request.shard} at epoch ${request.epoch}`);
    }
    let after: PointId | undefined;
    for (;;) {
      const page = r.local.snapshotPage(after, this.settings.snapshotPagePoints, BATCH_BYTES_TARGET);
      if (page.points.length === 0) return;
      await write(encodeSnapshotPage(page.points));
      after = page.last;
      if (r.closed) throw new HektorError('shard_unavailable', `${r.key} closed during the snapshot`);
    }
  }

  // ------------------------------------------------------------------ questions about replicas

  /** Answers a ReplicaCall about local replicas. */
  async replicaCall(request: ReplicaCallRequest__Output): Promise<Buffer> {
    const body = request.body.byteLength === 0 ? {} : (JSON.parse(request.body.toString('utf8')) as { ids?: number[] });
    switch (request.op) {
      case 'report': {
        const r = this.replicaOrThrow(request.collection, request.shard, request.incarnation);
        const report: { durableSeq: number; epoch: number } = { durableSeq: r.local.lastSeq, epoch: r.local.lastEpoch };
        return Buffer.from(JSON.stringify(report));
      }
      case 'status':
        return Buffer.from(JSON.stringify(this.localStatus(request.collection)));
      case 'truncated_list':
        return Buffer.from(JSON.stringify(this.localTruncated(request.collection)));
      case 'truncated_drop': {
        const r = this.replicaOrThrow(request.collection, request.shard, request.incarnation);
        const removed = await r.local.durable.dropTruncated(body.ids ?? []);
        return Buffer.from(JSON.stringify({ removed }));
      }
      default:
        throw new HektorError('invalid_request', `unknown replica call "${request.op}"`);
    }
  }

  private replicaOrThrow(collection: string, shard: number, incarnation: number): Replica {
    const r = this.replicas.get(`${collection}/${shard}`);
    if (r === undefined || r.incarnation !== incarnation) throw new HektorError('shard_unavailable', `${this.cluster.id} holds no replica of ${collection}/${shard}`);
    return r;
  }

  private localStatus(collection: string): LocalShardStatus[] {
    const now = performance.now();
    const out: LocalShardStatus[] = [];
    for (const r of this.replicas.values()) {
      if (r.collection !== collection || r.closed) continue;
      out.push({
        shard: r.shard,
        role: r.primary !== null ? 'primary' : 'follower',
        lastSeq: r.local.lastSeq,
        epoch: r.view.epoch,
        truncated: r.local.durable.listTruncated().length,
        lag: r.primary === null ? null : r.primary.lag(now),
      });
    }
    return out;
  }

  private localTruncated(collection: string): TruncatedEntryInfo[] {
    const out: TruncatedEntryInfo[] = [];
    for (const r of this.replicas.values()) {
      if (r.collection !== collection) continue;
      for (const t of r.local.durable.listTruncated()) {
        out.push({
          collection, shard: r.shard, node: this.cluster.id, id: t.id, seq: t.entry.seq, epoch: t.entry.epoch,
          truncatedInEpoch: t.truncatedInEpoch, atMs: t.atMs, op: opToJson(t.entry.op),
        });
      }
    }
    return out;
  }

  private async ask<T>(node: string, request: Omit<ReplicaCallRequest, 'from'>): Promise<T> {
    const full: ReplicaCallRequest = { ...request, from: this.cluster.id };
    if (node === this.cluster.id) return JSON.parse((await this.replicaCall(full as ReplicaCallRequest__Output)).toString('utf8')) as T;
    const client = this.cluster.peerClient(node);
    const reply = await unary<ReplicaCallRequest, ReplicaCallReply__Output>((r, md, o, cb) => client.ReplicaCall(r, md, o, cb), full, CALL_DEADLINE_MS);
    if (!reply.ok) throw new HektorError('shard_unavailable', `${node}: ${reply.error}`);
    return JSON.parse(reply.result.toString('utf8')) as T;
  }

  /** Replica sets of every shard of a collection, with lag as each shard's primary reports it. */
  async collectionStatus(name: string): Promise<ShardReplicationStatus[]> {
    const meta = this.collections.meta(name);
    const incarnation = meta.config.raft_index ?? 0;
    const nodes = [...new Set(meta.shards.flatMap((s) => s.replicas))];
    const answers = new Map<string, LocalShardStatus[]>();
    await Promise.all(nodes.map(async (node) => {
      try {
        answers.set(node, await this.ask<LocalShardStatus[]>(node, { collection: name, incarnation, shard: 0, op: 'status', body: Buffer.alloc(0) }));
      } catch {
        // unknown: reported as incomplete
      }
    }));
    return meta.shards.map((p) => this.shardStatus(p, answers));
  }

  private shardStatus(p: ShardPlacement, answers: Map<string, LocalShardStatus[]>): ShardReplicationStatus {
    const fromPrimary = answers.get(p.primary)?.find((s) => s.shard === p.shard && s.role === 'primary');
    let truncated = 0;
    for (const node of p.replicas) truncated += answers.get(node)?.find((s) => s.shard === p.shard)?.truncated ?? 0;
    const replicas: ReplicaStatus[] = p.replicas.map((node) => {
      const dead = this.cluster.memberState(node) === 'dead';
      const inSync = p.inSync.includes(node);
      if (node === p.primary) {
        return { node, role: 'primary', state: dead ? 'dead' : 'active', inSync, ackedSeq: fromPrimary?.lastSeq ?? null, lagOps: fromPrimary === undefined ? null : 0, lagMs: fromPrimary === undefined ? null : 0 };
      }
      const lag = fromPrimary?.lag?.find((l) => l.follower === node);
      return {
        node, role: 'follower', state: dead ? 'dead' : inSync ? 'active' : 'catching_up', inSync,
        ackedSeq: lag?.ackedSeq ?? null, lagOps: lag?.lagOps ?? null, lagMs: lag === undefined ? null : Math.round(lag.lagMs),
      };
    });
    return {
      shard: p.shard, epoch: p.epoch, version: p.version, primary: p.primary, inSync: [...p.inSync], replicas,
      lastSeq: fromPrimary?.lastSeq ?? null, truncatedEntries: truncated, complete: fromPrimary !== undefined,
    };
  }

  /** Truncated entries kept on every node holding a replica of the collection. */
  async listTruncated(name: string): Promise<TruncatedEntryInfo[]> {
    const meta = this.collections.meta(name);
    const nodes = [...new Set(meta.shards.flatMap((s) => s.replicas))].sort();
    const parts = await Promise.all(nodes.map((node) => this.ask<TruncatedEntryInfo[]>(node, {
      collection: name, incarnation: meta.config.raft_index ?? 0, shard: 0, op: 'truncated_list', body: Buffer.alloc(0),
    })));
    return parts.flat().sort((a, b) => a.shard - b.shard || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0) || a.id - b.id);
  }

  /**
   * Resolves truncated entries of one replica: `reapply` writes their operations again through
   * the shard's current primary (as new writes, in their original order), then removes them;
   * `drop` removes them.
   */
  async resolveTruncated(name: string, shard: number, node: string, ids: readonly number[], action: 'reapply' | 'drop'): Promise<{ resolved: number }> {
    const meta = this.collections.meta(name);
    const placement = meta.shards[shard];
    if (placement === undefined) throw new HektorError('invalid_request', `collection "${name}" has no shard ${shard}`);
    if (!placement.replicas.includes(node)) throw new HektorError('invalid_request', `node "${node}" holds no replica of shard ${shard} of "${name}"`);
    const incarnation = meta.config.raft_index ?? 0;
    const listed = (await this.listTruncated(name)).filter((t) => t.shard === shard && t.node === node);
    const wanted = new Set(ids);
    const chosen = listed.filter((t) => wanted.has(t.id));
    const missing = ids.filter((id) => !chosen.some((t) => t.id === id));
    if (missing.length > 0) throw new HektorError('invalid_request', `no truncated entries with ids ${missing.join(', ')} on ${node} for shard ${shard}; list them with GET /collections/${name}/truncated`);
    if (action === 'reapply') {
      const reapply = this.reapply;
      if (reapply === undefined) throw new HektorError('internal', 'reapplying truncated entries is not wired');
      for (const t of chosen.sort((a, b) => a.seq - b.seq)) await reapply(name, opFromJson(t.op));
    }
    const result = await this.ask<{ removed: number }>(node, {
      collection: name, incarnation, shard, op: 'truncated_drop', body: Buffer.from(JSON.stringify({ ids: chosen.map((t) => t.id) })),
    });
    return { resolved: result.removed };
  }

  // ------------------------------------------------------------------ metrics

  /** Per-follower lag of the shards this node is primary of. */
  lagSamples(): ReplicaLagSample[] {
    const now = performance.now();
    const out: ReplicaLagSample[] = [];
    for (const r of this.replicas.values()) {
      if (r.primary === null) continue;
      for (const l of r.primary.lag(now)) {
        out.push({ collection: r.collection, shard: r.shard, follower: l.follower, inSync: l.inSync, lagOps: l.lagOps, lagSeconds: l.lagMs / 1000 });
      }
    }
    return out;
  }

  /** Per-shard figures of the shards this node is primary of. */
  primarySamples(): ShardPrimarySample[] {
    const out: ShardPrimarySample[] = [];
    for (const r of this.replicas.values()) {
      if (r.primary === null) continue;
      out.push({ collection: r.collection, shard: r.shard, epoch: r.view.epoch, inSyncSize: r.view.inSync.length, replicas: r.view.replicas.length });
    }
    return out;
  }

  // ------------------------------------------------------------------ controller

  /**
   * The controller's failover step (on the Raft leader, every health round): for each shard whose
   * primary's node is dead, ask the live in-sync replicas for their durable log position and
   * promote the best one under a raised epoch (src/replication/controller.ts decides).
   */
  private async controllerStep(): Promise<void> {
    const state = this.cluster.metadata.current;
    const now = performance.now();
    for (const m of Object.values(state.members)) {
      if (m.state !== 'dead') this.deadSince.delete(m.id);
      else if (!this.deadSince.has(m.id)) this.deadSince.set(m.id, now);
    }
    for (const id of this.deadSince.keys()) if (state.members[id] === undefined) this.deadSince.delete(id);
    const work: Promise<void>[] = [this.rereplicate(now)];
    for (const meta of Object.values(state.collections)) {
      for (const p of meta.shards) {
        if (p.replicas.length < 2) continue;
        const primaryState = state.members[p.primary]?.state;
        if (primaryState !== 'dead' && primaryState !== undefined) continue;
        // The metadata's health can lag (or be left over from an earlier leader): fail over only
        // a node this controller itself has not heard from for the failure timeout.
        if (this.cluster.silentMs(p.primary) < this.cluster.failureTimeoutMs) continue;
        work.push(this.failover(meta, p));
      }
    }
    await Promise.all(work);
  }

  /**
   * Re-replication: a follower whose node has been dead for `rereplicateAfterMs` (as this
   * controller observed it) is replaced by a new replica on the live node holding the fewest
   * replicas. One change per shard per round; the new replica catches up and joins the in-sync
   * set through its primary.
   */
  private async rereplicate(now: number): Promise<void> {
    const after = this.settings.rereplicateAfterMs;
    if (after <= 0) return;
    const state = this.cluster.metadata.current;
    const longDead = new Set([...this.deadSince].filter(([, since]) => now - since >= after).map(([id]) => id));
    if (longDead.size === 0) return;
    const load = new Map<string, number>();
    for (const m of Object.values(state.members)) if (m.state === 'alive') load.set(m.id, 0);
    for (const meta of Object.values(state.collections)) {
      for (const p of meta.shards) for (const n of p.replicas) if (load.has(n)) load.set(n, (load.get(n) ?? 0) + 1);
    }
    for (const meta of Object.values(state.collections)) {
      for (const p of meta.shards) {
        const dead = p.replicas.find((n) => longDead.has(n) && n !== p.primary);
        if (dead === undefined) continue;
        const candidates = [...load].filter(([n]) => !p.replicas.includes(n)).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
        const target = candidates[0]?.[0];
        if (target === undefined) continue;
        try {
          await this.cluster.propose({ type: 'replace_replica', collection: meta.config.name, shard: p.shard, version: p.version, remove: dead, add: target });
          load.set(target, (load.get(target) ?? 0) + 1);
          this.rereplications++;
          this.logger.warn({ shard: `${meta.config.name}/${p.shard}`, dead, target }, 're-replicating a shard away from a dead node');
        } catch (e: unknown) {
          this.logger.warn({ err: e, shard: `${meta.config.name}/${p.shard}` }, 're-replication did not commit');
        }
      }
    }
  }

  private async failover(meta: CollectionMeta, p: ShardPlacement): Promise<void> {
    const name = meta.config.name;
    const state = this.cluster.metadata.current;
    const candidates = p.inSync.filter((n) => n !== p.primary && state.members[n]?.state === 'alive');
    const reports: ReplicaReport[] = [];
    await Promise.all(candidates.map(async (node) => {
      try {
        const r = await this.ask<{ durableSeq: number; epoch: number }>(node, { collection: name, incarnation: meta.config.raft_index ?? 0, shard: p.shard, op: 'report', body: Buffer.alloc(0) });
        reports.push({ node, durableSeq: r.durableSeq, epoch: r.epoch });
      } catch {
        // an unreachable replica cannot be promoted
      }
    }));
    const action = onNodeDead(toView(name, p), p.primary, reports);
    if (action.type !== 'promote') {
      if (action.type === 'unavailable') this.logger.warn({ shard: `${name}/${p.shard}`, reason: action.reason }, 'shard has no promotable replica');
      return;
    }
    const dead = p.primary;
    const epoch = p.epoch; // p is the live placement: applying the promotion changes it
    try {
      await this.cluster.propose({ type: 'promote_primary', collection: name, shard: p.shard, epoch, newPrimary: action.newPrimary });
      this.failovers++;
      this.logger.warn({ shard: `${name}/${p.shard}`, dead, newPrimary: action.newPrimary, epoch: epoch + 1 }, 'promoted a new shard primary');
    } catch (e: unknown) {
      this.logger.warn({ err: e, shard: `${name}/${p.shard}` }, 'promotion did not commit');
    }
  }
}

/** The gate of a replica that takes no client writes (a follower, or a primary not ready yet). */
function refusingGate(r: Replica, message: string): WriteGate {
  return {
    epoch: r.view.epoch,
    propose: () => {
      throw new HektorError('not_primary', message);
    },
    staged: () => undefined,
    persisted: () => undefined,
    commitFailed: (error: unknown) => error,
  };
}

function refusalCode(code: string): ErrorCode {
  switch (code) {
    case 'not_enough_in_sync':
      return 'not_enough_replicas';
    case 'overloaded':
      return 'too_many_requests';
    default:
      return 'not_primary'; // not_primary, no_lease: another node is (or will be) primary; retry
  }
}

/** The in-memory log image of a replica's durable store (call with no write in flight). */
function logOfStore(local: LocalShard): ReplicaLog<ShardOp> {
  const entries: LogEntry[] = [...local.entriesFrom(local.firstLogSeq)];
  return new ReplicaLog<ShardOp>(local.firstLogSeq - 1, local.baseEpoch, entries);
}

/** Sizes of upsert operations already measured (log retention measures the same entries again). */
const upsertBytes = new WeakMap<ShardOp, number>();

/** Approximate bytes of an operation, for the pipelining bounds and log retention. */
function opBytes(op: ShardOp): number {
  if (op.type !== 'upsert') return op.type === 'noop' ? 64 : 64 + op.ids.length * 16;
  let bytes = upsertBytes.get(op);
  if (bytes === undefined) {
    bytes = op.points.reduce((n, p) => n + p.vector.byteLength + 64, 64);
    upsertBytes.set(op, bytes);
  }
  return bytes;
}

/** An operation as JSON (vectors as number arrays), for operators. */
function opToJson(op: ShardOp): unknown {
  if (op.type !== 'upsert') return op;
  return { type: 'upsert', points: op.points.map((p) => ({ id: p.id, vector: Array.from(p.vector), payload: p.payload })) };
}

type JsonOp = Exclude<ShardOp, { type: 'upsert' }> | { type: 'upsert'; points: { id: PointId; vector: number[]; payload: Payload | null }[] };

/** Reverses opToJson. */
function opFromJson(json: unknown): ShardOp {
  const op = json as JsonOp;
  if (op.type !== 'upsert') return op;
  return { type: 'upsert', points: op.points.map((p) => ({ id: p.id, vector: Float32Array.from(p.vector), payload: p.payload })) };
}
