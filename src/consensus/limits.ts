/**
 * Every bound and timing knob of the Raft core, in one place. The defaults suit a metadata group
 * of 3–7 voters whose entries are small (cluster-map mutations). One tick is a unit of logical
 * time chosen by the application (the cluster layer uses 100 ms; the simulator uses 10 ms).
 */

/** Tunables and bounds of one Raft node. */
export interface RaftConfig {
  /** Minimum ticks without a leader before campaigning; the actual timeout is random in [e, 2e). */
  readonly electionTicks: number;
  /** Ticks between leader heartbeats; must be well below electionTicks. */
  readonly heartbeatTicks: number;
  /** Most entries in one append message. */
  readonly maxEntriesPerMessage: number;
  /** Most entry bytes in one append message (at least one entry is always sent). */
  readonly maxMessageBytes: number;
  /** Most append messages in flight to one follower in the replicate state (pipelining window). */
  readonly maxInflightMessages: number;
  /** Most entry bytes in flight to one follower. */
  readonly maxInflightBytes: number;
  /** Most entries the leader holds beyond its commit index; proposals past it are refused. */
  readonly maxUncommittedEntries: number;
  /** Largest data of one proposal; must fit one message. */
  readonly maxProposalBytes: number;
  /** Most committed-entry bytes handed to the application in one Ready. */
  readonly maxCommittedBytesPerReady: number;
  /** Most ReadIndex requests waiting for confirmation at the leader. */
  readonly maxPendingReads: number;
  /** Leader steps down when it has not heard from a quorum for an election timeout; voters honour leases. */
  readonly checkQuorum: boolean;
  /** Campaign with a pre-vote round first so a partitioned node cannot inflate terms. */
  readonly preVote: boolean;
}

/** The documented defaults; see docs/consensus.md. */
export const DEFAULT_RAFT_CONFIG: RaftConfig = {
  electionTicks: 10,
  heartbeatTicks: 1,
  maxEntriesPerMessage: 64,
  maxMessageBytes: 1024 * 1024,
  maxInflightMessages: 32,
  maxInflightBytes: 8 * 1024 * 1024,
  maxUncommittedEntries: 4096,
  maxProposalBytes: 512 * 1024,
  maxCommittedBytesPerReady: 4 * 1024 * 1024,
  maxPendingReads: 1024,
  checkQuorum: true,
  preVote: true,
};

/** Checks that a config is usable; crashes on a programming error in the composition root. */
export function validateRaftConfig(config: RaftConfig): void {
  const positive: (keyof RaftConfig)[] = [
    'electionTicks', 'heartbeatTicks', 'maxEntriesPerMessage', 'maxMessageBytes', 'maxInflightMessages',
    'maxInflightBytes', 'maxUncommittedEntries', 'maxProposalBytes', 'maxCommittedBytesPerReady', 'maxPendingReads',
  ];
  for (const key of positive) {
    const value = config[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new Error(`raft config ${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (config.heartbeatTicks >= config.electionTicks) throw new Error('raft config heartbeatTicks must be below electionTicks');
  if (config.maxProposalBytes > config.maxMessageBytes) throw new Error('raft config maxProposalBytes must fit maxMessageBytes');
}
