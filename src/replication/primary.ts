/**
 * The primary replica of one shard: assigns seqs to client writes, streams durable entries to
 * followers (pipelined within named bounds), repairs followers' divergence by epoch, decides when
 * each write is acknowledged under its mode, and asks the controller to shrink or expand the
 * in-sync set.
 *
 * The rule that makes `sync` safe: a write is acknowledged only when every follower in the
 * controller-committed in-sync set has acknowledged it. A follower that lags is merely *requested*
 * to leave; until the controller commits the shrink and the runtime calls `updateView`, writes
 * keep waiting for it. Symmetrically, once the primary asks to *add* a follower, it waits for that
 * follower's acks on sync writes until the request is resolved (committed, or made stale by a newer
 * view), so a follower never joins the in-sync set lacking an acknowledged sync write (Kafka's
 * "maximal ISR"). A primary also acknowledges only while it holds a controller lease
 * (`renewLease`), so a deposed primary that has not heard of its successor stops acknowledging
 * before the controller may promote anyone (the controller waits longer than the lease).
 *
 * Output contract: after any call, `takeOutput()` returns what to do, in this order: persist
 * `entries` durably (then call `persisted(lastSeq)`), send `messages`, send `controllerRequests`,
 * answer `completions` to clients. Entries are streamed to followers only once locally durable.
 */

import { assert } from '../base/assert.js';
import type { ReplicationLimits } from './limits.js';
import type { ReplicaLog } from './log.js';
import type {
  AppendAckMessage, AppendRejectMessage, InSyncRequest, NodeId, ProposeResult, ReplicaEntry, ReplicationMessage,
  ShardView, WriteCompletion, WriteFailureCode, WriteMode,
} from './types.js';

/** What the runtime must do after a call into the primary. */
export interface PrimaryOutput<Op> {
  readonly entries: readonly ReplicaEntry<Op>[];
  readonly messages: readonly ReplicationMessage<Op>[];
  readonly controllerRequests: readonly InSyncRequest[];
  readonly completions: readonly WriteCompletion[];
}

/** Lag of one follower, for metrics. */
export interface FollowerLag {
  readonly follower: NodeId;
  readonly inSync: boolean;
  readonly ackedSeq: number;
  readonly lagOps: number;
  readonly lagMs: number;
}

/** Deliberate bugs for the simulator's can-it-fail tests; never set outside tests. */
export interface PrimaryTestHooks {
  /** Treats a follower as removed as soon as the shrink is requested, not when it commits. */
  readonly ackBeforeShrinkCommits?: boolean;
  /** Acknowledges sync writes without the follower whose addition to the in-sync set is pending. */
  readonly ackIgnoringPendingExpand?: boolean;
}

/** How the primary streams. */
export interface PrimaryOptions {
  /**
   * Stream entries to followers as soon as they are logged, while the primary persists them in
   * parallel (as a Raft leader does), instead of only after its own durable write. Acknowledgement
   * and the commit seq still count the primary's own durability. Two duties fall on the runtime:
   * a seq whose entry may have been sent is never reused (a failed local write is retried, not
   * dropped), and a primary that restarts takes a new epoch before it writes again (its lost,
   * unsynced entries may sit on followers under the old epoch).
   */
  readonly streamBeforeDurable?: boolean;
}

interface Progress {
  nextSeq: number;
  ackedSeq: number;
  lastAckMs: number;
  lastSendMs: number;
  lastProgressMs: number;
  inflight: { lastSeq: number; bytes: number }[];
  /** After a rejection: one message at a time until an ack shows where we stand. */
  probing: boolean;
  request: { type: InSyncRequest['type']; atMs: number; viewVersion: number } | null;
}

interface PendingWrite {
  readonly seq: number;
  readonly mode: WriteMode;
  readonly deadlineMs: number;
}

/** The primary side of the replication core for one shard. */
export class PrimaryReplica<Op> {
  private view: ShardView;
  private durableSeq: number;
  private readonly streamBeforeDurable: boolean;
  private leaseUntilMs = 0;
  private deposed = false;
  private readonly progress = new Map<NodeId, Progress>();
  private pending: PendingWrite[] = [];
  /** (seq, time it became durable here): lag in milliseconds is measured against these. */
  private lagSamples: { seq: number; atMs: number }[] = [];
  private out: { entries: ReplicaEntry<Op>[]; messages: ReplicationMessage<Op>[]; requests: InSyncRequest[]; completions: WriteCompletion[] } =
    { entries: [], messages: [], requests: [], completions: [] };

  /**
   * Takes over `log` as primary of `view`. The whole log must already be durable: the runtime
   * promotes a follower only after every follower output it accepted has been persisted.
   * `sizeBytes` measures an op for the in-flight byte bound.
   */
  constructor(
    readonly self: NodeId,
    readonly log: ReplicaLog<Op>,
    view: ShardView,
    private readonly limits: ReplicationLimits,
    private readonly sizeBytes: (op: Op) => number,
    nowMs: number,
    private readonly hooks: PrimaryTestHooks = {},
    options: PrimaryOptions = {},
  ) {
    this.streamBeforeDurable = options.streamBeforeDurable === true;
    assert(view.primary === self, 'a primary needs a view naming it');
    assert(log.lastEpoch <= view.epoch, 'log holds entries from a future epoch');
    this.view = view;
    this.durableSeq = log.lastSeq;
    this.syncProgress(nowMs);
  }

  /** The view this primary acts on. */
  get currentView(): ShardView {
    return this.view;
  }

  /** False once the primary learned it was deposed; it then only drains its output. */
  get active(): boolean {
    return !this.deposed;
  }

  /** Highest seq durable on this primary. */
  get localDurableSeq(): number {
    return this.durableSeq;
  }

  /** The controller granted a lease until `untilMs` (measured on the controller's clock, see docs). */
  renewLease(untilMs: number): void {
    this.leaseUntilMs = Math.max(this.leaseUntilMs, untilMs);
  }

  /** Accepts a client write: assigns its seq and logs it, or refuses it with nothing written. */
  propose(op: Op, mode: WriteMode, nowMs: number): ProposeResult {
    if (this.deposed) return refuse('not_primary', `node ${this.self} is no longer primary of ${this.view.shard}`);
    if (nowMs >= this.leaseUntilMs) return refuse('no_lease', `primary ${this.self} holds no controller lease`);
    if (this.pending.length >= this.limits.maxPendingWrites) return refuse('overloaded', `${this.pending.length} writes pending`);
    const unmet = this.unmetMode(mode);
    if (unmet !== null) return refuse('not_enough_in_sync', unmet);
    const entry: ReplicaEntry<Op> = { seq: this.log.lastSeq + 1, epoch: this.view.epoch, op };
    this.log.append(entry);
    this.out.entries.push(entry);
    this.pending.push({ seq: entry.seq, mode, deadlineMs: nowMs + mode.timeoutMs });
    return { ok: true, seq: entry.seq };
  }

  /** The runtime made every entry through `seq` durable here. */
  persisted(seq: number, nowMs: number): void {
    assert(seq <= this.log.lastSeq, 'persisted beyond the log');
    if (seq <= this.durableSeq) return;
    this.durableSeq = seq;
    if (this.lagSamples.length < this.limits.maxLagSamples) this.lagSamples.push({ seq, atMs: nowMs });
    this.sendAll(nowMs);
    this.evaluate(nowMs);
  }

  /** Handles a follower's answer. */
  step(message: ReplicationMessage<Op>, nowMs: number): void {
    if (this.deposed) return;
    if (message.type === 'append' || message.type === 'snapshot') {
      if (message.epoch > this.view.epoch) this.depose();
      return;
    }
    if (message.epoch > this.view.epoch) {
      this.depose(); // A replica knows a newer epoch: we are fenced.
      return;
    }
    const progress = this.progress.get(message.from);
    if (progress === undefined || message.epoch < this.view.epoch) return;
    if (message.type === 'appendAck') this.onAck(progress, message, nowMs);
    else this.onReject(message.from, progress, message, nowMs);
  }

  /** Advances time: heartbeats, retransmits, in-sync requests, write deadlines. */
  tick(nowMs: number): void {
    if (this.deposed) return;
    for (const [follower, progress] of this.progress) {
      if (nowMs - progress.lastProgressMs >= this.limits.retransmitMs && progress.inflight.length > 0) {
        progress.nextSeq = progress.ackedSeq + 1;
        progress.inflight = [];
        progress.lastProgressMs = nowMs;
      }
      this.send(follower, progress, nowMs);
      if (nowMs - progress.lastSendMs >= this.limits.heartbeatMs) this.sendAppend(follower, progress, nowMs, true);
      this.checkInSync(follower, progress, nowMs);
    }
    this.evaluate(nowMs);
  }

  /** The controller committed a new view; a view naming another primary or epoch deposes this one. */
  updateView(view: ShardView, nowMs: number): void {
    if (this.deposed || view.version <= this.view.version) return;
    if (view.epoch !== this.view.epoch || view.primary !== this.self) {
      this.depose();
      return;
    }
    this.view = view;
    this.syncProgress(nowMs);
    this.evaluate(nowMs);
  }

  /**
   * Drops retained log entries through `seq`, but never past the commit seq (durable on every
   * in-sync replica): an entry above it may still be truncated by a failover, and a compacted
   * entry could no longer be listed as truncated. Returns the seq actually compacted through.
   */
  compactThrough(seq: number): number {
    this.log.compactThrough(Math.min(seq, this.commitSeq()));
    return this.log.baseSeq;
  }

  /** Highest seq durable here and on every in-sync follower: the most the store may compact. */
  get commitSeqValue(): number {
    return this.commitSeq();
  }

  /** Per-follower lag in ops and milliseconds. */
  lag(nowMs: number): FollowerLag[] {
    return [...this.progress].map(([follower, p]) => ({
      follower, inSync: this.view.inSync.includes(follower), ackedSeq: p.ackedSeq,
      lagOps: Math.max(0, this.durableSeq - p.ackedSeq), lagMs: this.lagMs(p, nowMs),
    }));
  }

  /** Returns and clears everything the runtime must do. */
  takeOutput(): PrimaryOutput<Op> {
    const out = this.out;
    this.out = { entries: [], messages: [], requests: [], completions: [] };
    return { entries: out.entries, messages: out.messages, controllerRequests: out.requests, completions: out.completions };
  }

  private syncProgress(nowMs: number): void {
    for (const replica of this.view.replicas) {
      if (replica === this.self || this.progress.has(replica)) continue;
      this.progress.set(replica, {
        nextSeq: this.log.lastSeq + 1, ackedSeq: 0, lastAckMs: nowMs, lastSendMs: -Infinity, lastProgressMs: nowMs,
        inflight: [], probing: true, request: null,
      });
    }
    for (const [replica, progress] of this.progress) {
      if (!this.view.replicas.includes(replica)) this.progress.delete(replica);
      else if (progress.request !== null) {
        const request = progress.request;
        // A shrink is done once reflected; an expand once any newer view committed (it either
        // carried the expand or made the request stale).
        const resolved = request.type === 'shrink_isr' ? !this.view.inSync.includes(replica) : this.view.version > request.viewVersion;
        if (resolved) progress.request = null;
      }
    }
  }

  private onAck(progress: Progress, message: AppendAckMessage, nowMs: number): void {
    progress.lastAckMs = nowMs;
    if (message.durableSeq > progress.ackedSeq) {
      progress.ackedSeq = Math.min(message.durableSeq, this.log.lastSeq);
      progress.lastProgressMs = nowMs;
    }
    progress.probing = false;
    progress.inflight = progress.inflight.filter((f) => f.lastSeq > progress.ackedSeq);
    if (progress.nextSeq <= progress.ackedSeq) progress.nextSeq = progress.ackedSeq + 1;
    this.trimLagSamples();
    this.send(message.from, progress, nowMs);
    this.checkInSync(message.from, progress, nowMs);
    this.evaluate(nowMs);
  }

  private onReject(follower: NodeId, progress: Progress, message: AppendRejectMessage, nowMs: number): void {
    progress.lastAckMs = nowMs;
    // Epoch query answered locally: our log matches theirs at most up to the end of their last epoch.
    const candidate = Math.min(message.lastSeq, this.log.endOfEpochAtOrBelow(message.lastEpoch), this.log.lastSeq);
    progress.ackedSeq = Math.min(progress.ackedSeq, Math.max(0, candidate));
    progress.nextSeq = candidate + 1;
    progress.inflight = [];
    progress.probing = true;
    if (candidate < this.log.baseSeq || candidate < message.baseSeq) this.sendSnapshot(follower, progress, nowMs);
    else this.sendAppend(follower, progress, nowMs, false);
  }

  private sendAll(nowMs: number): void {
    for (const [follower, progress] of this.progress) this.send(follower, progress, nowMs);
  }

  /** The last seq that may be streamed: durable here, or merely logged when streaming before durability. */
  private streamLimit(): number {
    return this.streamBeforeDurable ? this.log.lastSeq : this.durableSeq;
  }

  /** Streams what is logged now (with streamBeforeDurable: call once a group of writes is logged). */
  streamPending(nowMs: number): void {
    if (!this.deposed) this.sendAll(nowMs);
  }

  /** Sends as many appends as the pipelining bounds allow. */
  private send(follower: NodeId, progress: Progress, nowMs: number): void {
    while (progress.nextSeq <= this.streamLimit() && !(progress.probing && progress.inflight.length > 0)) {
      const inflightEntries = progress.nextSeq - 1 - progress.ackedSeq;
      const inflightBytes = progress.inflight.reduce((sum, f) => sum + f.bytes, 0);
      if (inflightEntries >= this.limits.maxInflightEntries || inflightBytes >= this.limits.maxInflightBytes) return;
      if (!this.sendAppend(follower, progress, nowMs, false)) return;
    }
  }

  /** Sends one append from nextSeq (or a snapshot when the log no longer reaches back); false if nothing was sent. */
  private sendAppend(follower: NodeId, progress: Progress, nowMs: number, heartbeat: boolean): boolean {
    const prevSeq = progress.nextSeq - 1;
    const prevEpoch = this.log.epochAt(prevSeq);
    if (prevEpoch === undefined) {
      this.sendSnapshot(follower, progress, nowMs);
      return false;
    }
    const entries = heartbeat || progress.nextSeq > this.streamLimit() ? [] : this.log.slice(
      progress.nextSeq, this.streamLimit(), this.limits.maxEntriesPerAppend, this.limits.maxAppendBytes, this.sizeBytes,
    );
    if (entries.length === 0 && !heartbeat && !progress.probing) return false;
    this.out.messages.push({
      type: 'append', from: this.self, to: follower, shard: this.view.shard, epoch: this.view.epoch,
      prevSeq, prevEpoch, entries, primaryCommitSeq: this.commitSeq(),
    });
    progress.lastSendMs = nowMs;
    if (entries.length > 0) {
      const last = entries[entries.length - 1];
      assert(last !== undefined, 'non-empty append has a last entry');
      progress.inflight.push({ lastSeq: last.seq, bytes: entries.reduce((sum, e) => sum + this.sizeBytes(e.op), 0) });
      progress.nextSeq = last.seq + 1;
    } else if (progress.probing) {
      progress.inflight.push({ lastSeq: prevSeq, bytes: 0 });
    }
    return entries.length > 0;
  }

  private sendSnapshot(follower: NodeId, progress: Progress, nowMs: number): void {
    this.out.messages.push({
      type: 'snapshot', from: this.self, to: follower, shard: this.view.shard, epoch: this.view.epoch,
      seq: this.log.baseSeq, snapshotEpoch: this.log.baseEpoch, epochStarts: this.log.epochStartList(),
    });
    progress.nextSeq = this.log.baseSeq + 1;
    progress.inflight = [{ lastSeq: this.log.baseSeq, bytes: 0 }];
    progress.probing = true;
    progress.lastSendMs = nowMs;
  }

  /**
   * Highest seq durable here, on every in-sync follower and on every follower being added (whose
   * expand may still commit: once in sync it becomes promotable, so it bounds what is permanent).
   */
  private commitSeq(): number {
    let seq = this.durableSeq;
    for (const follower of [...this.view.inSync, ...this.joiningFollowers()]) {
      if (follower === this.self) continue;
      seq = Math.min(seq, this.progress.get(follower)?.ackedSeq ?? 0);
    }
    return seq;
  }

  private lagMs(progress: Progress, nowMs: number): number {
    const silentMs = nowMs - progress.lastAckMs;
    if (progress.ackedSeq >= this.durableSeq) return silentMs;
    // The time the first entry this follower lacks became durable here.
    // Missing only when the sample list was full: the newest kept sample is older, so lag is over-estimated, never under.
    const sample = this.lagSamples.find((s) => s.seq > progress.ackedSeq) ?? this.lagSamples.at(-1);
    return Math.max(silentMs, sample === undefined ? 0 : nowMs - sample.atMs);
  }

  private trimLagSamples(): void {
    let minAcked = this.durableSeq;
    for (const p of this.progress.values()) minAcked = Math.min(minAcked, p.ackedSeq);
    let drop = 0;
    // Keep the first sample above every follower's acked seq: it dates the oldest missing entry.
    while (drop < this.lagSamples.length && (this.lagSamples[drop]?.seq ?? Infinity) <= minAcked) drop++;
    if (drop > 0) this.lagSamples.splice(0, drop);
  }

  private checkInSync(follower: NodeId, progress: Progress, nowMs: number): void {
    const request = progress.request;
    if (request !== null) {
      // Outstanding: re-send unchanged (same view version) until resolved; an expand cannot be
      // withdrawn, since a copy may still commit.
      if (nowMs - request.atMs >= this.limits.controllerRetryMs) this.request(follower, progress, request.type, request.viewVersion, nowMs);
      return;
    }
    const inSync = this.view.inSync.includes(follower);
    if (inSync && this.lagMs(progress, nowMs) > this.limits.followerTimeoutMs) {
      this.request(follower, progress, 'shrink_isr', this.view.version, nowMs);
    } else if (!inSync && progress.ackedSeq >= this.durableSeq && nowMs - progress.lastAckMs < this.limits.followerTimeoutMs) {
      this.request(follower, progress, 'expand_isr', this.view.version, nowMs);
    }
  }

  private request(follower: NodeId, progress: Progress, type: InSyncRequest['type'], viewVersion: number, nowMs: number): void {
    progress.request = { type, atMs: nowMs, viewVersion };
    this.out.requests.push({ type, shard: this.view.shard, from: this.self, follower, epoch: this.view.epoch, viewVersion });
  }

  /** Followers with an outstanding expand: sync writes wait for them too. */
  private joiningFollowers(): NodeId[] {
    if (this.hooks.ackIgnoringPendingExpand === true) return [];
    return [...this.progress].filter(([, p]) => p.request?.type === 'expand_isr').map(([n]) => n);
  }

  /** Why `mode` cannot be served by the current in-sync set, or null when it can. */
  private unmetMode(mode: WriteMode): string | null {
    const followers = this.inSyncFollowers().length;
    if (mode.mode === 'sync' && followers + 1 < this.limits.minInSyncForSync) {
      return `sync write needs ${this.limits.minInSyncForSync} in-sync replicas, ${followers + 1} in sync`;
    }
    if (mode.mode === 'semi_sync') {
      const minAcks = mode.minAcks ?? 1;
      if (followers < minAcks) return `semi_sync write needs ${minAcks} in-sync followers, ${followers} in sync`;
    }
    return null;
  }

  private inSyncFollowers(): NodeId[] {
    return this.view.inSync.filter((n) => {
      if (n === this.self) return false;
      // The injected bug: a follower whose removal is merely requested stops counting.
      return !(this.hooks.ackBeforeShrinkCommits === true && this.progress.get(n)?.request?.type === 'shrink_isr');
    });
  }

  /** Completes every pending write whose mode is now satisfied, unsatisfiable or past its deadline. */
  private evaluate(nowMs: number): void {
    if (this.pending.length === 0) return;
    const followers = this.inSyncFollowers();
    const joining = this.joiningFollowers();
    const leased = nowMs < this.leaseUntilMs;
    const remaining: PendingWrite[] = [];
    for (const write of this.pending) {
      const outcome = this.outcome(write, followers, joining, leased, nowMs);
      if (outcome === null) remaining.push(write);
      else this.out.completions.push(outcome);
    }
    this.pending = remaining;
  }

  private outcome(
    write: PendingWrite, followers: readonly NodeId[], joining: readonly NodeId[], leased: boolean, nowMs: number,
  ): WriteCompletion | null {
    const unmet = this.unmetMode(write.mode);
    if (unmet !== null) return fail(write.seq, 'not_enough_in_sync', unmet);
    if (write.seq <= this.durableSeq && leased) {
      const acked = (f: NodeId): boolean => (this.progress.get(f)?.ackedSeq ?? 0) >= write.seq;
      // Semi-sync counts committed in-sync followers only: a joining one may never become promotable.
      const satisfied = write.mode.mode === 'async' ? true
        : write.mode.mode === 'sync' ? followers.every(acked) && joining.every(acked)
          : followers.filter(acked).length >= (write.mode.minAcks ?? 1);
      if (satisfied) return { seq: write.seq, ok: true };
    }
    if (nowMs >= write.deadlineMs) return fail(write.seq, 'timed_out', `write ${write.seq} not acknowledged within ${write.mode.timeoutMs} ms`);
    return null;
  }

  private depose(): void {
    this.deposed = true;
    for (const write of this.pending) {
      this.out.completions.push(fail(write.seq, 'not_primary', `primary ${this.self} was deposed; outcome of write ${write.seq} unknown`));
    }
    this.pending = [];
  }
}

function refuse(code: WriteFailureCode, message: string): ProposeResult {
  return { ok: false, code, message };
}

function fail(seq: number, code: WriteFailureCode, message: string): WriteCompletion {
  return { seq, ok: false, code, message };
}
