/**
 * Deterministic simulation of a whole Raft cluster in one process, from one seed: simulated
 * clock, network (drop, delay, reorder, duplicate, partitions that heal, asymmetric links) and
 * disks (a crash loses the Ready that was not yet synced; restart reads what was). A client
 * workload proposes, reads, changes membership and transfers leadership; nodes snapshot and
 * compact. Invariants are checked as the run goes; the first violation ends the run with the
 * seed and a trace of the last events.
 */

import { AssertionError } from '../../src/base/assert.js';
import { SeededRandom } from '../../src/base/prng.js';
import type { RaftConfig } from '../../src/consensus/limits.js';
import { RaftNode } from '../../src/consensus/raft.js';
import type { RaftTestHooks, Ready } from '../../src/consensus/raft.js';
import { MemoryStorage } from '../../src/consensus/storage.js';
import type { ConfigState, Entry, Message, NodeId, ReadState } from '../../src/consensus/types.js';
import { decodeConfig } from '../../src/consensus/types.js';
import { MetadataHarness, MetadataViolation } from './metadata-sim.js';
import type { MetadataSimOptions, MetadataStats } from './metadata-sim.js';
import { EventQueue } from './queue.js';

/** Fault rates and timings of a run (all times in simulated milliseconds). */
export interface FaultProfile {
  readonly dropRate: number;
  readonly duplicateRate: number;
  readonly delayMinMs: number;
  readonly delayMaxMs: number;
  /** Mean time between fault injections (crash, partition, asymmetric link). */
  readonly faultIntervalMs: number;
  readonly crashes: boolean;
  readonly partitions: boolean;
}

/** The default faults of a run. */
export const DEFAULT_FAULTS: FaultProfile = {
  dropRate: 0.02, duplicateRate: 0.01, delayMinMs: 1, delayMaxMs: 15, faultIntervalMs: 250, crashes: true, partitions: true,
};

/** No faults at all (throughput measurement). */
export const NO_FAULTS: FaultProfile = {
  dropRate: 0, duplicateRate: 0, delayMinMs: 1, delayMaxMs: 1, faultIntervalMs: Infinity, crashes: false, partitions: false,
};

/** Parameters of one simulated run. */
export interface SimOptions {
  readonly seed: number;
  readonly nodeCount: number;
  /** Length of the phase with faults; then everything heals and liveness is checked. */
  readonly faultPhaseMs?: number;
  /** Bound on ticks from healing to a leader plus a committed, everywhere-applied proposal. */
  readonly livenessTicksMax?: number;
  readonly faults?: FaultProfile;
  readonly raftConfig?: Partial<RaftConfig>;
  readonly testHooks?: RaftTestHooks;
  /** Mean milliseconds between client operations. */
  readonly clientIntervalMs?: number;
  readonly membershipChanges?: boolean;
  readonly traceLength?: number;
  /**
   * When set, client writes are encoded metadata commands and every node applies committed
   * entries through its own MetadataStateMachine, checked for identical states and results.
   */
  readonly metadata?: MetadataSimOptions;
}

/** Measurements of a clean run. */
export interface SimStats {
  readonly committedEntries: number;
  readonly readsServed: number;
  readonly elections: number;
  readonly crashes: number;
  readonly snapshotsInstalled: number;
  readonly configChanges: number;
  readonly transfers: number;
  readonly events: number;
  /** Ticks from losing a leader (crash or isolation) to the next leader, one per loss. */
  readonly leaderRecoveryTicks: readonly number[];
  /** Ticks from healing to a proposal applied on every member. */
  readonly healToConvergedTicks: number;
  /** The leader's config when the run converged. */
  readonly finalConfig: ConfigState;
  /** The metadata workload's counters (null without the metadata option). */
  readonly metadata: MetadataStats | null;
}

/** The result of one run. */
export type SimResult =
  | { readonly ok: true; readonly seed: number; readonly stats: SimStats }
  | { readonly ok: false; readonly seed: number; readonly violation: string; readonly trace: readonly string[] };

/** An invariant violation found by the simulator. */
class Violation extends Error {}

const TICK_MS = 10;
const SNAPSHOT_EVERY_ENTRIES = 40;
const KEEP_AFTER_SNAPSHOT_ENTRIES = 8;

type SimEvent =
  | { readonly kind: 'tick'; readonly node: number }
  | { readonly kind: 'deliver'; readonly message: Message }
  | { readonly kind: 'persisted'; readonly node: number; readonly incarnation: number; readonly ready: Ready }
  | { readonly kind: 'restart'; readonly node: number }
  | { readonly kind: 'heal'; readonly faultId: number }
  | { readonly kind: 'fault' }
  | { readonly kind: 'client' }
  | { readonly kind: 'endFaults' };

/** The replicated state machine: a hash chain over every applied entry. */
interface AppState {
  appliedIndex: number;
  digest: number;
  commands: number;
  config: ConfigState;
}

interface PendingRead {
  readonly requestId: string;
  readonly requiredIndex: number;
}

class SimNode {
  raft: RaftNode | null = null;
  incarnation = 0;
  readyPending = false;
  app: AppState;
  readonly reads = new Map<string, PendingRead>();
  confirmedReads: ReadState[] = [];

  constructor(readonly index: number, readonly id: NodeId, readonly storage: MemoryStorage, bootstrap: ConfigState) {
    this.app = { appliedIndex: 0, digest: 0, commands: 0, config: bootstrap };
  }
}

interface CommittedRecord {
  readonly term: number;
  readonly dataHash: number;
  readonly digest: number;
  /** An upper bound on the term in which the entry was committed (the applier's term). */
  witnessTerm: number;
}

/** Runs one simulated cluster; never throws for a violation, returns it. */
export function runSimulation(options: SimOptions): SimResult {
  const sim = new Simulation(options);
  try {
    const stats = sim.run();
    return { ok: true, seed: options.seed, stats };
  } catch (e: unknown) {
    if (e instanceof Violation || e instanceof MetadataViolation || e instanceof AssertionError) {
      return { ok: false, seed: options.seed, violation: e.message, trace: sim.formatTrace() };
    }
    throw e;
  }
}

class Simulation {
  private readonly rng: SeededRandom;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly nodes: SimNode[] = [];
  private readonly faults: FaultProfile;
  private readonly faultPhaseMs: number;
  private readonly livenessTicksMax: number;
  private readonly clientIntervalMs: number;
  private readonly membershipChanges: boolean;
  private readonly metadata: MetadataHarness | undefined;
  private nowMs = 0;
  private faultsActive = true;
  private readonly blockedLinks = new Map<string, number>();
  private readonly activeFaults = new Map<number, () => void>();
  private nextFaultId = 1;
  // Invariant state.
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly committed = new Map<number, CommittedRecord>();
  private maxCommittedIndex = 0;
  private maxAppliedIndex = 0;
  private highestLeaderTerm = 0;
  private leaderLostAtMs: number | undefined;
  // Workload.
  private nextRequest = 1;
  private nextWrite = 1;
  private livenessProbe: { index: number; term: number; node: number } | undefined;
  private healedAtMs = 0;
  private convergedAtMs: number | undefined;
  // Stats.
  private readsServed = 0;
  private elections = 0;
  private crashes = 0;
  private snapshotsInstalled = 0;
  private configChanges = 0;
  private transfers = 0;
  private events = 0;
  private readonly leaderRecoveryTicks: number[] = [];
  // Trace ring.
  private readonly trace: string[] = [];
  private readonly traceLength: number;
  private traceNext = 0;

  constructor(private readonly options: SimOptions) {
    this.rng = new SeededRandom(options.seed);
    this.faults = options.faults ?? DEFAULT_FAULTS;
    this.faultPhaseMs = options.faultPhaseMs ?? 3000;
    this.livenessTicksMax = options.livenessTicksMax ?? 600;
    this.clientIntervalMs = options.clientIntervalMs ?? 8;
    this.membershipChanges = options.membershipChanges ?? true;
    this.traceLength = options.traceLength ?? 60;
    this.metadata = options.metadata === undefined ? undefined : new MetadataHarness(options.seed, options.metadata);
    const ids = Array.from({ length: options.nodeCount }, (_, i) => `n${i}`);
    // One seed in three (with membership changes and 5+ nodes) starts with three voters; the
    // others begin with empty storage outside the cluster and must be added, caught up (entries
    // or a snapshot) and promoted like a newly provisioned server.
    const joiners = this.membershipChanges && ids.length >= 5 && options.seed % 3 === 0;
    const bootstrap: ConfigState = { voters: joiners ? ids.slice(0, 3) : ids, learners: [] };
    const outside: ConfigState = { voters: [], learners: [] };
    for (const [i, id] of ids.entries()) {
      const initial = bootstrap.voters.includes(id) ? bootstrap : outside;
      const node = new SimNode(i, id, new MemoryStorage(initial), initial);
      this.nodes.push(node);
      this.startNode(node);
      this.queue.push(this.rng.int(TICK_MS), { kind: 'tick', node: i });
    }
    this.queue.push(0, { kind: 'client' });
    this.queue.push(this.faultDelayMs(), { kind: 'fault' });
    this.queue.push(this.faultPhaseMs, { kind: 'endFaults' });
  }

  run(): SimStats {
    const endMs = this.faultPhaseMs + this.livenessTicksMax * TICK_MS;
    for (;;) {
      const next = this.queue.pop();
      if (next === undefined) break;
      this.nowMs = next.timeMs;
      if (this.nowMs > endMs) {
        throw new Violation(`liveness: ${this.livenessTicksMax} ticks after healing, ${this.livenessSummary()}`);
      }
      this.events++;
      this.handle(next.item);
      if (this.convergedAtMs !== undefined) break;
    }
    this.checkLogMatching();
    return {
      committedEntries: this.maxCommittedIndex, readsServed: this.readsServed, elections: this.elections,
      crashes: this.crashes, snapshotsInstalled: this.snapshotsInstalled, configChanges: this.configChanges,
      transfers: this.transfers, events: this.events, leaderRecoveryTicks: this.leaderRecoveryTicks,
      healToConvergedTicks: Math.round(((this.convergedAtMs ?? this.nowMs) - this.healedAtMs) / TICK_MS),
      finalConfig: this.currentLeader()?.raft?.status().config ?? { voters: [], learners: [] },
      metadata: this.metadata?.stats() ?? null,
    };
  }

  formatTrace(): string[] {
    const n = Math.min(this.traceNext, this.traceLength);
    const out: string[] = [];
    for (let i = this.traceNext - n; i < this.traceNext; i++) out.push(this.trace[i % this.traceLength] ?? '');
    return out;
  }

  // ------------------------------------------------------------------ event dispatch

  private handle(event: SimEvent): void {
    switch (event.kind) {
      case 'tick': {
        const node = this.node(event.node);
        this.queue.push(this.nowMs + TICK_MS, event);
        if (node.raft === null) return;
        node.raft.tick();
        this.afterStep(node);
        if (!this.faultsActive && this.nowMs % (TICK_MS * 5) < TICK_MS) this.checkLiveness();
        return;
      }
      case 'deliver':
        this.deliver(event.message);
        return;
      case 'persisted':
        this.persisted(event.node, event.incarnation, event.ready);
        return;
      case 'restart':
        this.restart(this.node(event.node));
        return;
      case 'heal': {
        const heal = this.activeFaults.get(event.faultId);
        if (heal !== undefined) heal();
        return;
      }
      case 'fault':
        if (this.faultsActive) {
          this.injectFault();
          this.queue.push(this.nowMs + this.faultDelayMs(), event);
        }
        return;
      case 'client':
        this.clientOperation();
        this.queue.push(this.nowMs + 1 + this.rng.int(this.clientIntervalMs * 2), event);
        return;
      case 'endFaults':
        this.endFaults();
        return;
    }
  }

  private node(index: number): SimNode {
    const node = this.nodes[index];
    if (node === undefined) throw new Error(`no node ${index}`);
    return node;
  }

  private nodeById(id: NodeId): SimNode | undefined {
    return this.nodes[Number(id.slice(1))];
  }

  private record(text: string): void {
    this.trace[this.traceNext % this.traceLength] = `t=${this.nowMs}ms ${text}`;
    this.traceNext++;
  }

  // ------------------------------------------------------------------ nodes, disks, crashes

  private startNode(node: SimNode): void {
    const snapshot = node.storage.snapshot();
    const decoded = snapshot.metadata.index === 0 ? undefined : decodeAppState(snapshot.data, snapshot.metadata.config);
    node.app = decoded?.app ?? { appliedIndex: 0, digest: 0, commands: 0, config: snapshot.metadata.config };
    this.metadata?.start(node.id, decoded?.metadata, node.app.appliedIndex);
    node.raft = new RaftNode({
      id: node.id,
      storage: node.storage,
      random: new SeededRandom((this.options.seed * 7919 + node.index * 104729 + node.incarnation * 31) >>> 0),
      config: this.options.raftConfig ?? {},
      appliedIndex: node.app.appliedIndex,
      ...(this.options.testHooks === undefined ? {} : { testHooks: this.options.testHooks }),
    });
    node.readyPending = false;
    node.reads.clear();
    node.confirmedReads = [];
  }

  private crash(node: SimNode): void {
    if (node.raft === null) return;
    const wasLeader = node.raft.status().role === 'leader';
    this.record(`CRASH ${node.id}${wasLeader ? ' (leader)' : ''} (unsynced Ready lost: ${node.readyPending})`);
    if (wasLeader && node.raft.status().term >= this.highestLeaderTerm) this.leaderLostAtMs ??= this.nowMs;
    node.raft = null;
    node.incarnation++;
    node.readyPending = false;
    this.crashes++;
    this.queue.push(this.nowMs + 50 + this.rng.int(600), { kind: 'restart', node: node.index });
  }

  private restart(node: SimNode): void {
    if (node.raft !== null) return;
    this.startNode(node);
    const s = node.raft!.status();
    this.record(`RESTART ${node.id} term=${s.term} commit=${s.commitIndex} last=${s.lastIndex} applied=${node.app.appliedIndex}`);
    this.checkRestoredState(node);
  }

  /** After any step: take a Ready if none is being synced, and check role invariants. */
  private afterStep(node: SimNode): void {
    const raft = node.raft;
    if (raft === null) return;
    this.observeLeadership(node);
    if (node.readyPending || !raft.hasReady()) return;
    const ready = raft.ready();
    node.readyPending = true;
    const syncDelayMs = this.rng.int(3);
    this.queue.push(this.nowMs + syncDelayMs, { kind: 'persisted', node: node.index, incarnation: node.incarnation, ready });
  }

  /** The disk sync of a Ready completed: it is durable now; send, apply, advance. */
  private persisted(index: number, incarnation: number, ready: Ready): void {
    const node = this.node(index);
    if (node.incarnation !== incarnation || node.raft === null) return; // crashed before the sync
    if (ready.snapshot !== null) node.storage.applySnapshot(ready.snapshot);
    node.storage.append(ready.entries);
    if (ready.hardState !== null) node.storage.setHardState(ready.hardState);
    for (const m of ready.messages) this.send(m);
    if (ready.snapshot !== null) this.installSnapshot(node, ready.snapshot.data, ready.snapshot.metadata.index, ready.snapshot.metadata.config);
    for (const e of ready.committedEntries) this.apply(node, e);
    for (const rs of ready.readStates) node.confirmedReads.push(rs);
    this.serveReads(node);
    node.raft.advance(ready);
    node.readyPending = false;
    this.maybeCompact(node);
    this.afterStep(node);
  }

  private maybeCompact(node: SimNode): void {
    const applied = node.app.appliedIndex;
    if (applied - node.storage.snapshot().metadata.index < SNAPSHOT_EVERY_ENTRIES) return;
    node.storage.createSnapshot(applied, node.app.config, encodeAppState(node.app, this.metadata?.snapshot(node.id)));
    node.storage.compact(applied - KEEP_AFTER_SNAPSHOT_ENTRIES);
  }

  // ------------------------------------------------------------------ state machine and checks

  private apply(node: SimNode, e: Entry): void {
    if (e.index !== node.app.appliedIndex + 1) {
      throw new Violation(`apply order: ${node.id} applied ${e.index} after ${node.app.appliedIndex}`);
    }
    const dataHash = hashBytes(e.data);
    const digest = mix(mix(mix(node.app.digest, e.index), e.term), dataHash);
    node.app.appliedIndex = e.index;
    node.app.digest = digest;
    if (e.type === 'config') node.app.config = decodeConfig(e.data);
    else if (e.data.byteLength > 0) node.app.commands++;
    const term = node.raft?.status().term ?? 0;
    const known = this.committed.get(e.index);
    if (known === undefined) {
      this.committed.set(e.index, { term: e.term, dataHash, digest, witnessTerm: term });
      this.maxCommittedIndex = Math.max(this.maxCommittedIndex, e.index);
    } else {
      if (known.term !== e.term || known.dataHash !== dataHash) {
        throw new Violation(`committed entry changed: index ${e.index} was term ${known.term}, ${node.id} applied term ${e.term}`);
      }
      if (known.digest !== digest) throw new Violation(`state machines diverged at index ${e.index} on ${node.id}`);
      known.witnessTerm = Math.min(known.witnessTerm, term);
    }
    this.maxAppliedIndex = Math.max(this.maxAppliedIndex, e.index);
    this.metadata?.apply(node.id, e);
    const probe = this.livenessProbe;
    if (probe !== undefined && e.index === probe.index && e.term !== probe.term && node.index === probe.node) this.livenessProbe = undefined;
  }

  private installSnapshot(node: SimNode, data: Uint8Array, index: number, config: ConfigState): void {
    const { app: state, metadata } = decodeAppState(data, config);
    if (state.appliedIndex !== index) throw new Violation(`snapshot at ${index} holds state of ${state.appliedIndex}`);
    const known = this.committed.get(index);
    if (known !== undefined && known.digest !== state.digest) throw new Violation(`snapshot at ${index} diverges from the committed history`);
    node.app = state;
    if (this.metadata !== undefined) this.metadata.restore(node.id, metadata ?? new Uint8Array(), index);
    this.snapshotsInstalled++;
    this.record(`${node.id} installed snapshot at ${index}`);
  }

  /** A restarted node's persisted commit prefix must agree with the committed history. */
  private checkRestoredState(node: SimNode): void {
    const raft = node.raft!;
    const s = raft.status();
    for (let i = Math.max(s.firstIndex, 1); i <= s.commitIndex; i++) {
      const known = this.committed.get(i);
      if (known !== undefined && raft.termAt(i) !== known.term) {
        throw new Violation(`restart: ${node.id} holds term ${raft.termAt(i)} at committed index ${i} (was ${known.term})`);
      }
    }
  }

  /** Election safety and leader completeness, checked whenever a node is leader. */
  private observeLeadership(node: SimNode): void {
    const raft = node.raft!;
    const s = raft.status();
    if (s.role !== 'leader') return;
    const existing = this.leaderOfTerm.get(s.term);
    if (existing === node.id) return;
    if (existing !== undefined) throw new Violation(`two leaders in term ${s.term}: ${existing} and ${node.id}`);
    this.leaderOfTerm.set(s.term, node.id);
    this.elections++;
    this.record(`LEADER ${node.id} term=${s.term} last=${s.lastIndex} commit=${s.commitIndex}`);
    if (s.term > this.highestLeaderTerm) {
      this.highestLeaderTerm = s.term;
      if (this.leaderLostAtMs !== undefined) {
        this.leaderRecoveryTicks.push(Math.round((this.nowMs - this.leaderLostAtMs) / TICK_MS));
        this.leaderLostAtMs = undefined;
      }
    }
    // §5.4 leader completeness: every entry committed in an earlier term is in the new leader's log.
    for (const [index, rec] of this.committed) {
      if (rec.witnessTerm >= s.term || index < s.firstIndex) continue;
      const term = raft.termAt(index);
      if (term !== rec.term) {
        throw new Violation(`leader completeness: ${node.id} leader of term ${s.term} has term ${term} at committed index ${index} (term ${rec.term})`);
      }
    }
  }

  /** §5.3 log matching: same index and term ⇒ identical prefixes, across every live pair. */
  private checkLogMatching(): void {
    const live = this.nodes.filter((n) => n.raft !== null);
    for (let a = 0; a < live.length; a++) {
      for (let b = a + 1; b < live.length; b++) this.checkPair(live[a]!, live[b]!);
    }
  }

  private checkPair(a: SimNode, b: SimNode): void {
    const ra = a.raft!;
    const rb = b.raft!;
    const sa = ra.status();
    const sb = rb.status();
    const lo = Math.max(sa.firstIndex, sb.firstIndex);
    let hi = Math.min(sa.lastIndex, sb.lastIndex);
    while (hi >= lo && ra.termAt(hi) !== rb.termAt(hi)) hi--;
    if (hi < lo) return;
    const ea = ra.entriesIn(lo, hi + 1);
    const eb = rb.entriesIn(lo, hi + 1);
    for (let i = 0; i < ea.length; i++) {
      const x = ea[i]!;
      const y = eb[i]!;
      if (x.term !== y.term || hashBytes(x.data) !== hashBytes(y.data) || x.type !== y.type) {
        throw new Violation(`log matching: ${a.id} and ${b.id} agree at ${hi} but differ at ${x.index}`);
      }
    }
  }

  // ------------------------------------------------------------------ reads

  private serveReads(node: SimNode): void {
    const waiting: ReadState[] = [];
    for (const rs of node.confirmedReads) {
      if (rs.index > node.app.appliedIndex) {
        waiting.push(rs);
        continue;
      }
      const read = node.reads.get(rs.requestId);
      if (read === undefined) continue;
      node.reads.delete(rs.requestId);
      if (rs.index < read.requiredIndex) {
        throw new Violation(`stale read ${rs.requestId} on ${node.id}: read index ${rs.index} misses write at ${read.requiredIndex} acknowledged before the read began`);
      }
      const known = this.committed.get(node.app.appliedIndex);
      if (known !== undefined && known.digest !== node.app.digest) throw new Violation(`read ${rs.requestId} served from a diverged state`);
      this.readsServed++;
    }
    node.confirmedReads = waiting;
  }

  // ------------------------------------------------------------------ network

  private send(m: Message): void {
    if (this.blockedLinks.has(`${m.from}>${m.to}`)) return;
    if (this.faultsActive && this.rng.chance(this.faults.dropRate)) return;
    const copies = this.faultsActive && this.rng.chance(this.faults.duplicateRate) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const delayMs = this.rng.range(this.faults.delayMinMs, this.faults.delayMaxMs);
      this.queue.push(this.nowMs + delayMs, { kind: 'deliver', message: m });
    }
  }

  private deliver(m: Message): void {
    const node = this.nodeById(m.to);
    if (node?.raft == null) return;
    if (this.blockedLinks.has(`${m.from}>${m.to}`)) return; // a partition that started in flight
    this.record(describeMessage(m));
    node.raft.step(m);
    this.afterStep(node);
  }

  // ------------------------------------------------------------------ faults

  private faultDelayMs(): number {
    return Math.max(1, Math.round(this.faults.faultIntervalMs * (0.5 + this.rng.next())));
  }

  private injectFault(): void {
    const options: (() => void)[] = [];
    if (this.faults.crashes) options.push(() => this.crashSomeone());
    if (this.faults.partitions) options.push(() => this.isolate(), () => this.split(), () => this.asymmetric());
    const pick = options[this.rng.int(options.length)];
    if (pick !== undefined) pick();
  }

  private crashSomeone(): void {
    const down = this.nodes.filter((n) => n.raft === null).length;
    if (down >= Math.floor((this.nodes.length - 1) / 2)) return;
    // Prefer the leader half of the time: leader loss is the interesting case.
    const leader = this.currentLeader();
    const victim = leader !== undefined && this.rng.chance(0.5) ? leader : this.node(this.rng.int(this.nodes.length));
    this.crash(victim);
  }

  private isolate(): void {
    const leader = this.currentLeader();
    const victim = leader !== undefined && this.rng.chance(0.5) ? leader : this.node(this.rng.int(this.nodes.length));
    const links: string[] = [];
    for (const other of this.nodes) {
      if (other === victim) continue;
      links.push(`${victim.id}>${other.id}`, `${other.id}>${victim.id}`);
    }
    if (victim === leader) this.leaderLostAtMs ??= this.nowMs;
    this.block(links, `ISOLATE ${victim.id}`);
  }

  private split(): void {
    const sideA = this.nodes.filter(() => this.rng.chance(0.5));
    const links: string[] = [];
    for (const a of sideA) {
      for (const b of this.nodes) {
        if (!sideA.includes(b)) links.push(`${a.id}>${b.id}`, `${b.id}>${a.id}`);
      }
    }
    this.block(links, `SPLIT {${sideA.map((n) => n.id).join(',')}} | rest`);
  }

  private asymmetric(): void {
    const a = this.node(this.rng.int(this.nodes.length));
    const links = this.nodes.filter((b) => b !== a && this.rng.chance(0.6)).map((b) => `${a.id}>${b.id}`);
    this.block(links, `ASYMMETRIC ${a.id} cannot send to ${links.length} peers`);
  }

  private block(links: readonly string[], label: string): void {
    const id = this.nextFaultId++;
    for (const l of links) this.blockedLinks.set(l, (this.blockedLinks.get(l) ?? 0) + 1);
    this.record(label);
    this.activeFaults.set(id, () => {
      for (const l of links) {
        const n = (this.blockedLinks.get(l) ?? 1) - 1;
        if (n <= 0) this.blockedLinks.delete(l);
        else this.blockedLinks.set(l, n);
      }
      this.activeFaults.delete(id);
      this.record(`HEAL ${label}`);
    });
    this.queue.push(this.nowMs + 100 + this.rng.int(1200), { kind: 'heal', faultId: id });
  }

  private endFaults(): void {
    this.faultsActive = false;
    for (const heal of [...this.activeFaults.values()]) heal();
    for (const node of this.nodes) this.restart(node);
    this.healedAtMs = this.nowMs;
    this.record('ALL FAULTS HEALED');
  }

  // ------------------------------------------------------------------ workload

  private currentLeader(): SimNode | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const n of this.nodes) {
      const s = n.raft?.status();
      if (s?.role === 'leader' && s.term > bestTerm) {
        best = n;
        bestTerm = s.term;
      }
    }
    return best;
  }

  private clientOperation(): void {
    const roll = this.rng.next();
    if (roll < 0.7) this.clientWrite();
    else if (roll < 0.93) this.clientRead();
    else if (!this.faultsActive) return; // after healing: a steady workload for the liveness bound
    else if (roll < 0.98) {
      if (this.membershipChanges) this.changeMembership();
    } else this.transferLeadership();
  }

  private clientWrite(): void {
    const leader = this.currentLeader();
    if (leader?.raft == null) return;
    let data: Uint8Array;
    if (this.metadata !== undefined) {
      data = this.metadata.nextCommand(leader.id, this.nowMs);
    } else {
      data = new Uint8Array(8);
      new DataView(data.buffer).setFloat64(0, this.nextWrite++);
    }
    leader.raft.propose(data);
    this.afterStep(leader);
  }

  private clientRead(): void {
    const live = this.nodes.filter((n) => n.raft !== null);
    const node = live[this.rng.int(live.length)];
    if (node?.raft == null) return;
    const requestId = `r${this.nextRequest++}`;
    // Every write applied anywhere (hence acknowledgeable) before the read began must be visible.
    const read: PendingRead = { requestId, requiredIndex: this.maxAppliedIndex };
    if (node.raft.readIndex(requestId).ok) {
      if (node.reads.size < 256) node.reads.set(requestId, read);
      this.afterStep(node);
    }
  }

  private changeMembership(): void {
    const leader = this.currentLeader();
    const raft = leader?.raft;
    if (leader === undefined || raft == null) return;
    const { voters, learners } = raft.status().config;
    const members = new Set([...voters, ...learners]);
    const minVoters = this.nodes.length >= 5 ? 3 : 2;
    const choices: { type: 'addVoter' | 'addLearner' | 'removeNode'; nodeId: NodeId }[] = [];
    for (const n of this.nodes) if (!members.has(n.id)) choices.push({ type: 'addLearner', nodeId: n.id });
    for (const l of learners) {
      // Learners catch up before they vote: promote only a learner close to the leader's log.
      if ((raft.matchIndexOf(l) ?? 0) + 5 >= raft.status().lastIndex) choices.push({ type: 'addVoter', nodeId: l });
    }
    if (voters.length > minVoters) {
      for (const v of voters) if (v !== leader.id) choices.push({ type: 'removeNode', nodeId: v });
    }
    for (const l of learners) choices.push({ type: 'removeNode', nodeId: l });
    const change = choices[this.rng.int(choices.length)];
    if (change === undefined) return;
    const result = raft.proposeConfigChange(change);
    if (result.ok) {
      this.configChanges++;
      this.record(`CONFIG ${change.type} ${change.nodeId} at ${result.index} by ${leader.id}`);
    }
    this.afterStep(leader);
  }

  private transferLeadership(): void {
    const leader = this.currentLeader();
    const raft = leader?.raft;
    if (leader === undefined || raft == null) return;
    const voters = raft.status().config.voters.filter((v) => v !== leader.id);
    const target = voters[this.rng.int(voters.length)];
    if (target === undefined) return;
    if (raft.transferLeadership(target).ok) {
      this.transfers++;
      this.record(`TRANSFER ${leader.id} -> ${target}`);
    }
    this.afterStep(leader);
  }

  // ------------------------------------------------------------------ liveness

  private checkLiveness(): void {
    const leader = this.currentLeader();
    if (leader?.raft == null) return;
    if (this.livenessProbe === undefined) {
      const result = leader.raft.propose(new TextEncoder().encode('liveness-probe'));
      if (result.ok) this.livenessProbe = { index: result.index, term: result.term, node: leader.index };
      this.afterStep(leader);
      return;
    }
    const probe = this.livenessProbe;
    const members = leader.raft.status().config;
    for (const id of [...members.voters, ...members.learners]) {
      const n = this.nodeById(id);
      if (n === undefined || n.app.appliedIndex < probe.index) return;
    }
    const rec = this.committed.get(probe.index);
    if (rec?.term !== probe.term) {
      this.livenessProbe = undefined; // the probe lost its slot to another leader; propose again
      return;
    }
    this.convergedAtMs = this.nowMs;
  }

  private livenessSummary(): string {
    const parts = this.nodes.map((n) => {
      const s = n.raft?.status();
      return s === undefined ? `${n.id}:down` : `${n.id}:${s.role}@${s.term} commit=${s.commitIndex} applied=${n.app.appliedIndex} last=${s.lastIndex}`;
    });
    return `no converged commit (probe ${JSON.stringify(this.livenessProbe)}); ${parts.join('; ')}`;
  }
}

// ------------------------------------------------------------------ helpers

function mix(h: number, v: number): number {
  let x = (h ^ v) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

function hashBytes(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of data) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** Snapshot data: the hash-chain state plus, with metadata on, the metadata snapshot bytes. */
function encodeAppState(app: AppState, metadata: Uint8Array | undefined): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    appliedIndex: app.appliedIndex, digest: app.digest, commands: app.commands,
    ...(metadata === undefined ? {} : { metadata: Buffer.from(metadata).toString('base64') }),
  }));
}

function decodeAppState(data: Uint8Array, config: ConfigState): { app: AppState; metadata: Uint8Array | undefined } {
  const parsed = JSON.parse(new TextDecoder().decode(data)) as { appliedIndex: number; digest: number; commands: number; metadata?: string };
  return {
    app: { appliedIndex: parsed.appliedIndex, digest: parsed.digest, commands: parsed.commands, config },
    metadata: parsed.metadata === undefined ? undefined : new Uint8Array(Buffer.from(parsed.metadata, 'base64')),
  };
}

function describeMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'append':
      return `${head} prev=${m.prevIndex}/${m.prevTerm} entries=${m.entries.length} commit=${m.commit}`;
    case 'appendResp':
      return `${head} index=${m.index}${m.reject ? ` REJECT hint=${m.hintIndex}/${m.hintTerm}` : ''}`;
    case 'heartbeat':
      return `${head} commit=${m.commit} readSeq=${m.readSeq}`;
    case 'vote':
    case 'preVote':
      return `${head} last=${m.lastIndex}/${m.lastTerm}${m.force ? ' force' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head} ${m.reject ? 'REJECT' : 'GRANT'}`;
    case 'snapshot':
      return `${head} at=${m.snapshot.metadata.index}/${m.snapshot.metadata.term}`;
    case 'readIndexResp':
      return `${head} ${m.requestId} index=${m.index}`;
    default:
      return head;
  }
}

/** Formats a failed run for humans: the seed first, then the trace; `replayFlags` completes the replay command. */
export function formatFailure(result: Extract<SimResult, { ok: false }>, nodeCount: number, replayFlags = ''): string {
  return [
    `SIMULATION FAILED seed=${result.seed} nodes=${nodeCount}`,
    `violation: ${result.violation}`,
    `replay: npm run sim -- --seed ${result.seed} --nodes ${nodeCount}${replayFlags}`,
    'last events:',
    ...result.trace.map((t) => `  ${t}`),
  ].join('\n');
}
