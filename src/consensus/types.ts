/**
 * The vocabulary of the Raft core: log entries, hard state, configurations, snapshots and the
 * messages peers exchange. Everything here is plain data so that the cluster layer can encode it
 * for the wire (gRPC) and for durable storage (LMDB) without the core knowing either.
 */

/** A Raft member's stable identity; the cluster layer maps it to an address. */
export type NodeId = string;

/** A normal entry carries application data; a config entry carries a full ConfigState. */
export type EntryType = 'normal' | 'config';

/** One log entry. A normal entry with empty data is the leader's no-op. */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** State that must be durable before any message from the same Ready is sent. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

/** A membership configuration: who votes and who only replicates. Disjoint sets. */
export interface ConfigState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** What a snapshot covers: the log up to `index` (whose term is `term`) and the config then. */
export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly config: ConfigState;
}

/** An application state snapshot plus the Raft metadata needed to resume the log after it. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

/** One single-server membership change, proposed by the application through the leader. */
export interface ConfigChange {
  /** addVoter on an existing learner promotes it; removeNode removes a voter or a learner. */
  readonly type: 'addVoter' | 'addLearner' | 'removeNode';
  readonly nodeId: NodeId;
}

/** A confirmed linearizable read: serve `requestId` once the state machine applied `index`. */
export interface ReadState {
  readonly requestId: string;
  readonly index: number;
}

/** The role a node plays in its current term. */
export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  /** The sender's term; for preVote and a granted preVoteResp, the term the pre-candidate would use. */
  readonly term: number;
}

/** Leader → follower: entries after (prevIndex, prevTerm), and the leader's commit index. */
export interface AppendMessage extends MessageBase {
  readonly type: 'append';
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/** Follower → leader: accepted up to `index`, or rejected `index` with a conflict hint. */
export interface AppendResponseMessage extends MessageBase {
  readonly type: 'appendResp';
  readonly index: number;
  readonly reject: boolean;
  /** On reject: the follower's guess of the last index that may match, and that entry's term. */
  readonly hintIndex: number;
  readonly hintTerm: number;
}

/** Leader → all: liveness, commit propagation, and the ReadIndex confirmation round `readSeq`. */
export interface HeartbeatMessage extends MessageBase {
  readonly type: 'heartbeat';
  readonly commit: number;
  readonly readSeq: number;
}

/** Reply to a heartbeat, echoing its readSeq. */
export interface HeartbeatResponseMessage extends MessageBase {
  readonly type: 'heartbeatResp';
  readonly readSeq: number;
}

/** Candidate → voters: a (pre-)vote request. `force` marks a leadership transfer. */
export interface VoteMessage extends MessageBase {
  readonly type: 'vote' | 'preVote';
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly force: boolean;
}

/** Reply to a (pre-)vote request. */
export interface VoteResponseMessage extends MessageBase {
  readonly type: 'voteResp' | 'preVoteResp';
  readonly reject: boolean;
}

/** Leader → follower that is too far behind: install this snapshot. */
export interface SnapshotMessage extends MessageBase {
  readonly type: 'snapshot';
  readonly snapshot: Snapshot;
}

/** Leader → transfer target: campaign now, ignoring leases. */
export interface TimeoutNowMessage extends MessageBase {
  readonly type: 'timeoutNow';
}

/** Follower → leader: please confirm a read index for `requestId`. */
export interface ReadIndexMessage extends MessageBase {
  readonly type: 'readIndex';
  readonly requestId: string;
}

/** Leader → follower: the confirmed read index for `requestId`. */
export interface ReadIndexResponseMessage extends MessageBase {
  readonly type: 'readIndexResp';
  readonly requestId: string;
  readonly index: number;
}

/** Every message peers exchange. The transport must deliver each whole or not at all. */
export type Message =
  | AppendMessage
  | AppendResponseMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | VoteMessage
  | VoteResponseMessage
  | SnapshotMessage
  | TimeoutNowMessage
  | ReadIndexMessage
  | ReadIndexResponseMessage;

/** Fixed per-entry overhead (term, index, type) counted in byte budgets. */
export const ENTRY_OVERHEAD_BYTES = 24;

/** The size an entry counts for in message and flow-control budgets. */
export function entrySizeBytes(entry: Entry): number {
  return entry.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Encodes a config for a config entry's data (JSON; the full config, not a delta). */
export function encodeConfig(config: ConfigState): Uint8Array {
  return textEncoder.encode(JSON.stringify({ voters: [...config.voters], learners: [...config.learners] }));
}

/** Decodes a config entry's data; crashes on malformed data because only the core writes it. */
export function decodeConfig(data: Uint8Array): ConfigState {
  const parsed: unknown = JSON.parse(textDecoder.decode(data));
  if (typeof parsed !== 'object' || parsed === null) throw new Error('config entry is not an object');
  const voters: unknown = Reflect.get(parsed, 'voters');
  const learners: unknown = Reflect.get(parsed, 'learners');
  if (!isStringArray(voters) || !isStringArray(learners)) throw new Error('config entry has malformed voters/learners');
  return { voters, learners };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
