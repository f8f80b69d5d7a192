/**
 * Deterministic simulation of one replicated shard, from one seed: RF replicas running the pure
 * replication core over simulated disks (a crash loses what was not yet synced) and a simulated
 * network (drop, delay, reorder, duplicate, isolated nodes, cut links), a controller modelled as
 * one linearizable oracle (in reality the Raft-replicated cluster map) that grants primary leases,
 * commits in-sync changes and fails over a dead primary, and a client writing in all three modes.
 * Invariants are checked as the run goes and after every fault heals; the first violation ends
 * the run with the seed and a trace of the last events.
 */

import { AssertionError } from '../../src/base/assert.js';
import { SeededRandom } from '../../src/base/prng.js';
import { applyExpand, applyShrink, onNodeDead } from '../../src/replication/controller.js';
import type { ControllerTestHooks, ReplicaReport } from '../../src/replication/controller.js';
import { FollowerReplica } from '../../src/replication/follower.js';
import type { FollowerPersist } from '../../src/replication/follower.js';
import { DEFAULT_REPLICATION_LIMITS } from '../../src/replication/limits.js';
import type { ReplicationLimits } from '../../src/replication/limits.js';
import { ReplicaLog } from '../../src/replication/log.js';
import { PrimaryReplica } from '../../src/replication/primary.js';
import type { PrimaryOutput, PrimaryTestHooks } from '../../src/replication/primary.js';
import type {
  InSyncRequest, NodeId, ReplicaEntry, ReplicationMessage, ShardView, TruncatedEntry, WriteCompletion, WriteModeName,
} from '../../src/replication/types.js';
import { EventQueue } from '../sim/queue.js';

/** The op of a simulated write is its unique write id. */
type Op = number;

/** Which modes the client uses. */
export type WorkloadMode = WriteModeName | 'mixed';

/** Parameters of one simulated run. */
export interface ReplicationSimOptions {
  readonly seed: number;
  readonly replicationFactor: number;
  readonly mode?: WorkloadMode;
  /** Length of the phase with faults; then everything heals and convergence is checked. */
  readonly faultPhaseMs?: number;
  readonly faults?: boolean;
  /** When set, only this many replicas (chosen from the seed) are ever crashed, isolated or cut off. */
  readonly faultyNodesMax?: number;
  readonly primaryHooks?: PrimaryTestHooks;
  readonly controllerHooks?: ControllerTestHooks;
  /**
   * Primaries stream entries before they are durable (the runtime's mode); a primary that
   * restarts then asks the controller for a new epoch before it writes again.
   */
  readonly streamBeforeDurable?: boolean;
  /** Deliberate bug for can-it-fail tests: with streamBeforeDurable, a restarted primary keeps its epoch. */
  readonly restartWithoutNewEpoch?: boolean;
  readonly traceLength?: number;
}

/** Measurements of a clean run. */
export interface ReplicationSimStats {
  readonly writesProposed: number;
  readonly writesAcked: Readonly<Record<WriteModeName, number>>;
  readonly writesFailed: number;
  readonly refusals: number;
  readonly failovers: number;
  readonly shrinks: number;
  readonly expands: number;
  readonly crashes: number;
  readonly snapshotsSent: number;
  readonly truncatedEntries: number;
  readonly lostAsyncWrites: number;
  readonly finalSeq: number;
  readonly events: number;
}

/** The result of one run. */
export type ReplicationSimResult =
  | { readonly ok: true; readonly seed: number; readonly stats: ReplicationSimStats }
  | { readonly ok: false; readonly seed: number; readonly violation: string; readonly trace: readonly string[] };

/** An invariant violation found by the simulator. */
class Violation extends Error {}

const TICK_MS = 10;
const LEASE_MS = 300;
const FAILURE_TIMEOUT_MS = 500;
const WRITE_TIMEOUT_MS = 2000;
const SETTLE_MS = 3000;
const FINAL_WRITE_DEADLINE_MS = 3000;
const COMPACT_KEEP_ENTRIES = 20;
const COMPACT_EVERY_ENTRIES = 60;
const CONTROLLER = 'controller';

const SIM_LIMITS: ReplicationLimits = {
  ...DEFAULT_REPLICATION_LIMITS,
  followerTimeoutMs: 250, heartbeatMs: 40, retransmitMs: 100, controllerRetryMs: 150,
  maxEntriesPerAppend: 8, maxInflightEntries: 32, maxInflightBytes: 1024, maxPendingWrites: 256,
};

interface Disk {
  /** The full durable log from seq 1 (the sim keeps the data a snapshot stands for). */
  entries: ReplicaEntry<Op>[];
  knownEpoch: number;
  truncated: TruncatedEntry<Op>[];
}

interface SimMessage {
  readonly message: ReplicationMessage<Op>;
  /** The shard data a snapshot message carries (the primary's durable log through its seq). */
  readonly snapshotData: readonly ReplicaEntry<Op>[] | null;
}

type Batch =
  | { readonly kind: 'primary'; readonly core: PrimaryReplica<Op>; readonly entries: readonly ReplicaEntry<Op>[] }
  | { readonly kind: 'follower'; readonly persist: FollowerPersist<Op> | null; readonly messages: readonly ReplicationMessage<Op>[]; readonly snapshotData: readonly ReplicaEntry<Op>[] | null };

type SimEvent =
  | { readonly kind: 'tick'; readonly node: number }
  | { readonly kind: 'controllerTick' }
  | { readonly kind: 'deliver'; readonly sim: SimMessage }
  | { readonly kind: 'request'; readonly request: InSyncRequest; readonly incarnation: number }
  | { readonly kind: 'persisted'; readonly node: number; readonly incarnation: number; readonly batch: Batch }
  | { readonly kind: 'restart'; readonly node: number }
  | { readonly kind: 'heal'; readonly faultId: number }
  | { readonly kind: 'fault' }
  | { readonly kind: 'client' }
  | { readonly kind: 'endFaults' };

class SimReplica {
  alive = true;
  incarnation = 0;
  log: ReplicaLog<Op>;
  primary: PrimaryReplica<Op> | null = null;
  follower: FollowerReplica<Op>;
  seenViewVersion = 0;
  diskFreeAtMs = 0;
  /** The view's epoch when this replica last restarted (cleared once it took a new epoch). */
  restartedInEpoch: number | null = null;
  readonly disk: Disk = { entries: [], knownEpoch: 1, truncated: [] };

  constructor(readonly index: number, readonly id: NodeId) {
    this.log = new ReplicaLog<Op>();
    this.follower = new FollowerReplica<Op>(id, 'shard', this.log, 1);
  }
}

interface WriteRecord {
  readonly id: number;
  readonly mode: WriteModeName;
  readonly node: NodeId;
  readonly epoch: number;
  readonly seq: number;
  status: 'pending' | 'acked' | 'failed';
  /** Nodes that durably held the write when it was acknowledged. */
  holders: NodeId[];
}

class ReplicationSim {
  nowMs = 0;
  private readonly random: SeededRandom;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly nodes: SimReplica[] = [];
  private view: ShardView;
  private readonly lastHeardMs = new Map<NodeId, number>();
  private readonly isolated = new Map<number, NodeId>();
  private readonly cutLinks = new Map<number, [NodeId, NodeId]>();
  private readonly faulted = new Set<NodeId>();
  /** The replicas faults may hit. */
  private readonly faultable: SimReplica[] = [];
  private readonly writes = new Map<string, WriteRecord>();
  private readonly writesById: WriteRecord[] = [];
  private readonly epochPrimary = new Map<number, NodeId>();
  private readonly trace: string[] = [];
  private traceNext = 0;
  private faultsOn: boolean;
  private faultId = 0;
  private nextWriteId = 1;
  private finalWrite: { id: number; acked: boolean } | null = null;
  private finalWriteAtMs = Infinity;
  private stopAtMs = Infinity;
  private stats = {
    writesProposed: 0, writesAcked: { async: 0, sync: 0, semi_sync: 0 }, writesFailed: 0, refusals: 0, failovers: 0,
    shrinks: 0, expands: 0, crashes: 0, snapshotsSent: 0, events: 0,
  };

  constructor(private readonly options: ReplicationSimOptions) {
    this.random = new SeededRandom(options.seed);
    this.faultsOn = options.faults ?? true;
    const ids: NodeId[] = [];
    for (let i = 0; i < options.replicationFactor; i++) {
      ids.push(`n${i}`);
      this.nodes.push(new SimReplica(i, `n${i}`));
    }
    this.view = { shard: 'shard', epoch: 1, version: 1, primary: 'n0', replicas: ids, inSync: [...ids] };
    const shuffled = [...this.nodes];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = this.random.int(i + 1);
      const a = shuffled[i];
      const b = shuffled[j];
      if (a !== undefined && b !== undefined) [shuffled[i], shuffled[j]] = [b, a];
    }
    this.faultable.push(...shuffled.slice(0, options.faultyNodesMax ?? shuffled.length));
    this.epochPrimary.set(1, 'n0');
  }

  run(): ReplicationSimStats {
    const faultPhaseMs = this.options.faultPhaseMs ?? 4000;
    for (const node of this.nodes) this.queue.push(this.random.int(TICK_MS), { kind: 'tick', node: node.index });
    this.queue.push(0, { kind: 'controllerTick' });
    this.queue.push(1, { kind: 'client' });
    if (this.faultsOn) this.queue.push(this.random.range(100, 400), { kind: 'fault' });
    this.queue.push(faultPhaseMs, { kind: 'endFaults' });
    const endMs = faultPhaseMs + SETTLE_MS + FINAL_WRITE_DEADLINE_MS;
    for (;;) {
      const next = this.queue.pop();
      if (next === undefined || next.timeMs > endMs) break;
      this.nowMs = next.timeMs;
      this.stats.events++;
      this.handle(next.item);
      if (this.nowMs >= this.stopAtMs) break;
    }
    return this.finish();
  }

  formatTrace(): string[] {
    const n = Math.min(this.traceNext, this.trace.length);
    const out: string[] = [];
    for (let i = this.traceNext - n; i < this.traceNext; i++) out.push(this.trace[i % this.trace.length] ?? '');
    return out;
  }

  private note(text: string): void {
    const length = this.options.traceLength ?? 60;
    this.trace[this.traceNext % length] = `t=${this.nowMs}ms ${text}`;
    this.traceNext++;
  }

  private violation(text: string): never {
    throw new Violation(text);
  }

  private handle(event: SimEvent): void {
    switch (event.kind) {
      case 'tick': return this.onTick(event.node);
      case 'controllerTick': return this.onControllerTick();
      case 'deliver': return this.onDeliver(event.sim);
      case 'request': return this.onRequest(event.request, event.incarnation);
      case 'persisted': return this.onPersisted(event.node, event.incarnation, event.batch);
      case 'restart': return this.onRestart(event.node);
      case 'heal': return this.onHeal(event.faultId);
      case 'fault': return this.onFault();
      case 'client': return this.onClient();
      case 'endFaults': return this.onEndFaults();
    }
  }

  // --- network ---

  private reachable(a: NodeId, b: NodeId): boolean {
    for (const node of this.isolated.values()) if (node === a || node === b) return false;
    for (const [x, y] of this.cutLinks.values()) if ((x === a && y === b) || (x === b && y === a)) return false;
    const na = this.nodeById(a);
    const nb = this.nodeById(b);
    return (na === undefined || na.alive) && (nb === undefined || nb.alive);
  }

  private nodeById(id: NodeId): SimReplica | undefined {
    return id === CONTROLLER ? undefined : this.nodes[Number(id.slice(1))];
  }

  private send(message: ReplicationMessage<Op>, snapshotData: readonly ReplicaEntry<Op>[] | null): void {
    if (this.faultsOn && this.random.chance(0.02)) return;
    const copies = this.faultsOn && this.random.chance(0.01) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delayMs = this.faultsOn ? this.random.range(1, 15) : 1;
      this.queue.push(this.nowMs + delayMs, { kind: 'deliver', sim: { message, snapshotData } });
    }
  }

  private onDeliver(sim: SimMessage): void {
    const message = sim.message;
    if (!this.reachable(message.from, message.to)) return;
    const node = this.nodeById(message.to);
    if (node === undefined || !node.alive) return;
    if (node.primary !== null) {
      node.primary.step(message, this.nowMs);
      this.drainPrimary(node);
      return;
    }
    const output = node.follower.step(message);
    if (output.persist !== null) {
      for (const entry of output.persist.entries) {
        if (entry.epoch > output.persist.knownEpoch) this.violation(`${node.id} accepted an entry from future epoch ${entry.epoch}`);
      }
      if (message.type === 'append' && message.epoch < node.disk.knownEpoch) {
        this.violation(`${node.id} accepted an append from epoch ${message.epoch} after learning epoch ${node.disk.knownEpoch}`);
      }
    }
    this.enqueueFollowerBatch(node, { kind: 'follower', persist: output.persist, messages: output.messages, snapshotData: sim.snapshotData });
  }

  /** Follower outputs go through the disk queue in order: nothing is sent before earlier writes are durable. */
  private enqueueFollowerBatch(node: SimReplica, batch: Batch): void {
    const writes = batch.kind === 'primary' || batch.persist !== null;
    const atMs = Math.max(node.diskFreeAtMs, this.nowMs + (writes ? this.random.range(1, 3) : 0));
    node.diskFreeAtMs = atMs;
    this.queue.push(atMs, { kind: 'persisted', node: node.index, incarnation: node.incarnation, batch });
  }

  private onPersisted(index: number, incarnation: number, batch: Batch): void {
    const node = this.nodes[index];
    if (node === undefined || !node.alive || node.incarnation !== incarnation) return; // Lost in a crash.
    if (batch.kind === 'primary') {
      for (const entry of batch.entries) this.diskAppend(node, entry);
      const last = batch.entries.at(-1);
      if (last !== undefined && node.primary === batch.core) {
        batch.core.persisted(last.seq, this.nowMs);
        this.drainPrimary(node);
      }
      return;
    }
    const persist = batch.persist;
    if (persist !== null) {
      const disk = node.disk;
      disk.knownEpoch = Math.max(disk.knownEpoch, persist.knownEpoch);
      disk.truncated.push(...persist.truncated);
      if (persist.truncateAfterSeq !== null) disk.entries.length = persist.truncateAfterSeq;
      if (persist.snapshot !== null) {
        if (batch.snapshotData === null) this.violation('snapshot install without data');
        const data = batch.snapshotData.slice(0, persist.snapshot.seq);
        if (data.length !== persist.snapshot.seq) this.violation('snapshot data shorter than its seq');
        disk.entries = data.map((e) => ({ ...e }));
      }
      for (const entry of persist.entries) this.diskAppend(node, entry);
    }
    for (const message of batch.messages) this.send(message, null);
  }

  private diskAppend(node: SimReplica, entry: ReplicaEntry<Op>): void {
    if (entry.seq !== node.disk.entries.length + 1) this.violation(`${node.id} disk append of seq ${entry.seq} after ${node.disk.entries.length}`);
    node.disk.entries.push(entry);
  }

  // --- replicas ---

  private onTick(index: number): void {
    this.queue.push(this.nowMs + TICK_MS, { kind: 'tick', node: index });
    const node = this.nodes[index];
    if (node === undefined || !node.alive || node.primary === null) return;
    node.primary.tick(this.nowMs);
    const log = node.primary.log;
    if (log.lastSeq - log.baseSeq > COMPACT_EVERY_ENTRIES) node.primary.compactThrough(log.lastSeq - COMPACT_KEEP_ENTRIES);
    this.drainPrimary(node);
  }

  private drainPrimary(node: SimReplica): void {
    const core = node.primary;
    if (core === null) return;
    const out: PrimaryOutput<Op> = core.takeOutput();
    if (out.entries.length > 0) this.enqueueFollowerBatch(node, { kind: 'primary', core, entries: out.entries });
    for (const message of out.messages) {
      let data: ReplicaEntry<Op>[] | null = null;
      if (message.type === 'snapshot') {
        this.stats.snapshotsSent++;
        if (node.disk.entries.length < message.seq) this.violation(`${node.id} sent a snapshot beyond its durable log`);
        data = node.disk.entries.slice(0, message.seq);
      }
      this.send(message, data);
    }
    for (const request of out.controllerRequests) {
      if (this.faultsOn && this.random.chance(0.02)) continue;
      // The controller commits through Raft: a round trip plus a log append takes a while.
      this.queue.push(this.nowMs + this.random.range(5, 60), { kind: 'request', request, incarnation: node.incarnation });
    }
    for (const completion of out.completions) this.onCompletion(node, completion);
    if (!core.active) this.becomeFollower(node);
  }

  private becomeFollower(node: SimReplica): void {
    node.primary = null;
    node.follower = new FollowerReplica<Op>(node.id, 'shard', node.log, Math.max(node.disk.knownEpoch, this.knownViewEpoch(node)));
    this.note(`${node.id} steps down to follower`);
  }

  private knownViewEpoch(node: SimReplica): number {
    return node.seenViewVersion > 0 ? node.disk.knownEpoch : 0;
  }

  private onCompletion(node: SimReplica, completion: WriteCompletion): void {
    const write = this.writes.get(`${node.id}/${node.incarnation}/${completion.seq}`);
    if (write === undefined) this.violation(`${node.id} completed unknown write seq ${completion.seq}`);
    if (write.status !== 'pending') this.violation(`write ${write.id} completed twice`);
    if (!completion.ok) {
      write.status = 'failed';
      this.stats.writesFailed++;
      return;
    }
    if (this.view.epoch !== write.epoch || this.view.primary !== node.id) {
      this.violation(`deposed primary ${node.id} (epoch ${write.epoch}) acknowledged write ${write.id} after the controller moved to epoch ${this.view.epoch}`);
    }
    const entry = node.disk.entries[write.seq - 1];
    if (entry?.op !== write.id) this.violation(`write ${write.id} acknowledged before it was durable on its primary`);
    write.status = 'acked';
    write.holders = this.nodes.filter((n) => n.disk.entries[write.seq - 1]?.op === write.id).map((n) => n.id);
    this.stats.writesAcked[write.mode]++;
    if (this.finalWrite?.id === write.id) {
      this.finalWrite.acked = true;
      this.stopAtMs = this.nowMs + 1000; // Time for every replica, in sync or not, to converge.
    }
    this.note(`${node.id} acked ${write.mode} write ${write.id} seq ${write.seq} holders ${write.holders.join(',')}`);
  }

  private onRestart(index: number): void {
    const node = this.nodes[index];
    if (node === undefined || node.alive) return;
    node.alive = true;
    node.log = new ReplicaLog<Op>(0, 0, node.disk.entries);
    node.follower = new FollowerReplica<Op>(node.id, 'shard', node.log, node.disk.knownEpoch);
    node.primary = null;
    node.seenViewVersion = 0;
    node.restartedInEpoch = this.options.restartWithoutNewEpoch === true ? null : this.view.epoch;
    node.diskFreeAtMs = this.nowMs;
    this.note(`${node.id} restarts with ${node.disk.entries.length} entries, epoch ${node.disk.knownEpoch}`);
  }

  // --- controller ---

  private onControllerTick(): void {
    this.queue.push(this.nowMs + TICK_MS, { kind: 'controllerTick' });
    for (const node of this.nodes) {
      if (!node.alive || !this.reachable(CONTROLLER, node.id)) continue;
      this.lastHeardMs.set(node.id, this.nowMs);
      this.deliverView(node);
      if (node.primary !== null && this.view.primary === node.id && node.primary.currentView.epoch === this.view.epoch) {
        // Lease measured from the heartbeat's send time; the controller waits longer before failing over.
        node.primary.renewLease(this.nowMs + LEASE_MS);
      }
    }
    this.detectFailures();
  }

  private deliverView(node: SimReplica): void {
    if (node.seenViewVersion >= this.view.version) return;
    const view = this.view;
    // Contract: a follower is promoted only once everything it accepted is durable (PrimaryReplica
    // streams its log as durable). Until its disk queue drains, the view is offered again next tick.
    if (view.primary === node.id && node.primary === null && node.diskFreeAtMs > this.nowMs) return;
    if (view.primary === node.id && node.primary === null && node.restartedInEpoch === view.epoch && this.options.streamBeforeDurable === true) {
      // A restarted primary may have streamed entries it then lost: it writes only under a new epoch.
      const bumped: ShardView = { ...view, epoch: view.epoch + 1, version: view.version + 1 };
      if (this.epochPrimary.get(bumped.epoch) !== undefined) this.violation(`epoch ${bumped.epoch} assigned twice`);
      this.epochPrimary.set(bumped.epoch, node.id);
      this.commitView(bumped, `${node.id} restarted as primary`);
      node.restartedInEpoch = null;
      return;
    }
    node.seenViewVersion = view.version;
    if (view.primary === node.id) {
      if (node.primary === null) {
        // Promotion: the new primary takes over its log; entries not yet durable are its own and stay.
        if (node.disk.knownEpoch < view.epoch) node.disk.knownEpoch = view.epoch;
        node.primary = new PrimaryReplica<Op>(node.id, node.log, view, SIM_LIMITS, () => 8, this.nowMs, this.options.primaryHooks ?? {}, {
          streamBeforeDurable: this.options.streamBeforeDurable === true,
        });
        this.note(`${node.id} becomes primary of epoch ${view.epoch} with log ${node.log.lastSeq}`);
      } else {
        node.primary.updateView(view, this.nowMs);
      }
      this.drainPrimary(node);
      return;
    }
    if (node.primary !== null) {
      node.primary.updateView(view, this.nowMs);
      this.drainPrimary(node);
    }
    const output = node.follower.observeEpoch(view.epoch);
    if (output.persist !== null) this.enqueueFollowerBatch(node, { kind: 'follower', persist: output.persist, messages: [], snapshotData: null });
  }

  private onRequest(request: InSyncRequest, incarnation: number): void {
    const node = this.nodeById(request.from);
    if (node === undefined || !this.reachable(CONTROLLER, request.from) || node.incarnation !== incarnation) return;
    const decision = request.type === 'shrink_isr' ? applyShrink(this.view, request) : applyExpand(this.view, request);
    if (!decision.ok) return;
    this.commitView(decision.view, `${request.type} ${request.follower}`);
    if (request.type === 'shrink_isr') this.stats.shrinks++;
    else this.stats.expands++;
  }

  private commitView(view: ShardView, why: string): void {
    if (view.epoch < this.view.epoch || view.version <= this.view.version) this.violation('controller view went back');
    this.view = view;
    this.note(`controller commits v${view.version} e${view.epoch} primary ${view.primary ?? '-'} inSync ${view.inSync.join(',')} (${why})`);
  }

  private detectFailures(): void {
    const view = this.view;
    const reports: ReplicaReport[] = this.nodes
      .filter((n) => n.alive && this.reachable(CONTROLLER, n.id))
      .map((n) => ({ node: n.id, durableSeq: n.disk.entries.length, epoch: n.disk.entries.at(-1)?.epoch ?? 0 }));
    for (const id of view.inSync) {
      const silentMs = this.nowMs - (this.lastHeardMs.get(id) ?? 0);
      if (silentMs <= FAILURE_TIMEOUT_MS) continue;
      const action = onNodeDead(view, id, reports, undefined, this.options.controllerHooks ?? {});
      if (action.type === 'promote') {
        this.checkPromotion(action.newPrimary, reports);
        this.commitView(action.view, `failover from dead ${id}`);
        const previous = this.epochPrimary.get(action.view.epoch);
        if (previous !== undefined) this.violation(`epoch ${action.view.epoch} assigned twice`);
        this.epochPrimary.set(action.view.epoch, action.newPrimary);
        this.stats.failovers++;
      } else if (action.type === 'remove_from_in_sync') {
        this.commitView(action.view, `dead follower ${id}`);
      }
      return; // One decision per tick; the next tick sees the new view.
    }
  }

  /** Every acknowledged sync write, and every semi_sync write an eligible holder still has, must be on the new primary. */
  private checkPromotion(newPrimary: NodeId, reports: readonly ReplicaReport[]): void {
    const node = this.nodeById(newPrimary);
    if (node === undefined) this.violation('promoted an unknown node');
    const reporters = new Set(reports.map((r) => r.node));
    for (const write of this.writesById) {
      if (write.status !== 'acked' || node.disk.entries[write.seq - 1]?.op === write.id) continue;
      if (write.mode === 'sync') {
        this.violation(`acknowledged sync write ${write.id} (seq ${write.seq}, epoch ${write.epoch}) is missing on new primary ${newPrimary}`);
      }
      if (write.mode === 'semi_sync') {
        const eligible = write.holders.find((h) => h !== this.view.primary && reporters.has(h) && this.view.inSync.includes(h)
          && this.nodeById(h)?.disk.entries[write.seq - 1]?.op === write.id);
        if (eligible !== undefined) {
          this.violation(`acknowledged semi_sync write ${write.id} held by in-sync ${eligible} is missing on new primary ${newPrimary}`);
        }
      }
    }
  }

  // --- client ---

  private onClient(): void {
    this.queue.push(this.nowMs + this.random.range(2, 12), { kind: 'client' });
    if (this.nowMs >= this.finalWriteAtMs) {
      this.tryFinalWrite();
      return;
    }
    const primaryId = this.view.primary;
    if (primaryId === null) return;
    const node = this.nodeById(primaryId);
    if (node === undefined || !node.alive || node.primary === null || !this.reachable(CONTROLLER, primaryId)) return;
    this.propose(node, node.primary, this.pickMode());
  }

  private pickMode(): WriteModeName {
    const mode = this.options.mode ?? 'mixed';
    if (mode !== 'mixed') return mode;
    const modes: WriteModeName[] = ['async', 'sync', 'semi_sync'];
    return modes[this.random.int(3)] ?? 'sync';
  }

  private minAcks(): number {
    return this.options.replicationFactor >= 5 ? 2 : 1;
  }

  private propose(node: SimReplica, core: PrimaryReplica<Op>, mode: WriteModeName): number | null {
    const id = this.nextWriteId++;
    const result = core.propose(id, { mode, minAcks: this.minAcks(), timeoutMs: WRITE_TIMEOUT_MS }, this.nowMs);
    if (!result.ok) {
      this.stats.refusals++;
      this.drainPrimary(node);
      return null;
    }
    const epoch = core.currentView.epoch;
    const owner = this.epochPrimary.get(epoch);
    if (owner !== undefined && owner !== node.id) this.violation(`two primaries accepted writes in epoch ${epoch}: ${owner} and ${node.id}`);
    const write: WriteRecord = { id, mode, node: node.id, epoch, seq: result.seq, status: 'pending', holders: [] };
    this.writes.set(`${node.id}/${node.incarnation}/${result.seq}`, write);
    this.writesById.push(write);
    this.stats.writesProposed++;
    if (this.options.streamBeforeDurable === true) core.streamPending(this.nowMs);
    this.drainPrimary(node);
    return id;
  }

  // --- faults ---

  private onFault(): void {
    if (!this.faultsOn) return;
    this.queue.push(this.nowMs + this.random.range(150, 600), { kind: 'fault' });
    const id = this.faultId++;
    const healMs = this.nowMs + this.random.range(100, 1500);
    const pick = (): SimReplica => {
      const primary = this.view.primary === null ? undefined : this.nodeById(this.view.primary);
      if (primary !== undefined && this.faultable.includes(primary) && this.random.chance(0.4)) return primary;
      const node = this.faultable[this.random.int(this.faultable.length)];
      if (node === undefined) throw new AssertionError('no node to fault');
      return node;
    };
    if (this.faultable.length === 0) return;
    const kind = this.random.int(4);
    if (kind === 0 || kind === 1) {
      const victims = kind === 0 ? [pick()] : [pick(), pick()];
      for (const node of victims) this.crash(node, healMs);
    } else if (kind === 2) {
      const node = pick();
      this.faulted.add(node.id);
      this.isolated.set(id, node.id);
      this.note(`isolate ${node.id}`);
      this.queue.push(healMs, { kind: 'heal', faultId: id });
    } else {
      const a = pick();
      const b = this.nodes[this.random.int(this.nodes.length)];
      if (b === undefined || a === b) return;
      this.cutLinks.set(id, [a.id, b.id]);
      this.note(`cut link ${a.id}-${b.id}`);
      this.queue.push(healMs, { kind: 'heal', faultId: id });
    }
  }

  private crash(node: SimReplica, restartMs: number): void {
    if (!node.alive) return;
    node.alive = false;
    node.incarnation++;
    node.primary = null;
    this.faulted.add(node.id);
    this.stats.crashes++;
    this.note(`crash ${node.id} (durable ${node.disk.entries.length}, in memory ${node.log.lastSeq})`);
    this.queue.push(restartMs, { kind: 'restart', node: node.index });
  }

  private onHeal(faultId: number): void {
    this.isolated.delete(faultId);
    this.cutLinks.delete(faultId);
  }

  private onEndFaults(): void {
    this.faultsOn = false;
    this.isolated.clear();
    this.cutLinks.clear();
    for (const node of this.nodes) if (!node.alive) this.queue.push(this.nowMs, { kind: 'restart', node: node.index });
    this.note('faults end');
    // Normal writes go on while things settle; then one sync write must get through.
    this.finalWriteAtMs = this.nowMs + SETTLE_MS;
  }

  // --- final checks ---

  private finish(): ReplicationSimStats {
    const primaryId = this.view.primary;
    if (primaryId === null) this.violation('no primary after faults healed');
    const primary = this.nodeById(primaryId);
    if (primary?.primary === null || primary === undefined) this.violation(`controller's primary ${primaryId} is not acting as primary`);
    if (this.finalWrite === null || !this.finalWrite.acked) this.violation('the final sync write after healing was never acknowledged');
    const reference = primary.disk.entries;
    for (const node of this.nodes) {
      const entries = node.disk.entries;
      if (entries.length !== reference.length) this.violation(`${node.id} has ${entries.length} entries, primary ${primaryId} has ${reference.length}`);
      for (let i = 0; i < entries.length; i++) {
        const a = entries[i];
        const b = reference[i];
        if (a?.seq !== b?.seq || a?.epoch !== b?.epoch || a?.op !== b?.op) this.violation(`${node.id} diverges from the primary at seq ${i + 1}`);
      }
    }
    const present = new Set(reference.map((e) => e.op));
    const listed = new Set<number>();
    for (const node of this.nodes) for (const t of node.disk.truncated) listed.add(t.op);
    let lostAsync = 0;
    for (const write of this.writesById) {
      if (write.status !== 'acked' || present.has(write.id)) continue;
      if (write.mode === 'sync') this.violation(`acknowledged sync write ${write.id} (seq ${write.seq}) was lost`);
      if (write.mode === 'semi_sync' && this.faulted.size <= this.minAcks()) {
        this.violation(`acknowledged semi_sync write ${write.id} lost with only ${this.faulted.size} replicas faulted`);
      }
      if (!listed.has(write.id)) this.violation(`acknowledged ${write.mode} write ${write.id} vanished without being listed as truncated`);
      if (write.mode === 'async') lostAsync++;
    }
    let truncatedEntries = 0;
    for (const node of this.nodes) truncatedEntries += node.disk.truncated.length;
    return {
      ...this.stats, truncatedEntries, lostAsyncWrites: lostAsync, finalSeq: reference.length,
    };
  }

  /** Once settled, the client issues one sync write that must be acknowledged (liveness after healing). */
  private tryFinalWrite(): void {
    if (this.finalWrite !== null || this.nowMs < this.finalWriteAtMs) return;
    const primaryId = this.view.primary;
    const node = primaryId === null ? undefined : this.nodeById(primaryId);
    if (node?.primary == null) return;
    const id = this.propose(node, node.primary, 'sync');
    if (id !== null) this.finalWrite = { id, acked: false };
  }
}

/** Runs one seeded simulation and checks every invariant. */
export function runReplicationSimulation(options: ReplicationSimOptions): ReplicationSimResult {
  const sim = new ReplicationSim(options);
  try {
    return { ok: true, seed: options.seed, stats: sim.run() };
  } catch (e: unknown) {
    if (e instanceof Violation || e instanceof AssertionError) {
      return { ok: false, seed: options.seed, violation: e.message, trace: sim.formatTrace() };
    }
    throw e;
  }
}

/** A failure as text: the seed, the replay command and the last events. */
export function formatReplicationFailure(result: Extract<ReplicationSimResult, { ok: false }>, options: Omit<ReplicationSimOptions, 'seed'>, replayFlags = ''): string {
  return [
    `REPLICATION SIMULATION FAILED seed=${result.seed} rf=${options.replicationFactor} mode=${options.mode ?? 'mixed'}`,
    `violation: ${result.violation}`,
    `replay: node dist/test/replication-sim/cli.js --seed ${result.seed} --rf ${options.replicationFactor} --mode ${options.mode ?? 'mixed'}${options.faultyNodesMax === undefined ? '' : ` --faulty ${options.faultyNodesMax}`}${options.streamBeforeDurable === true ? ' --stream-early' : ''}${replayFlags}`,
    'last events:',
    ...result.trace.map((t) => `  ${t}`),
  ].join('\n');
}
