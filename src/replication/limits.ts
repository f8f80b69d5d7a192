/**
 * Every bound and timing knob of the replication core in one place. Times are in the
 * milliseconds of the `nowMs` arguments the runtime passes in.
 */

/** Tunables and bounds of one shard replica. */
export interface ReplicationLimits {
  /** A follower whose lag exceeds this (or that has not answered for this long) is removed from the in-sync set. */
  readonly followerTimeoutMs: number;
  /** Heartbeat (empty append) interval to an idle follower. */
  readonly heartbeatMs: number;
  /** Without ack progress for this long, the primary resends from the follower's acked seq (go-back-N). */
  readonly retransmitMs: number;
  /** An unanswered in-sync request to the controller is re-sent after this long. */
  readonly controllerRetryMs: number;
  /** Most entries in one append message. */
  readonly maxEntriesPerAppend: number;
  /** Most entries in flight (sent, not acked) to one follower. */
  readonly maxInflightEntries: number;
  /** Most op bytes in flight to one follower (at least one entry is always sendable). */
  readonly maxInflightBytes: number;
  /** Most op bytes in one append message (at least one entry is always sent). */
  readonly maxAppendBytes: number;
  /** Most writes pending acknowledgement at the primary; proposals past it are refused as overloaded. */
  readonly maxPendingWrites: number;
  /** Most (seq, time) samples kept to measure lag in milliseconds. */
  readonly maxLagSamples: number;
  /** Fewest in-sync replicas (primary included) a sync write needs; below it sync writes are refused. */
  readonly minInSyncForSync: number;
}

/** The documented defaults; see docs/replication.md. */
export const DEFAULT_REPLICATION_LIMITS: ReplicationLimits = {
  followerTimeoutMs: 1000,
  heartbeatMs: 100,
  retransmitMs: 300,
  controllerRetryMs: 500,
  maxEntriesPerAppend: 64,
  maxInflightEntries: 1024,
  maxInflightBytes: 8 * 1024 * 1024,
  maxAppendBytes: 1024 * 1024,
  maxPendingWrites: 4096,
  maxLagSamples: 4096,
  minInSyncForSync: 2,
};

/** Checks that limits are usable; crashes on a programming error in the composition root. */
export function validateReplicationLimits(limits: ReplicationLimits): void {
  for (const [key, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new Error(`replication limit ${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (limits.heartbeatMs >= limits.followerTimeoutMs) throw new Error('replication heartbeatMs must be below followerTimeoutMs');
}
