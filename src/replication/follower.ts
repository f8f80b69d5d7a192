/**
 * A follower replica of one shard: applies the primary's appends in seq order, fences older
 * epochs, repairs divergence by truncating after the divergence point (keeping what it removes),
 * installs snapshots, and acknowledges what it made durable.
 *
 * Output contract (etcd-style persist-before-send): every `step` returns a FollowerOutput. The
 * runtime must make `persist` durable — in order: record `knownEpoch`, move `truncated` to the
 * shard's truncated-entries list, drop log entries after `truncateAfterSeq`, install `snapshot`,
 * append `entries` — as one atomic write, and only then send `messages`. The core's in-memory log
 * already reflects the change; after a crash the runtime rebuilds the follower from durable state.
 */

import { assert } from '../base/assert.js';
import type { ReplicaLog } from './log.js';
import { epochOfSeq } from './log.js';
import type {
  AppendMessage, NodeId, ReplicaEntry, ReplicationMessage, SnapshotMessage, TruncatedEntry,
} from './types.js';

/** What a step asks the runtime to make durable before sending `messages`. */
export interface FollowerPersist<Op> {
  readonly knownEpoch: number;
  readonly truncated: readonly TruncatedEntry<Op>[];
  readonly truncateAfterSeq: number | null;
  readonly snapshot: { readonly seq: number; readonly epoch: number; readonly from: NodeId } | null;
  readonly entries: readonly ReplicaEntry<Op>[];
}

/** The result of one follower step. */
export interface FollowerOutput<Op> {
  /** Null when nothing changed durably. */
  readonly persist: FollowerPersist<Op> | null;
  readonly messages: readonly ReplicationMessage<Op>[];
}

/** The follower side of the replication core for one shard. */
export class FollowerReplica<Op> {
  /** The highest epoch this replica knows; appends from lower epochs are refused. */
  knownEpoch: number;

  /** Creates a follower over `log` (rebuilt from durable state) knowing `knownEpoch`. */
  constructor(readonly self: NodeId, readonly shard: string, readonly log: ReplicaLog<Op>, knownEpoch: number) {
    this.knownEpoch = Math.max(knownEpoch, log.lastEpoch);
  }

  /** Highest seq known committed (durable on every in-sync replica); the store may compact through it. */
  commitSeq = 0;

  /** Learns a newer epoch from the controller's committed view (fences the old primary early). */
  observeEpoch(epoch: number): FollowerOutput<Op> {
    if (epoch <= this.knownEpoch) return { persist: null, messages: [] };
    this.knownEpoch = epoch;
    return { persist: this.persist([], null, null, []), messages: [] };
  }

  /** Handles one message from a primary. */
  step(message: ReplicationMessage<Op>): FollowerOutput<Op> {
    if (message.type === 'appendAck' || message.type === 'appendReject') return { persist: null, messages: [] };
    if (message.epoch < this.knownEpoch) {
      return { persist: null, messages: [this.reject(message.from, 'stale_epoch', this.log.lastSeq)] };
    }
    const epochRaised = message.epoch > this.knownEpoch;
    this.knownEpoch = message.epoch;
    const output = message.type === 'append' ? this.onAppend(message) : this.onSnapshot(message);
    if (output.persist === null && epochRaised) return { persist: this.persist([], null, null, []), messages: output.messages };
    return output;
  }

  private onAppend(message: AppendMessage<Op>): FollowerOutput<Op> {
    const log = this.log;
    if (message.prevSeq < log.baseSeq) {
      // Below our snapshot we cannot check the match; ask for a snapshot (hint under the base).
      return { persist: null, messages: [this.reject(message.from, 'diverged', log.baseSeq - 1)] };
    }
    if (message.prevSeq > log.lastSeq || log.epochAt(message.prevSeq) !== message.prevEpoch) {
      return { persist: null, messages: [this.reject(message.from, 'diverged', Math.min(message.prevSeq - 1, log.lastSeq))] };
    }
    const truncated: TruncatedEntry<Op>[] = [];
    const appended: ReplicaEntry<Op>[] = [];
    let truncateAfterSeq: number | null = null;
    for (const entry of message.entries) {
      if (entry.seq <= log.lastSeq) {
        if (log.epochAt(entry.seq) === entry.epoch) continue;
        // Divergence: everything from here on is obsolete under the newer primary's log. A
        // committed entry is on every promotable replica, so it can never be the one that differs.
        assert(entry.seq > this.commitSeq, `truncating committed seq ${entry.seq} (commit ${this.commitSeq})`);
        truncateAfterSeq = entry.seq - 1;
        for (const removed of log.truncateAfter(entry.seq - 1)) truncated.push({ ...removed, truncatedInEpoch: message.epoch });
      }
      log.append(entry);
      appended.push(entry);
    }
    const matched = message.prevSeq + message.entries.length;
    this.commitSeq = Math.max(this.commitSeq, Math.min(message.primaryCommitSeq, matched));
    const ack: ReplicationMessage<Op> = {
      type: 'appendAck', from: this.self, to: message.from, shard: this.shard, epoch: this.knownEpoch, durableSeq: matched,
    };
    const changed = appended.length > 0 || truncated.length > 0;
    return { persist: changed ? this.persist(truncated, truncateAfterSeq, null, appended) : null, messages: [ack] };
  }

  private onSnapshot(message: SnapshotMessage): FollowerOutput<Op> {
    const log = this.log;
    if (message.seq < log.baseSeq) return { persist: null, messages: [] }; // A stale, reordered snapshot.
    // The first own entry whose epoch disagrees with the primary's epoch cache is the divergence point.
    let divergence = log.lastSeq + 1;
    for (let seq = log.baseSeq + 1; seq <= log.lastSeq; seq++) {
      if (log.epochAt(seq) !== epochOfSeq(message.epochStarts, seq)) {
        divergence = seq;
        break;
      }
    }
    const ack: ReplicationMessage<Op> = {
      type: 'appendAck', from: this.self, to: message.from, shard: this.shard, epoch: this.knownEpoch, durableSeq: message.seq,
    };
    if (divergence > message.seq && log.lastSeq >= message.seq && message.seq >= log.baseSeq) {
      return { persist: null, messages: [ack] }; // We already hold everything the snapshot covers.
    }
    const keepThrough = Math.max(log.baseSeq, Math.min(divergence - 1, log.lastSeq));
    const truncated = log.truncateAfter(keepThrough).map((e) => ({ ...e, truncatedInEpoch: message.epoch }));
    // Entries at or below the snapshot seq that matched are inside the snapshot, not lost.
    const lost = truncated.filter((e) => e.seq >= divergence);
    log.installSnapshot(message.seq, message.snapshotEpoch, message.epochStarts);
    return {
      persist: this.persist(lost, null, { seq: message.seq, epoch: message.snapshotEpoch, from: message.from }, []),
      messages: [ack],
    };
  }

  private reject(to: NodeId, reason: 'stale_epoch' | 'diverged', hintSeq: number): ReplicationMessage<Op> {
    const lastSeq = Math.max(-1, hintSeq);
    return {
      type: 'appendReject', from: this.self, to, shard: this.shard, epoch: this.knownEpoch, reason,
      lastSeq, lastEpoch: this.log.epochAt(lastSeq) ?? 0, baseSeq: this.log.baseSeq,
    };
  }

  private persist(
    truncated: readonly TruncatedEntry<Op>[], truncateAfterSeq: number | null,
    snapshot: FollowerPersist<Op>['snapshot'], entries: readonly ReplicaEntry<Op>[],
  ): FollowerPersist<Op> {
    return { knownEpoch: this.knownEpoch, truncated, truncateAfterSeq, snapshot, entries };
  }
}
