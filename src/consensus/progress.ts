/**
 * The leader's view of one follower: how much of the log it holds (match), what to send next,
 * and the flow-control window of appends in flight. States follow etcd raft: probe (one append
 * at a time until the follower's log position is found), replicate (pipelined appends within the
 * window), snapshot (waiting for an install-snapshot to land).
 */

import { assert } from '../base/assert.js';

/** Replication state of one follower as seen by the leader. */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** A bounded window of in-flight append messages, by last index and size. */
export class Inflights {
  private readonly lastIndexes: number[] = [];
  private readonly sizesBytes: number[] = [];
  private totalBytes = 0;

  /** Creates a window of at most maxCount messages and maxBytes bytes. */
  constructor(private readonly maxCount: number, private readonly maxBytes: number) {}

  /** Records a message whose last entry is `lastIndex`. */
  add(lastIndex: number, sizeBytes: number): void {
    assert(!this.full(), 'inflights overflow');
    const previous = this.lastIndexes[this.lastIndexes.length - 1];
    assert(previous === undefined || previous < lastIndex, 'inflights must grow');
    this.lastIndexes.push(lastIndex);
    this.sizesBytes.push(sizeBytes);
    this.totalBytes += sizeBytes;
  }

  /** Frees every message whose last index is ≤ `index` (acknowledged). */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.lastIndexes.length && (this.lastIndexes[n] ?? Infinity) <= index) n++;
    this.freeFirst(n);
  }

  /** Frees the oldest message (a heartbeat reply shows the follower is alive; unstick the window). */
  freeFirstOne(): void {
    this.freeFirst(Math.min(1, this.lastIndexes.length));
  }

  /** True when no more messages may be sent. */
  full(): boolean {
    return this.lastIndexes.length >= this.maxCount || this.totalBytes >= this.maxBytes;
  }

  /** Number of messages in flight. */
  count(): number {
    return this.lastIndexes.length;
  }

  /** Forgets everything in flight. */
  reset(): void {
    this.freeFirst(this.lastIndexes.length);
  }

  private freeFirst(n: number): void {
    const freed = this.sizesBytes.splice(0, n);
    this.lastIndexes.splice(0, n);
    for (const b of freed) this.totalBytes -= b;
  }
}

/** Replication progress of one peer (including the leader itself). */
export class Progress {
  /** Highest index known replicated on the peer. */
  match = 0;
  /** Next index to send. */
  next: number;
  /** Current replication state. */
  state: ProgressState = 'probe';
  /** In probe state: an append is outstanding, wait for its reply or a heartbeat reply. */
  probeSent = false;
  /** In snapshot state: the index of the snapshot sent. */
  pendingSnapshotIndex = 0;
  /** In snapshot state: election periods since the snapshot was sent (to retry a lost one). */
  snapshotAgeElections = 0;
  /** Heard from the peer since the last check-quorum round. */
  recentActive = false;
  /** Highest ReadIndex confirmation round (readSeq) the peer acknowledged. */
  readAckSeq = 0;
  /** In replicate state: match seen at the previous heartbeat reply (detects a stalled window). */
  heartbeatMatch = -1;
  /** The append window. */
  readonly inflights: Inflights;

  /** Creates progress for a peer expected to need entries from `next`. */
  constructor(next: number, maxInflightMessages: number, maxInflightBytes: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflightMessages, maxInflightBytes);
  }

  /** Back to probing from just after the known match (or after a pending snapshot). */
  becomeProbe(): void {
    const base = this.state === 'snapshot' ? Math.max(this.match, this.pendingSnapshotIndex) : this.match;
    this.state = 'probe';
    this.next = base + 1;
    this.probeSent = false;
    this.pendingSnapshotIndex = 0;
    this.inflights.reset();
  }

  /** Start pipelining from just after the match. */
  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.pendingSnapshotIndex = 0;
    this.inflights.reset();
  }

  /** Wait for the snapshot at `index` to be installed. */
  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.pendingSnapshotIndex = index;
    this.snapshotAgeElections = 0;
    this.inflights.reset();
  }

  /** Records an acknowledgement up to `index`; true when match advanced. */
  maybeUpdate(index: number): boolean {
    const updated = index > this.match;
    if (updated) this.match = index;
    this.probeSent = false;
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * Handles a rejection of the append after `rejectedIndex`, with the follower's hint already
   * translated into `probeIndex`. Returns false when the rejection is stale.
   */
  maybeDecreaseTo(rejectedIndex: number, probeIndex: number): boolean {
    if (this.state === 'replicate') {
      if (rejectedIndex <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejectedIndex) return false;
    this.next = Math.max(Math.min(rejectedIndex, probeIndex + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** True when nothing more may be sent now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  /** Updates the window after sending entries up to `lastIndex` (or an empty probe). */
  sentEntries(count: number, lastIndex: number, sizeBytes: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, sizeBytes);
      }
    } else {
      this.probeSent = true;
    }
  }
}
