/**
 * The Raft core: a pure, synchronous state machine in the style of etcd raft. The application
 * feeds it messages (step) and logical time (tick), and drives it with the Ready loop:
 *
 *   while (node.hasReady()) {
 *     const rd = node.ready();
 *     persist rd.snapshot, rd.entries, rd.hardState   (durably: fsync before the next step)
 *     send rd.messages                                 (only after persisting)
 *     apply rd.snapshot, then rd.committedEntries       (in order)
 *     serve rd.readStates once applied ≥ their index
 *     node.advance(rd);
 *   }
 *
 * No I/O, no timers, no clock, no global randomness: the seeded Random comes in through options.
 * Membership changes are single-server changes that take effect when appended (see
 * docs/consensus.md for the safety conditions enforced here).
 */

import { assert } from '../base/assert.js';
import type { Random } from '../base/prng.js';
import { DEFAULT_RAFT_CONFIG, validateRaftConfig } from './limits.js';
import type { RaftConfig } from './limits.js';
import { RaftLog } from './log.js';
import { Progress } from './progress.js';
import type { Storage } from './storage.js';
import type {
  AppendMessage, AppendResponseMessage, ConfigChange, ConfigState, Entry, HardState, HeartbeatMessage,
  HeartbeatResponseMessage, Message, NodeId, ReadState, Role, Snapshot, SnapshotMessage, VoteMessage, VoteResponseMessage,
} from './types.js';
import { decodeConfig, encodeConfig, entrySizeBytes } from './types.js';

/** Deliberate bugs, for tests that prove the simulator's checkers can fail. Never set in production. */
export interface RaftTestHooks {
  /** Count every granted vote twice (breaks election safety). */
  readonly doubleCountVotes?: boolean;
  /** Grant votes without the §5.4.1 up-to-date check (loses committed entries). */
  readonly grantVoteToStaleLog?: boolean;
  /** Commit entries of previous terms by counting replicas (the Figure 8 bug). */
  readonly commitPreviousTermByQuorum?: boolean;
  /** Serve ReadIndex from the leader's commit index without a quorum heartbeat round (stale reads). */
  readonly skipReadConfirmation?: boolean;
}

/** How to construct a node. */
export interface RaftOptions {
  readonly id: NodeId;
  readonly storage: Storage;
  readonly random: Random;
  readonly config?: Partial<RaftConfig>;
  /** Highest index the application's state already reflects (defaults to the snapshot index). */
  readonly appliedIndex?: number;
  readonly testHooks?: RaftTestHooks;
}

/** A batch of work for the application; handle it in the documented order, then call advance. */
export interface Ready {
  /** Persist when not null (it changed). */
  readonly hardState: HardState | null;
  /** Persist (appending; they may replace a conflicting tail). */
  readonly entries: readonly Entry[];
  /** Persist, then restore the state machine from it, when not null. */
  readonly snapshot: Snapshot | null;
  /** Send after persisting. */
  readonly messages: readonly Message[];
  /** Apply in order, after persisting. */
  readonly committedEntries: readonly Entry[];
  /** Linearizable reads confirmed: serve each once applied ≥ its index. */
  readonly readStates: readonly ReadState[];
}

/** Why a request was refused; the application retries elsewhere or later. */
export type Refusal =
  | 'notLeader' | 'transferring' | 'tooLarge' | 'tooManyUncommitted' | 'configChangePending'
  | 'configChangeInvalid' | 'notReady' | 'tooManyReads';

/** Outcome of a proposal: where the entry landed (watch for it applying with that term), or why not. */
export type ProposeResult = { readonly ok: true; readonly index: number; readonly term: number } | { readonly ok: false; readonly reason: Refusal };

/** Outcome of a request that lands no entry. */
export type RequestResult = { readonly ok: true } | { readonly ok: false; readonly reason: Refusal };

/** A read-only view of a node for the application and tests. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId | null;
  readonly role: Role;
  readonly leaderId: NodeId | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly config: ConfigState;
  readonly transferee: NodeId | null;
}

interface PendingRead {
  readonly requestId: string;
  readonly from: NodeId;
  readonly index: number;
  readonly seq: number;
}

interface ConfigAt {
  readonly index: number;
  readonly config: ConfigState;
}

/** One Raft node's state machine. */
export class RaftNode {
  /** This node's id. */
  readonly id: NodeId;
  private readonly cfg: RaftConfig;
  private readonly random: Random;
  private readonly hooks: RaftTestHooks;
  private readonly storage: Storage;
  private readonly log: RaftLog;
  private term = 0;
  private vote: NodeId | null = null;
  private role: Role = 'follower';
  private leaderId: NodeId | null = null;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTicks = 0;
  private voters = new Set<NodeId>();
  private learners = new Set<NodeId>();
  /** Config entries after the latest committed one, oldest first; [0] is in force at or below commit. */
  private configHistory: ConfigAt[];
  private progress = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();
  /** Index of the leader's no-op for its term; config changes wait until it commits. */
  private termStartIndex = 0;
  private transferee: NodeId | null = null;
  private transferElapsed = 0;
  private readSeq = 0;
  private pendingReads: PendingRead[] = [];
  private messages: Message[] = [];
  private readStates: ReadState[] = [];
  private persistedHardState: HardState;
  private readyInFlight = false;

  /** Opens a node over its storage (fresh or restarted). */
  constructor(options: RaftOptions) {
    this.id = options.id;
    this.cfg = { ...DEFAULT_RAFT_CONFIG, ...options.config };
    validateRaftConfig(this.cfg);
    this.random = options.random;
    this.hooks = options.testHooks ?? {};
    this.storage = options.storage;
    const hardState = this.storage.initialState();
    this.persistedHardState = hardState;
    this.log = new RaftLog(this.storage, hardState.commit, options.appliedIndex ?? 0);
    this.term = hardState.term;
    this.vote = hardState.vote;
    const snapshotMeta = this.storage.snapshot().metadata;
    this.configHistory = [{ index: snapshotMeta.index, config: snapshotMeta.config }];
    const first = Math.max(this.storage.firstIndex(), snapshotMeta.index + 1);
    const last = this.storage.lastIndex();
    if (first <= last) this.recordConfigs(this.storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER));
    this.applyLatestConfig();
    this.becomeFollower(this.term, null);
  }

  // ---------------------------------------------------------------- application API

  /** Advances logical time by one tick. */
  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /** Feeds one message from a peer. Messages for another node are a programming error. */
  step(m: Message): void {
    assert(m.to === this.id, `message for ${m.to} stepped into ${this.id}`);
    if (!this.checkTerm(m)) return;
    switch (m.type) {
      case 'vote':
      case 'preVote':
        this.handleVoteRequest(m);
        return;
      default:
        break;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  /** Proposes application data; only the leader accepts. */
  propose(data: Uint8Array): ProposeResult {
    const refusal = this.proposalRefusal(data.byteLength);
    if (refusal !== undefined) return { ok: false, reason: refusal };
    const index = this.appendAsLeader('normal', data);
    return { ok: true, index, term: this.term };
  }

  /** Proposes one membership change (single-server; see docs/consensus.md for the rules). */
  proposeConfigChange(change: ConfigChange): ProposeResult {
    const refusal = this.proposalRefusal(0);
    if (refusal !== undefined) return { ok: false, reason: refusal };
    // The single-server-change bug fix: no change until an entry of this term commits, and never
    // two uncommitted changes (a config takes effect when appended, so both would be in force).
    if (this.log.committed < this.termStartIndex || this.latestConfigIndex() > this.log.committed) {
      return { ok: false, reason: 'configChangePending' };
    }
    const next = this.changedConfig(change);
    if (next === undefined) return { ok: false, reason: 'configChangeInvalid' };
    const index = this.appendAsLeader('config', encodeConfig(next));
    return { ok: true, index, term: this.term };
  }

  /** Asks the leader to hand leadership to `target` (a voter) via TimeoutNow. */
  transferLeadership(target: NodeId): RequestResult {
    if (this.role !== 'leader') return { ok: false, reason: 'notLeader' };
    if (target === this.id || this.transferee === target) return { ok: true };
    if (!this.voters.has(target)) return { ok: false, reason: 'configChangeInvalid' };
    this.transferee = target;
    this.transferElapsed = 0;
    const pr = this.progress.get(target);
    assert(pr !== undefined, 'voter without progress');
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(target);
    else this.sendAppend(target, true);
    return { ok: true };
  }

  /**
   * Requests a linearizable read. When confirmed, a ReadState with this requestId appears in a
   * Ready (on this node): serve the read once the state machine has applied its index.
   */
  readIndex(requestId: string): RequestResult {
    if (this.role === 'leader') return this.handleReadRequest(requestId, this.id);
    if (this.role === 'follower' && this.leaderId !== null) {
      this.send({ type: 'readIndex', from: this.id, to: this.leaderId, term: this.term, requestId });
      return { ok: true };
    }
    return { ok: false, reason: 'notLeader' };
  }

  /** Transport feedback: `peer` could not be reached; stop pipelining to it. */
  reportUnreachable(peer: NodeId): void {
    const pr = this.role === 'leader' ? this.progress.get(peer) : undefined;
    if (pr?.state === 'replicate') pr.becomeProbe();
  }

  /** Transport feedback: the snapshot sent to `peer` was delivered (ok) or failed. */
  reportSnapshot(peer: NodeId, ok: boolean): void {
    const pr = this.role === 'leader' ? this.progress.get(peer) : undefined;
    if (pr?.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshotIndex = 0;
    pr.becomeProbe();
    pr.probeSent = true; // wait for the follower's reply or the next heartbeat reply
  }

  /** True when ready() would return something to do. */
  hasReady(): boolean {
    return this.messages.length > 0 || this.readStates.length > 0 || this.log.unstableEntries().length > 0
      || this.log.unstableSnapshot() !== undefined || this.hardStateChanged() || this.log.committed > this.log.applied;
  }

  /** Takes the next batch of work. Call advance(ready) before the next ready(). */
  ready(): Ready {
    assert(!this.readyInFlight, 'ready() called again before advance()');
    this.readyInFlight = true;
    const snapshot = this.log.unstableSnapshot() ?? null;
    const rd: Ready = {
      hardState: this.hardStateChanged() ? this.hardState() : null,
      entries: [...this.log.unstableEntries()],
      snapshot,
      messages: this.messages,
      committedEntries: snapshot === null ? this.log.committedAfter(this.log.applied, this.cfg.maxCommittedBytesPerReady) : [],
      readStates: this.readStates,
    };
    this.messages = [];
    this.readStates = [];
    return rd;
  }

  /** Acknowledges that `rd` was persisted, sent and applied. */
  advance(rd: Ready): void {
    assert(this.readyInFlight, 'advance() without ready()');
    this.readyInFlight = false;
    if (rd.hardState !== null) this.persistedHardState = rd.hardState;
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) this.log.stableTo(last.index, last.term);
    if (rd.snapshot !== null) {
      this.log.stableSnapshotTo(rd.snapshot.metadata.index);
      this.log.applied = Math.max(this.log.applied, rd.snapshot.metadata.index);
    }
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied !== undefined) {
      assert(lastApplied.index > this.log.applied, 'committed entries applied twice');
      this.log.applied = lastApplied.index;
    }
  }

  /** A snapshot of this node's state for the application, metrics and tests. */
  status(): RaftStatus {
    return {
      id: this.id, term: this.term, vote: this.vote, role: this.role, leaderId: this.leaderId,
      commitIndex: this.log.committed, appliedIndex: this.log.applied, firstIndex: this.log.firstIndex(),
      lastIndex: this.log.lastIndex(), config: this.currentConfig(), transferee: this.transferee,
    };
  }

  /** Diagnostic: the term at `index` (undefined when compacted or absent). */
  termAt(index: number): number | undefined {
    return this.log.term(index);
  }

  /** Diagnostic: entries in [lo, hi), which must be available. */
  entriesIn(lo: number, hi: number): Entry[] {
    return this.log.slice(lo, hi, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  }

  /** Diagnostic: how far the leader knows `peer` to be replicated (undefined when not leader). */
  matchIndexOf(peer: NodeId): number | undefined {
    return this.role === 'leader' ? this.progress.get(peer)?.match : undefined;
  }

  // ---------------------------------------------------------------- term and role changes

  /** Applies the term rules common to all messages; false when the message must be dropped. */
  private checkTerm(m: Message): boolean {
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        // Check-quorum lease: while we heard from a leader within the election timeout, a
        // disruptive candidate is ignored unless a leadership transfer forced the election.
        const inLease = this.cfg.checkQuorum && this.leaderId !== null && this.electionElapsed < this.cfg.electionTicks;
        if (inLease && !m.force) return false;
      }
      if (m.type === 'preVote') return true; // a pre-vote never changes our term
      if (m.type === 'preVoteResp' && !m.reject) return true; // the future term we asked for
      const fromLeader = m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot';
      this.becomeFollower(m.term, fromLeader ? m.from : null);
      return true;
    }
    if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
        // A stale leader (e.g. healed from a partition) learns our term and steps down; without
        // this, pre-vote would stop us from ever raising its term.
        this.sendAppendResponse(m.from, 0, false, 0, 0);
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return false;
    }
    return true;
  }

  private becomeFollower(term: number, leaderId: NodeId | null): void {
    this.resetTerm(term);
    this.role = 'follower';
    this.leaderId = leaderId;
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'leader cannot pre-campaign');
    this.votes.clear();
    this.role = 'preCandidate';
    this.leaderId = null;
    this.resetTimers();
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'leader cannot campaign');
    this.resetTerm(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', `only a candidate becomes leader (was ${this.role})`);
    this.resetTerm(this.term);
    this.role = 'leader';
    this.leaderId = this.id;
    this.progress = new Map();
    this.syncProgress();
    const self = this.progress.get(this.id);
    assert(self !== undefined, 'leader is not a member');
    self.recentActive = true;
    self.maybeUpdate(this.log.lastIndex());
    // A no-op of the new term: commits everything before it (§5.4.2) and unlocks config changes and reads.
    this.termStartIndex = this.appendAsLeader('normal', new Uint8Array(0));
  }

  /** Moves to `term` (forgetting the vote if it is new) and resets per-term volatile state. */
  private resetTerm(term: number): void {
    assert(term >= this.term, 'term went backwards');
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    this.leaderId = null;
    this.votes.clear();
    this.transferee = null;
    this.pendingReads = [];
    this.resetTimers();
  }

  private resetTimers(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTicks = this.cfg.electionTicks + this.random.int(this.cfg.electionTicks);
  }

  // ---------------------------------------------------------------- elections

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTicks) {
      this.campaign(this.cfg.preVote ? 'preVote' : 'vote', false);
    }
  }

  /** Only voters campaign: learners and removed nodes wait to hear from a leader. */
  private promotable(): boolean {
    return this.voters.has(this.id);
  }

  private campaign(kind: 'preVote' | 'vote', force: boolean): void {
    if (kind === 'preVote') this.becomePreCandidate();
    else this.becomeCandidate();
    const voteTerm = kind === 'preVote' ? this.term + 1 : this.term;
    if (this.poll(this.id, true) === 'won') {
      this.onElectionWon();
      return;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const voter of this.voters) {
      if (voter === this.id) continue;
      this.send({ type: kind, from: this.id, to: voter, term: voteTerm, lastIndex, lastTerm, force });
    }
  }

  private onElectionWon(): void {
    if (this.role === 'preCandidate') this.campaign('vote', false);
    else this.becomeLeader();
  }

  /** Records a vote and tallies the voters' answers. */
  private poll(from: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    let grantedCount = 0;
    let rejectedCount = 0;
    for (const voter of this.voters) {
      const v = this.votes.get(voter);
      if (v === true) grantedCount += this.hooks.doubleCountVotes === true && voter !== this.id && this.role === 'candidate' ? 2 : 1;
      else if (v === false) rejectedCount++;
    }
    const quorum = this.quorum();
    if (grantedCount >= quorum) return 'won';
    if (rejectedCount > this.voters.size - quorum) return 'lost';
    return 'pending';
  }

  private handleVoteRequest(m: VoteMessage): void {
    const canVote = this.vote === m.from
      || (this.vote === null && this.leaderId === null)
      || (m.type === 'preVote' && m.term > this.term);
    const upToDate = this.hooks.grantVoteToStaleLog === true || this.log.isUpToDate(m.lastIndex, m.lastTerm);
    const type = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    if (canVote && upToDate) {
      // A granted pre-vote answers with the asked-for term so the pre-candidate can count it.
      this.send({ type, from: this.id, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type, from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  private handleVoteResponse(m: VoteResponseMessage): void {
    const expected = this.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
    if (m.type !== expected) return;
    const outcome = this.poll(m.from, !m.reject);
    if (outcome === 'won') this.onElectionWon();
    else if (outcome === 'lost') this.becomeFollower(this.term, null);
  }

  // ---------------------------------------------------------------- role-specific steps

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        this.electionElapsed = 0;
        this.leaderId = m.from;
        this.handleFromLeader(m);
        return;
      case 'timeoutNow':
        if (this.promotable()) this.campaign('vote', true);
        return;
      case 'readIndexResp':
        this.readStates.push({ requestId: m.requestId, index: m.index });
        return;
      default:
        return; // responses meant for a leader or candidate of this term: stale, drop
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // §5.2: a leader of our term exists; recognise it.
        this.becomeFollower(this.term, m.from);
        this.handleFromLeader(m);
        return;
      case 'voteResp':
      case 'preVoteResp':
        this.handleVoteResponse(m);
        return;
      default:
        return;
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.progress.get(m.from);
    switch (m.type) {
      case 'appendResp':
        if (pr !== undefined) this.handleAppendResponse(m, pr);
        return;
      case 'heartbeatResp':
        if (pr !== undefined) this.handleHeartbeatResponse(m, pr);
        return;
      case 'readIndex':
        this.handleReadRequest(m.requestId, m.from);
        return;
      default:
        return; // another leader of our term cannot exist; late votes and reads are stale
    }
  }

  private handleFromLeader(m: AppendMessage | HeartbeatMessage | SnapshotMessage): void {
    if (m.type === 'append') this.handleAppend(m);
    else if (m.type === 'heartbeat') this.handleHeartbeat(m);
    else this.handleSnapshot(m);
  }

  // ---------------------------------------------------------------- follower replication

  private handleAppend(m: AppendMessage): void {
    if (m.prevIndex < this.log.committed) {
      this.sendAppendResponse(m.from, this.log.committed, false, 0, 0);
      return;
    }
    const result = this.log.maybeAppend(m.prevIndex, m.prevTerm, m.commit, m.entries);
    if (result !== undefined) {
      this.recordConfigs(result.appended);
      this.sendAppendResponse(m.from, result.lastNewIndex, false, 0, 0);
      return;
    }
    // Fast back-off: point the leader at the last index whose term could still match.
    const hintIndex = this.log.findConflictByTerm(Math.min(m.prevIndex, this.log.lastIndex()), m.prevTerm);
    this.sendAppendResponse(m.from, m.prevIndex, true, hintIndex, this.log.term(hintIndex) ?? 0);
  }

  private handleHeartbeat(m: HeartbeatMessage): void {
    this.log.commitTo(m.commit);
    this.send({ type: 'heartbeatResp', from: this.id, to: m.from, term: this.term, readSeq: m.readSeq });
  }

  private handleSnapshot(m: SnapshotMessage): void {
    const { index, term } = m.snapshot.metadata;
    if (index <= this.log.committed) {
      this.sendAppendResponse(m.from, this.log.committed, false, 0, 0);
      return;
    }
    if (this.log.matchTerm(index, term)) {
      // We already hold the snapshot's last entry, so everything before it matches: fast-forward.
      this.log.commitTo(index);
    } else {
      this.log.restore(m.snapshot);
      this.configHistory = [{ index, config: m.snapshot.metadata.config }];
      this.applyLatestConfig();
    }
    this.sendAppendResponse(m.from, index, false, 0, 0);
  }

  private sendAppendResponse(to: NodeId, index: number, reject: boolean, hintIndex: number, hintTerm: number): void {
    this.send({ type: 'appendResp', from: this.id, to, term: this.term, index, reject, hintIndex, hintTerm });
  }

  // ---------------------------------------------------------------- leader replication

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.transferee !== null && ++this.transferElapsed >= this.cfg.electionTicks) this.transferee = null;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.quorumActive()) {
        // §6.2 check-quorum: a leader cut off from a quorum stops serving (reads, proposals).
        this.becomeFollower(this.term, null);
        return;
      }
      this.retryStaleSnapshots();
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
  }

  /** True when a quorum of voters was heard from during this election period; resets the marks. */
  private quorumActive(): boolean {
    let active = 0;
    for (const voter of this.voters) {
      const pr = this.progress.get(voter);
      if (voter === this.id || pr?.recentActive === true) active++;
    }
    for (const [id, pr] of this.progress) pr.recentActive = id === this.id;
    return active >= this.quorum();
  }

  /** A snapshot message can be lost; after two election periods without an answer, probe again. */
  private retryStaleSnapshots(): void {
    for (const pr of this.progress.values()) {
      if (pr.state === 'snapshot' && ++pr.snapshotAgeElections >= 2) {
        pr.pendingSnapshotIndex = 0;
        pr.becomeProbe();
      }
    }
  }

  private broadcastHeartbeat(): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit beyond what it is known to hold.
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit, readSeq: this.readSeq });
    }
  }

  private broadcastAppend(): void {
    for (const id of this.progress.keys()) {
      if (id !== this.id) this.sendAppend(id, true);
    }
  }

  /** Sends the next append (or a snapshot) to `to` if its window allows; true if sent. */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined || !this.log.isAvailable(pr.next)) return this.sendSnapshot(to, pr);
    const lastIndex = this.log.lastIndex();
    const entries = pr.next <= lastIndex
      ? this.log.slice(pr.next, lastIndex + 1, this.cfg.maxMessageBytes, this.cfg.maxEntriesPerMessage)
      : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    let sizeBytes = 0;
    for (const e of entries) sizeBytes += entrySizeBytes(e);
    this.send({ type: 'append', from: this.id, to, term: this.term, prevIndex, prevTerm, entries, commit: this.log.committed });
    pr.sentEntries(entries.length, prevIndex + entries.length, sizeBytes);
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    // Only to a follower that answered recently: snapshots are large, don't send into the void.
    if (!pr.recentActive) return false;
    const snapshot = this.storage.snapshot();
    assert(snapshot.metadata.index >= this.log.firstIndex() - 1 || this.log.unstableSnapshot() !== undefined, 'snapshot older than the log start');
    if (snapshot.metadata.index < pr.next - 1 && this.log.isAvailable(pr.next)) return false;
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send({ type: 'snapshot', from: this.id, to, term: this.term, snapshot });
    return true;
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  private handleAppendResponse(m: AppendResponseMessage, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      const probeIndex = m.hintTerm > 0 ? this.log.findConflictByTerm(m.hintIndex, m.hintTerm) : m.hintIndex;
      if (pr.maybeDecreaseTo(m.index, probeIndex)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from, true);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) {
      if (wasPaused && pr.state === 'probe') this.sendAppend(m.from, false);
      return;
    }
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) pr.becomeReplicate();
    else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
    if (this.maybeCommit()) this.broadcastAppend();
    while (this.sendAppend(m.from, false)) { /* fill the window */ }
    if (this.transferee === m.from && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
  }

  private handleHeartbeatResponse(m: HeartbeatResponseMessage, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === 'replicate') {
      if (pr.inflights.full()) pr.inflights.freeFirstOne();
      // A lost append in the middle of the window shows up as no progress across heartbeats.
      if (pr.match < this.log.lastIndex() && pr.match === pr.heartbeatMatch) pr.becomeProbe();
      pr.heartbeatMatch = pr.match;
    }
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, true);
    if (m.readSeq > pr.readAckSeq) {
      pr.readAckSeq = m.readSeq;
      this.releaseReads();
    }
  }

  /** Advances the commit index to the quorum match, but only for an entry of this term (§5.4.2). */
  private maybeCommit(): boolean {
    const quorumIndex = this.quorumMatchIndex();
    if (quorumIndex <= this.log.committed) return false;
    if (this.hooks.commitPreviousTermByQuorum !== true && this.log.term(quorumIndex) !== this.term) return false;
    this.log.commitTo(quorumIndex);
    this.pruneConfigHistory();
    return true;
  }

  private quorumMatchIndex(): number {
    const matches: number[] = [];
    for (const voter of this.voters) matches.push(this.progress.get(voter)?.match ?? 0);
    if (matches.length === 0) return 0;
    matches.sort((a, b) => b - a);
    return matches[this.quorum() - 1] ?? 0;
  }

  private quorum(): number {
    return Math.floor(this.voters.size / 2) + 1;
  }

  private proposalRefusal(sizeBytes: number): Refusal | undefined {
    if (this.role !== 'leader') return 'notLeader';
    if (this.transferee !== null) return 'transferring';
    if (sizeBytes > this.cfg.maxProposalBytes) return 'tooLarge';
    if (this.log.lastIndex() - this.log.committed >= this.cfg.maxUncommittedEntries) return 'tooManyUncommitted';
    return undefined;
  }

  /** Appends one entry of this term to the leader's log and starts replicating it. */
  private appendAsLeader(type: 'normal' | 'config', data: Uint8Array): number {
    const index = this.log.lastIndex() + 1;
    const entry: Entry = { term: this.term, index, type, data };
    this.log.append([entry]);
    this.recordConfigs([entry]);
    const self = this.progress.get(this.id);
    assert(self !== undefined, 'leader without own progress');
    self.maybeUpdate(index);
    this.maybeCommit();
    this.broadcastAppend();
    return index;
  }

  // ---------------------------------------------------------------- reads

  private handleReadRequest(requestId: string, from: NodeId): RequestResult {
    // The commit index is only known to be up to date once an entry of this term committed.
    if (this.log.term(this.log.committed) !== this.term) return { ok: false, reason: 'notReady' };
    if (this.pendingReads.length >= this.cfg.maxPendingReads) return { ok: false, reason: 'tooManyReads' };
    const index = this.log.committed;
    if (this.voters.size === 1 || this.hooks.skipReadConfirmation === true) {
      this.deliverRead(requestId, from, index);
      return { ok: true };
    }
    this.readSeq++;
    this.pendingReads.push({ requestId, from, index, seq: this.readSeq });
    this.broadcastHeartbeat();
    return { ok: true };
  }

  /** Releases reads, oldest first, whose confirmation round a quorum of voters acknowledged. */
  private releaseReads(): void {
    for (;;) {
      const read = this.pendingReads[0];
      if (read === undefined) return;
      let acks = 0;
      for (const voter of this.voters) {
        if (voter === this.id || (this.progress.get(voter)?.readAckSeq ?? 0) >= read.seq) acks++;
      }
      if (acks < this.quorum()) return;
      this.pendingReads.shift();
      this.deliverRead(read.requestId, read.from, read.index);
    }
  }

  private deliverRead(requestId: string, from: NodeId, index: number): void {
    if (from === this.id) this.readStates.push({ requestId, index });
    else this.send({ type: 'readIndexResp', from: this.id, to: from, term: this.term, requestId, index });
  }

  // ---------------------------------------------------------------- membership

  private currentConfig(): ConfigState {
    const latest = this.configHistory[this.configHistory.length - 1];
    assert(latest !== undefined, 'no config');
    return latest.config;
  }

  private latestConfigIndex(): number {
    return this.configHistory[this.configHistory.length - 1]?.index ?? 0;
  }

  /** Tracks config entries as they are appended: a config takes effect when appended (§4.1). */
  private recordConfigs(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    let changed = false;
    // Entries at or after `first` were replaced: configs they carried are no longer in the log.
    while (this.configHistory.length > 1 && this.latestConfigIndex() >= first.index) {
      this.configHistory.pop();
      changed = true;
    }
    for (const e of entries) {
      if (e.type !== 'config') continue;
      this.configHistory.push({ index: e.index, config: decodeConfig(e.data) });
      changed = true;
    }
    if (changed) this.applyLatestConfig();
  }

  private pruneConfigHistory(): void {
    while ((this.configHistory[1]?.index ?? Infinity) <= this.log.committed) this.configHistory.shift();
  }

  private applyLatestConfig(): void {
    const config = this.currentConfig();
    this.voters = new Set(config.voters);
    this.learners = new Set(config.learners);
    if (this.role === 'leader') this.syncProgress();
    if (this.transferee !== null && !this.voters.has(this.transferee)) this.transferee = null;
  }

  /** Gives the leader a progress for every member and drops removed ones. */
  private syncProgress(): void {
    const members = new Set([...this.voters, ...this.learners]);
    for (const id of members) {
      if (!this.progress.has(id)) {
        this.progress.set(id, new Progress(this.log.lastIndex() + 1, this.cfg.maxInflightMessages, this.cfg.maxInflightBytes));
      }
    }
    for (const id of [...this.progress.keys()]) {
      if (!members.has(id)) this.progress.delete(id);
    }
  }

  private changedConfig(change: ConfigChange): ConfigState | undefined {
    const voters = new Set(this.voters);
    const learners = new Set(this.learners);
    const { nodeId } = change;
    switch (change.type) {
      case 'addVoter':
        if (voters.has(nodeId)) return undefined;
        learners.delete(nodeId);
        voters.add(nodeId);
        break;
      case 'addLearner':
        if (voters.has(nodeId) || learners.has(nodeId)) return undefined;
        learners.add(nodeId);
        break;
      case 'removeNode':
        // The leader never removes itself: transfer leadership first (keeps quorum math simple).
        if (nodeId === this.id || (!voters.has(nodeId) && !learners.has(nodeId))) return undefined;
        voters.delete(nodeId);
        learners.delete(nodeId);
        break;
    }
    return { voters: [...voters].sort(), learners: [...learners].sort() };
  }

  // ---------------------------------------------------------------- plumbing

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private hardStateChanged(): boolean {
    const p = this.persistedHardState;
    return p.term !== this.term || p.vote !== this.vote || p.commit !== this.log.committed;
  }

  private send(m: Message): void {
    assert(m.to !== this.id, 'message to self');
    this.messages.push(m);
  }
}
