/**
 * The metadata plane of one node: it drives the Raft core with real time, durable LMDB storage and
 * gRPC, applies committed commands to the metadata state machine, and offers the rest of the
 * node three things: `propose` (a metadata change, forwarded to the leader when this node is not
 * it), `read` (the metadata, linearizable when asked), and `status` (for /cluster and metrics).
 *
 * The Ready loop follows the core's contract: persist (synchronously, flushed) before sending,
 * then send, then apply committed entries in order, then advance. When this node leads, it is
 * also the controller: it decides member health from heartbeats and promotes caught-up learners.
 */

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ERROR_CODES, HektorError, errorMessage, type ErrorCode } from '../base/errors.js';
import { SeededRandom } from '../base/prng.js';
import { RaftNode } from '../consensus/raft.js';
import type { RaftConfig } from '../consensus/limits.js';
import type { ConfigState, Entry, Message, ReadState } from '../consensus/types.js';
import { PeerChannels, SERVER_OPTIONS, loadClusterProto, unary, withRetries } from '../transport/grpc.js';
import type { ClusterHandlers } from '../transport/generated/hektor/cluster/v1/Cluster.js';
import type { RaftBatch } from '../transport/generated/hektor/cluster/v1/RaftBatch.js';
import type { RaftAck__Output } from '../transport/generated/hektor/cluster/v1/RaftAck.js';
import type { ProposeRequest } from '../transport/generated/hektor/cluster/v1/ProposeRequest.js';
import type { ProposeReply__Output } from '../transport/generated/hektor/cluster/v1/ProposeReply.js';
import type { JoinRequest } from '../transport/generated/hektor/cluster/v1/JoinRequest.js';
import type { JoinReply__Output } from '../transport/generated/hektor/cluster/v1/JoinReply.js';
import type { LeaveRequest } from '../transport/generated/hektor/cluster/v1/LeaveRequest.js';
import type { LeaveReply__Output } from '../transport/generated/hektor/cluster/v1/LeaveReply.js';
import type { HeartbeatRequest } from '../transport/generated/hektor/cluster/v1/HeartbeatRequest.js';
import type { HeartbeatReply__Output } from '../transport/generated/hektor/cluster/v1/HeartbeatReply.js';
import type { ShardCallRequest, ShardCallRequest__Output } from '../transport/generated/hektor/cluster/v1/ShardCallRequest.js';
import type { ShardCallReply__Output } from '../transport/generated/hektor/cluster/v1/ShardCallReply.js';
import type { ClusterClient } from '../transport/generated/hektor/cluster/v1/Cluster.js';
import type { ReplicationBatch__Output } from '../transport/generated/hektor/cluster/v1/ReplicationBatch.js';
import type { ReplicaCallRequest__Output } from '../transport/generated/hektor/cluster/v1/ReplicaCallRequest.js';
import type { ShardSnapshotRequest__Output } from '../transport/generated/hektor/cluster/v1/ShardSnapshotRequest.js';
import { certificateNodeId, serverCredentials, type TlsMaterial } from '../transport/tls.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { LmdbRaftStorage } from './raft-storage.js';
import { MetadataStateMachine, decodeCommand, encodeCommand, type ApplyResult, type MemberInfo, type MetadataCommand, type NodeState } from './metadata.js';

/** How a node enters the cluster on its first start. */
export type ClusterStart =
  | { kind: 'bootstrap' }
  | { kind: 'peers'; peers: { id: string; address: string }[] }
  | { kind: 'join'; address: string }
  | { kind: 'restart' };

/** Settings of the metadata plane. */
export interface ClusterOptions {
  nodeId: string;
  dataDir: string;
  /** Address to bind the gRPC server, e.g. 127.0.0.1:0. */
  grpcListen: string;
  /** Address other nodes use to reach this one; defaults to the bound address. */
  advertiseGrpc?: string;
  /** host:port of this node's REST API (for clients and forwarding). */
  httpAddress: string;
  zone: string;
  clusterId: string;
  start: ClusterStart;
  tls?: TlsMaterial;
  /** Milliseconds per Raft tick (elections take 10–20 ticks, heartbeats 1). */
  tickMs: number;
  /** Node health: heartbeat interval and the silence after which a node is dead (suspect at half). */
  heartbeatIntervalMs: number;
  failureTimeoutMs: number;
  /** Applied entries between metadata snapshots (log compaction). */
  snapshotEntries: number;
  logger: Logger;
  raft?: Partial<RaftConfig>;
}

/** Figures of the metadata plane for /cluster and /metrics. */
export interface ClusterStatus {
  nodeId: string;
  role: string;
  term: number;
  leaderId: string | null;
  commitIndex: number;
  appliedIndex: number;
  voters: readonly string[];
  learners: readonly string[];
  members: MemberInfo[];
  leaderChanges: number;
  peerRttMs: Record<string, number>;
}

/** The data-plane RPCs a node serves, installed by the replication runtime (src/cluster/replicas.ts). */
export interface ReplicationService {
  /** Takes a batch of replication messages (fire and forget). */
  replicate(batch: ReplicationBatch__Output): void;
  /** Answers a question about a local replica with a JSON result. */
  replicaCall(request: ReplicaCallRequest__Output): Promise<Buffer>;
  /** Streams a shard's points through `write`, which resolves when the chunk may be followed by another. */
  snapshot(request: ShardSnapshotRequest__Output, write: (chunk: Buffer) => Promise<void>): Promise<void>;
}

interface PendingProposal {
  term: number;
  resolve: (result: ApplyResult) => void;
}

interface PendingRead {
  index: number | null;
  resolve: () => void;
}

/** A server call whose peer certificate can be read. */
type PeerCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown>;

/** Pause before persisting a Ready again after the disk refused it. */
const PERSIST_RETRY_MS = 500;

/** Bounds of the metadata plane. */
export const CLUSTER_LIMITS = {
  /** How long a proposal or linearizable read may wait for a leader and a commit. */
  requestTimeoutMs: 5_000,
  /** Deadline of one Raft batch; Raft itself retransmits. */
  raftSendDeadlineMs: 1_000,
  /** Raft batches in flight to one peer; more are dropped (Raft tolerates loss). */
  raftInflightPerPeerMax: 64,
  /** Raft log entries kept behind a snapshot so slow followers catch up without one. */
  snapshotTrailingEntries: 256,
  /** Lag (entries) under which a learner counts as caught up and is promoted to voter. */
  learnerPromotionLagMax: 8,
} as const;

/** The metadata plane of this node. */
export class ClusterNode {
  readonly id: string;
  readonly metadata = new MetadataStateMachine();
  private readonly options: ClusterOptions;
  private readonly logger: Logger;
  private readonly storage: LmdbRaftStorage;
  private readonly raft: RaftNode;
  private readonly peers: PeerChannels;
  private readonly server = new grpc.Server(SERVER_OPTIONS);
  private readonly random: SeededRandom;
  private readonly addresses = new Map<string, string>();
  /**
   * Ids whose address was given statically (`--peers`). A static address wins over the address a
   * member registers or a Raft batch carries: behind NAT, a proxy or an advertised address, the
   * configured route is the one that works (and tests route traffic through fault proxies).
   */
  private readonly pinnedAddresses = new Set<string>();
  private readonly inflight = new Map<string, number>();
  private readonly proposals = new Map<number, PendingProposal>();
  private readonly reads = new Map<string, PendingRead>();
  private readonly applyWaiters: { index: number; resolve: () => void }[] = [];
  private readonly lastSeenMs = new Map<string, number>();
  private readonly rttMs = new Map<string, number>();
  private appliedIndex: number;
  private appliedSinceSnapshot = 0;
  private readyScheduled = false;
  /** A Ready whose persist failed (full disk): it is persisted again before anything else. */
  private pendingReady: ReturnType<RaftNode['ready']> | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private lastLeader: string | null = null;
  private leaderChanges = 0;
  private leaderSinceMs = 0;
  private closed = false;
  private registering = false;
  /** Until when (performance.now) this node may acknowledge writes as a shard primary. */
  private leaseUntil = 0;
  private replication: ReplicationService | undefined;
  private readonly controllerHooks: (() => Promise<void>)[] = [];
  /** The gRPC address this node advertises. */
  grpcAddress = '';

  private constructor(options: ClusterOptions, storage: LmdbRaftStorage) {
    this.options = options;
    this.id = options.nodeId;
    this.logger = options.logger.child({ component: 'cluster' });
    this.storage = storage;
    this.peers = new PeerChannels(options.tls);
    this.random = new SeededRandom(hashSeed(options.nodeId) ^ Date.now());
    const snapshot = storage.snapshot();
    this.appliedIndex = snapshot.metadata.index;
    this.raft = new RaftNode({ id: options.nodeId, storage, random: this.random, appliedIndex: this.appliedIndex, config: options.raft ?? {} });
    this.metadata.onEvent((event) => {
      if (event.type === 'members_changed') this.refreshAddresses();
    });
  }

  /** Restores the metadata from the latest snapshot; call once listeners are attached. */
  private restoreFromStorage(): void {
    const snapshot = this.storage.snapshot();
    this.metadata.restore(snapshot.data, snapshot.metadata.index);
  }

  /**
   * Opens the Raft storage, starts the gRPC server and the Raft clock; joins if asked.
   * `attach` registers metadata listeners before anything is restored or applied.
   */
  static async start(options: ClusterOptions, attach: (node: ClusterNode) => void = () => undefined): Promise<ClusterNode> {
    const dir = join(options.dataDir, 'raft');
    const start = options.start;
    const bootstrap: ConfigState =
      start.kind === 'bootstrap' ? { voters: [options.nodeId], learners: [] }
      : start.kind === 'peers' ? { voters: start.peers.map((p) => p.id).sort(), learners: [] }
      : { voters: [], learners: [] };
    const storage = LmdbRaftStorage.open(dir, bootstrap);
    if (start.kind === 'join' && !storage.isEmpty()) options.logger.info('raft state found on disk: restarting instead of joining');
    const node = new ClusterNode(options, storage);
    attach(node);
    node.restoreFromStorage();
    if (start.kind === 'peers') {
      for (const p of start.peers) {
        if (p.id === options.nodeId) continue;
        node.addresses.set(p.id, p.address);
        node.pinnedAddresses.add(p.id);
      }
    }
    await node.listen();
    node.refreshAddresses();
    node.tickTimer = setInterval(() => node.onTick(), options.tickMs);
    node.healthTimer = setInterval(() => void node.heartbeatRound(), options.heartbeatIntervalMs);
    node.scheduleReady();
    if (start.kind === 'join' && storage.isEmpty()) await node.joinVia(start.address);
    return node;
  }

  private async listen(): Promise<void> {
    const Cluster = loadClusterProto().hektor.cluster.v1.Cluster;
    this.server.addService(Cluster.service, this.handlers());
    const port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(this.options.grpcListen, serverCredentials(this.options.tls), (error, bound) => {
        if (error !== null) reject(new HektorError('invalid_config', `cannot bind gRPC on ${this.options.grpcListen}: ${error.message}`));
        else resolve(bound);
      });
    });
    const host = this.options.grpcListen.slice(0, this.options.grpcListen.lastIndexOf(':'));
    this.grpcAddress = this.options.advertiseGrpc ?? `${host}:${port}`;
    this.addresses.set(this.id, this.grpcAddress);
    this.logger.info({ grpc: this.grpcAddress }, 'cluster gRPC listening');
  }

  // ------------------------------------------------------------------ Raft loop

  private onTick(): void {
    this.raft.tick();
    this.scheduleReady();
  }

  private scheduleReady(): void {
    if (this.readyScheduled || this.closed) return;
    this.readyScheduled = true;
    setImmediate(() => {
      this.readyScheduled = false;
      this.processReady();
    });
  }

  private processReady(): void {
    if (this.closed) return;
    while (this.pendingReady !== undefined || this.raft.hasReady()) {
      const rd = this.pendingReady ?? this.raft.ready();
      try {
        this.storage.persist(rd.hardState, rd.entries, rd.snapshot);
      } catch (e: unknown) {
        // A full or failing disk: nothing may be sent or applied before this Ready is durable.
        // Keep it and retry; the node stays up and serves what does not need new metadata.
        this.pendingReady = rd;
        this.logger.error({ err: e }, 'cannot persist Raft state; retrying');
        setTimeout(() => this.scheduleReady(), PERSIST_RETRY_MS).unref();
        return;
      }
      this.pendingReady = undefined;
      if (rd.snapshot !== null) {
        this.metadata.restore(rd.snapshot.data, rd.snapshot.metadata.index);
        this.appliedIndex = rd.snapshot.metadata.index;
        this.logger.info({ index: rd.snapshot.metadata.index, term: rd.snapshot.metadata.term }, 'installed metadata snapshot');
      }
      this.send(rd.messages);
      for (const entry of rd.committedEntries) this.applyEntry(entry);
      for (const rs of rd.readStates) this.onReadState(rs);
      this.raft.advance(rd);
      this.maybeSnapshot();
    }
    this.observeLeader();
    this.wakeWaiters();
  }

  private applyEntry(entry: Entry): void {
    this.appliedIndex = entry.index;
    this.appliedSinceSnapshot++;
    let result: ApplyResult = { ok: true };
    if (entry.type === 'normal' && entry.data.byteLength > 0) {
      try {
        result = this.metadata.apply(decodeCommand(entry.data), entry.index);
      } catch (e: unknown) {
        // A command that fails to apply fails the same way on every node: log it and move on.
        this.logger.error({ err: e, index: entry.index }, 'metadata command failed to apply');
        result = { ok: false, code: 'internal', message: errorMessage(e) };
      }
    }
    if (entry.type === 'config') this.refreshAddresses();
    const pending = this.proposals.get(entry.index);
    if (pending !== undefined) {
      this.proposals.delete(entry.index);
      pending.resolve(pending.term === entry.term ? result : { ok: false, code: 'cluster_unavailable', message: 'leadership changed before the change committed; retry' });
    }
  }

  private maybeSnapshot(): void {
    if (this.appliedSinceSnapshot < this.options.snapshotEntries) return;
    const status = this.raft.status();
    if (this.appliedIndex <= this.storage.snapshot().metadata.index) return;
    // Keep a tail of entries behind the snapshot so a slightly slow follower catches up from the
    // log; the tail is at most half the snapshot interval.
    const trailing = Math.min(CLUSTER_LIMITS.snapshotTrailingEntries, Math.floor(this.options.snapshotEntries / 2));
    this.storage.snapshotAndCompact(this.appliedIndex, status.config, this.metadata.snapshot(), this.appliedIndex - trailing);
    this.appliedSinceSnapshot = 0;
  }

  private observeLeader(): void {
    const status = this.raft.status();
    if (status.leaderId !== this.lastLeader) {
      this.lastLeader = status.leaderId;
      if (status.leaderId !== null) {
        this.leaderChanges++;
        this.logger.info({ leader: status.leaderId, term: status.term }, 'leader changed');
      }
      if (status.leaderId === this.id) {
        this.leaderSinceMs = performance.now();
        this.lastSeenMs.clear();
      }
      if (status.leaderId !== null) void this.registerSelf();
    }
    if (status.leaderId !== this.id) {
      for (const [index, p] of this.proposals) {
        if (status.term > p.term) {
          this.proposals.delete(index);
          p.resolve({ ok: false, code: 'cluster_unavailable', message: 'leadership changed before the change committed; retry' });
        }
      }
    }
  }

  private send(messages: readonly Message[]): void {
    const batches = new Map<string, Message[]>();
    for (const m of messages) {
      const list = batches.get(m.to);
      if (list === undefined) batches.set(m.to, [m]);
      else list.push(m);
    }
    for (const [to, list] of batches) this.sendBatch(to, list);
  }

  private sendBatch(to: string, messages: Message[]): void {
    const address = this.addresses.get(to);
    const inflight = this.inflight.get(to) ?? 0;
    if (address === undefined || inflight >= CLUSTER_LIMITS.raftInflightPerPeerMax) {
      this.raft.reportUnreachable(to);
      return;
    }
    this.inflight.set(to, inflight + 1);
    const client = this.peers.client(to, address);
    const request = { cluster_id: this.options.clusterId, from: this.id, to, messages: messages.map(encodeMessage), from_address: this.grpcAddress };
    unary<RaftBatch, RaftAck__Output>((r, md, o, cb) => client.SendRaft(r, md, o, cb), request, CLUSTER_LIMITS.raftSendDeadlineMs).then(
      () => {
        for (const m of messages) if (m.type === 'snapshot') this.raft.reportSnapshot(to, true);
      },
      () => {
        if (this.closed) return;
        this.raft.reportUnreachable(to);
        for (const m of messages) if (m.type === 'snapshot') this.raft.reportSnapshot(to, false);
        this.scheduleReady();
      },
    ).finally(() => this.inflight.set(to, (this.inflight.get(to) ?? 1) - 1));
  }

  private refreshAddresses(): void {
    for (const m of Object.values(this.metadata.current.members)) {
      if (m.id !== this.id && !this.pinnedAddresses.has(m.id)) this.addresses.set(m.id, m.grpcAddress);
    }
  }

  // ------------------------------------------------------------------ proposals and reads

  /** The leader's id and gRPC address, if known. */
  leader(): { id: string; address: string | undefined } | null {
    const id = this.raft.status().leaderId;
    return id === null ? null : { id, address: this.addresses.get(id) };
  }

  /** True if this node is the Raft leader (the controller). */
  isLeader(): boolean {
    return this.raft.status().role === 'leader';
  }

  /**
   * Commits a metadata change through Raft and resolves once it is applied on this node (so the
   * caller reads its own write). Forwards to the leader when this node is not it; retries while
   * there is no leader, up to the request timeout.
   */
  async propose(command: MetadataCommand): Promise<void> {
    const deadline = performance.now() + CLUSTER_LIMITS.requestTimeoutMs;
    let lastError = 'no leader is known';
    while (performance.now() < deadline && !this.closed) {
      const status = this.raft.status();
      if (status.role === 'leader') {
        const result = await this.proposeLocally(command, deadline);
        if (result.ok) return;
        if (result.code !== 'cluster_unavailable') throw new HektorError(result.code, result.message);
        lastError = result.message;
      } else if (status.leaderId !== null) {
        const address = this.addresses.get(status.leaderId);
        if (address !== undefined) {
          try {
            const client = this.peers.client(status.leaderId, address);
            const reply = await unary<ProposeRequest, ProposeReply__Output>((r, md, o, cb) => client.Propose(r, md, o, cb), { command: Buffer.from(encodeCommand(command)), from: this.id }, Math.max(100, deadline - performance.now()));
            if (reply.ok) {
              await this.waitApplied(reply.index, deadline);
              return;
            }
            if (reply.error_code !== 'cluster_unavailable') throw new HektorError(toCode(reply.error_code), reply.error);
            lastError = reply.error;
          } catch (e: unknown) {
            if (e instanceof HektorError) throw e;
            lastError = `leader ${status.leaderId} unreachable: ${errorMessage(e)}`;
          }
        }
      }
      await sleep(Math.min(50, Math.max(1, deadline - performance.now())));
    }
    throw new HektorError('cluster_unavailable', `the metadata change did not commit within ${CLUSTER_LIMITS.requestTimeoutMs} ms (${lastError}); retry`);
  }

  /** Proposes on this node, which must be the leader; resolves with the apply result and index. */
  private async proposeLocally(command: MetadataCommand, deadline: number): Promise<ApplyResult & { index?: number }> {
    const proposed = this.raft.propose(encodeCommand(command));
    if (!proposed.ok) return { ok: false, code: 'cluster_unavailable', message: `proposal refused: ${proposed.reason}` };
    this.scheduleReady();
    const result = await withTimeout(
      new Promise<ApplyResult>((resolve) => this.proposals.set(proposed.index, { term: proposed.term, resolve })),
      deadline - performance.now(),
      { ok: false, code: 'cluster_unavailable', message: 'the change did not commit in time' },
    );
    this.proposals.delete(proposed.index);
    return { ...result, index: proposed.index };
  }

  /** Resolves once this node has applied `index`, or fails at the deadline. */
  private async waitApplied(index: number, deadline: number): Promise<void> {
    if (this.appliedIndex >= index) return;
    const applied = await withTimeout(
      new Promise<boolean>((resolve) => this.applyWaiters.push({ index, resolve: () => resolve(true) })),
      deadline - performance.now(),
      false,
    );
    if (!applied) throw new HektorError('cluster_unavailable', `this node did not apply index ${index} in time; retry`);
  }

  private wakeWaiters(): void {
    for (let i = this.applyWaiters.length - 1; i >= 0; i--) {
      const w = this.applyWaiters[i];
      if (w !== undefined && w.index <= this.appliedIndex) {
        this.applyWaiters.splice(i, 1);
        w.resolve();
      }
    }
    for (const [id, r] of this.reads) {
      if (r.index !== null && r.index <= this.appliedIndex) {
        this.reads.delete(id);
        r.resolve();
      }
    }
  }

  private onReadState(rs: ReadState): void {
    const r = this.reads.get(rs.requestId);
    if (r !== undefined) r.index = rs.index;
  }

  /** Waits until this node's state reflects every change committed before the call (ReadIndex). */
  async linearize(): Promise<void> {
    const deadline = performance.now() + CLUSTER_LIMITS.requestTimeoutMs;
    while (performance.now() < deadline && !this.closed) {
      const requestId = randomUUID();
      const started = this.raft.readIndex(requestId);
      if (started.ok) {
        this.scheduleReady();
        const done = await withTimeout(
          new Promise<boolean>((resolve) => this.reads.set(requestId, { index: null, resolve: () => resolve(true) })),
          Math.min(1_000, deadline - performance.now()),
          false,
        );
        this.reads.delete(requestId);
        if (done) return;
      } else {
        await sleep(50);
      }
    }
    throw new HektorError('cluster_unavailable', 'no leader confirmed a linearizable read in time; retry');
  }

  // ------------------------------------------------------------------ membership

  private async joinVia(address: string): Promise<void> {
    const deadline = performance.now() + 30_000;
    let target = address;
    let lastError = '';
    while (performance.now() < deadline && !this.closed) {
      try {
        const client = this.peers.client(`join:${target}`, target, false);
        const reply = await unary<JoinRequest, JoinReply__Output>((r, md, o, cb) => client.Join(r, md, o, cb), {
          node_id: this.id, grpc_address: this.grpcAddress, http_address: this.options.httpAddress, zone: this.options.zone,
        }, 3_000);
        if (reply.ok) {
          this.logger.info({ via: target }, 'joined the cluster as a learner');
          this.peers.drop(`join:${target}`);
          return;
        }
        if (reply.error_code === 'peer_refused' || reply.error_code === 'invalid_request') {
          throw new HektorError(toCode(reply.error_code), `join refused: ${reply.error}`);
        }
        lastError = reply.error;
        if (reply.leader_address !== '') target = reply.leader_address;
      } catch (e: unknown) {
        if (e instanceof HektorError) throw e;
        lastError = errorMessage(e);
      }
      await sleep(200);
    }
    throw new HektorError('cluster_unavailable', `could not join the cluster via ${address}: ${lastError}`);
  }

  /** Leader side of a join: record the member, then add it as a learner. */
  private async admit(member: Omit<MemberInfo, 'state'>): Promise<void> {
    await this.propose({ type: 'upsert_member', member });
    const status = this.raft.status();
    if (status.config.voters.includes(member.id) || status.config.learners.includes(member.id)) return;
    await this.changeConfig({ type: 'addLearner', nodeId: member.id });
  }

  /** Removes a node: out of the Raft configuration first, then out of the member list. */
  async removeNode(nodeId: string): Promise<void> {
    if (!this.isLeader()) {
      const leader = this.leader();
      if (leader?.address === undefined) throw new HektorError('cluster_unavailable', 'no leader is known; retry');
      const client = this.peers.client(leader.id, leader.address);
      const reply = await unary<LeaveRequest, LeaveReply__Output>((r, md, o, cb) => client.Leave(r, md, o, cb), { node_id: nodeId }, CLUSTER_LIMITS.requestTimeoutMs);
      if (!reply.ok) throw new HektorError(toCode(reply.error_code), reply.error);
      return;
    }
    const status = this.raft.status();
    if (status.config.voters.includes(nodeId) || status.config.learners.includes(nodeId)) {
      if (nodeId === this.id) {
        const other = status.config.voters.find((v) => v !== this.id);
        if (other === undefined) throw new HektorError('invalid_request', 'the last voter cannot leave the cluster');
        this.raft.transferLeadership(other);
        this.scheduleReady();
        throw new HektorError('cluster_unavailable', `leadership is moving to ${other} so that this node can be removed; retry`);
      }
      await this.changeConfig({ type: 'removeNode', nodeId });
    }
    if (this.metadata.current.members[nodeId] !== undefined) await this.propose({ type: 'remove_member', id: nodeId });
    this.peers.drop(nodeId);
  }

  private async changeConfig(change: { type: 'addVoter' | 'addLearner' | 'removeNode'; nodeId: string }): Promise<void> {
    const deadline = performance.now() + CLUSTER_LIMITS.requestTimeoutMs;
    while (performance.now() < deadline) {
      const proposed = this.raft.proposeConfigChange(change);
      if (proposed.ok) {
        this.scheduleReady();
        const result = await withTimeout(
          new Promise<ApplyResult>((resolve) => this.proposals.set(proposed.index, { term: proposed.term, resolve })),
          deadline - performance.now(),
          { ok: false, code: 'cluster_unavailable', message: 'the configuration change did not commit in time' },
        );
        if (result.ok) return;
        throw new HektorError(result.code, result.message);
      }
      if (proposed.reason === 'notLeader') throw new HektorError('cluster_unavailable', 'this node lost leadership; retry');
      await sleep(50);
    }
    throw new HektorError('cluster_unavailable', `the configuration change ${change.type} ${change.nodeId} did not commit in time; retry`);
  }

  // ------------------------------------------------------------------ controller and health

  private roundRunning = false;

  private async heartbeatRound(): Promise<void> {
    // Rounds never overlap: a slow round (probes waiting out their deadline) would otherwise let
    // the next one act on the same stale state (two controller decisions for one failure).
    if (this.closed || this.roundRunning) return;
    this.roundRunning = true;
    try {
      await this.heartbeatRoundOnce();
    } finally {
      this.roundRunning = false;
    }
  }

  /**
   * How long this node (as controller) has not heard from `nodeId`: since its last heartbeat, or
   * since this node became leader when it has not heard from it at all. Zero for itself.
   */
  silentMs(nodeId: string): number {
    if (nodeId === this.id) return 0;
    return performance.now() - (this.lastSeenMs.get(nodeId) ?? this.leaderSinceMs);
  }

  /** The silence after which a node is dead. */
  get failureTimeoutMs(): number {
    return this.options.failureTimeoutMs;
  }

  private async heartbeatRoundOnce(): Promise<void> {
    void this.registerSelf();
    const members = Object.values(this.metadata.current.members).filter((m) => m.id !== this.id);
    const roundMs = performance.now();
    const answered = await Promise.all(members.map(async (m) => ((await this.probe(m)) ? m.id : null)));
    if (this.isLeader()) {
      // The controller's own lease: a quorum of voters answered this round, so no other leader
      // can have been elected before roundMs (check-quorum makes a cut-off leader step down).
      const voters = this.raft.status().config.voters;
      const reached = voters.filter((v) => v === this.id || answered.includes(v)).length;
      if (reached > voters.length / 2) this.extendLease(roundMs);
      await this.controllerStep();
      for (const hook of this.controllerHooks) {
        try {
          await hook();
        } catch (e: unknown) {
          this.logger.warn({ err: e }, 'controller step failed');
        }
      }
    }
  }

  private async probe(member: MemberInfo): Promise<boolean> {
    const sentMs = performance.now();
    try {
      const client = this.peers.client(member.id, this.addresses.get(member.id) ?? member.grpcAddress);
      const reply = await unary<HeartbeatRequest, HeartbeatReply__Output>((r, md, o, cb) => client.Heartbeat(r, md, o, cb), { from: this.id, sent_at_ms: sentMs }, this.options.heartbeatIntervalMs * 2);
      const now = performance.now();
      this.lastSeenMs.set(member.id, now);
      this.rttMs.set(member.id, now - sentMs);
      // The controller heard from us no earlier than sentMs: it cannot declare us dead before
      // sentMs + failureTimeoutMs, so a lease shorter than that is safe.
      if (reply.leader_id === member.id && reply.node_id === member.id) this.extendLease(sentMs);
      return true;
    } catch {
      // silence is what the controller measures
      return false;
    }
  }

  private extendLease(fromMs: number): void {
    this.leaseUntil = Math.max(this.leaseUntil, fromMs + this.leaseMs);
  }

  /**
   * How long a contact with the controller lets this node act as a shard primary: half the
   * failure timeout, so a primary cut off from the controller stops acknowledging writes well
   * before the controller may declare it dead and promote another replica.
   */
  get leaseMs(): number {
    return Math.floor(this.options.failureTimeoutMs / 2);
  }

  /** Until when (performance.now clock) this node may acknowledge writes as a shard primary. */
  leaseUntilMs(): number {
    return this.leaseUntil;
  }

  /** Registers work the controller (the Raft leader) does on every health round (failover). */
  onControllerStep(hook: () => Promise<void>): void {
    this.controllerHooks.push(hook);
  }

  /** Installs the data-plane RPC handlers (the replication runtime). */
  onReplication(service: ReplicationService): void {
    this.replication = service;
  }

  /** The gRPC client of node `nodeId`; throws shard_unavailable when its address is unknown. */
  peerClient(nodeId: string): ClusterClient {
    const address = this.addresses.get(nodeId) ?? this.metadata.current.members[nodeId]?.grpcAddress;
    if (address === undefined) throw new HektorError('shard_unavailable', `no address is known for node ${nodeId}`);
    return this.peers.client(nodeId, address);
  }

  /** Health of a member as the metadata records it (undefined for a non-member). */
  memberState(nodeId: string): NodeState | undefined {
    return this.metadata.current.members[nodeId]?.state;
  }

  /** True when the metadata holds this node with its current addresses. */
  isRegistered(): boolean {
    const self = this.metadata.current.members[this.id];
    return self !== undefined && self.grpcAddress === this.grpcAddress && self.httpAddress === this.options.httpAddress && self.zone === this.options.zone;
  }

  /** Every node keeps its own member record (addresses change across restarts) up to date. */
  private async registerSelf(): Promise<void> {
    if (this.isRegistered() || this.registering || this.raft.status().leaderId === null) return;
    this.registering = true;
    try {
      await this.tryPropose({ type: 'upsert_member', member: { id: this.id, grpcAddress: this.grpcAddress, httpAddress: this.options.httpAddress, zone: this.options.zone } });
    } finally {
      this.registering = false;
    }
  }

  /** Resolves once this node is registered in the metadata, or false after `timeoutMs`. */
  async waitRegistered(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!this.isRegistered()) {
      if (performance.now() > deadline || this.closed) return false;
      void this.registerSelf();
      await sleep(20);
    }
    return true;
  }

  private async controllerStep(): Promise<void> {
    const now = performance.now();
    const state = this.metadata.current;
    for (const m of Object.values(state.members)) {
      if (m.id === this.id) {
        if (m.state !== 'alive') await this.tryPropose({ type: 'set_node_state', id: m.id, state: 'alive' });
        continue;
      }
      const seen = this.lastSeenMs.get(m.id) ?? this.leaderSinceMs;
      const silentMs = now - seen;
      const next: NodeState = silentMs >= this.options.failureTimeoutMs ? 'dead' : silentMs >= this.options.failureTimeoutMs / 2 ? 'suspect' : 'alive';
      if (next !== m.state) await this.tryPropose({ type: 'set_node_state', id: m.id, state: next });
    }
    // Promote learners that have caught up.
    const status = this.raft.status();
    for (const learner of status.config.learners) {
      const match = this.raft.matchIndexOf(learner) ?? 0;
      if (status.lastIndex - match <= CLUSTER_LIMITS.learnerPromotionLagMax && state.members[learner]?.state === 'alive') {
        const promoted = this.raft.proposeConfigChange({ type: 'addVoter', nodeId: learner });
        if (promoted.ok) {
          this.logger.info({ node: learner }, 'promoting caught-up learner to voter');
          this.scheduleReady();
        }
        break;
      }
    }
  }

  private async tryPropose(command: MetadataCommand): Promise<void> {
    try {
      await this.propose(command);
    } catch (e: unknown) {
      this.logger.warn({ err: e, command: command.type }, 'controller proposal failed');
    }
  }

  // ------------------------------------------------------------------ gRPC service

  private peerIdentity(call: PeerCall): string | undefined {
    if (this.options.tls === undefined) return undefined;
    return certificateNodeId(call.getAuthContext().sslPeerCertificate);
  }

  /** Without TLS every caller passes; with mTLS the certificate must name a member. */
  private peerIsMember(call: PeerCall): boolean {
    if (this.options.tls === undefined) return true;
    const identity = this.peerIdentity(call);
    return identity !== undefined && this.metadata.current.members[identity] !== undefined;
  }

  private handlers(): ClusterHandlers {
    return {
      SendRaft: (call, callback) => {
        const batch = call.request;
        if (batch.cluster_id !== this.options.clusterId) {
          callback({ code: grpc.status.PERMISSION_DENIED, details: `peer_refused: cluster id ${batch.cluster_id} is not ${this.options.clusterId}` });
          return;
        }
        const identity = this.peerIdentity(call);
        if (this.options.tls !== undefined && identity !== batch.from) {
          callback({ code: grpc.status.PERMISSION_DENIED, details: `peer_refused: certificate names ${identity ?? '(none)'} but the batch is from ${batch.from}` });
          return;
        }
        if (batch.from_address !== '' && !this.addresses.has(batch.from)) this.addresses.set(batch.from, batch.from_address);
        for (const raw of batch.messages) {
          try {
            const m = decodeMessage(raw);
            if (m.from !== batch.from || m.to !== this.id) continue;
            this.raft.step(m);
          } catch (e: unknown) {
            this.logger.warn({ err: e, from: batch.from }, 'dropping malformed raft message');
          }
        }
        this.scheduleReady();
        callback(null, {});
      },
      Heartbeat: (call, callback) => {
        const s = this.raft.status();
        if (call.request.from !== '') this.lastSeenMs.set(call.request.from, performance.now());
        callback(null, { node_id: this.id, term: s.term, leader_id: s.leaderId ?? '', commit_index: s.commitIndex, applied_index: this.appliedIndex });
      },
      Join: (call, callback) => {
        const req = call.request;
        const identity = this.peerIdentity(call);
        if (this.options.tls !== undefined && identity !== req.node_id) {
          callback(null, { ok: false, error_code: 'peer_refused', error: `certificate names ${identity ?? '(none)'}, not ${req.node_id}`, leader_id: '', leader_address: '', cluster_id: '' });
          return;
        }
        if (!this.isLeader()) {
          const leader = this.leader();
          callback(null, { ok: false, error_code: 'cluster_unavailable', error: 'not the leader', leader_id: leader?.id ?? '', leader_address: leader?.address ?? '', cluster_id: this.options.clusterId });
          return;
        }
        this.admit({ id: req.node_id, grpcAddress: req.grpc_address, httpAddress: req.http_address, zone: req.zone }).then(
          () => callback(null, { ok: true, error_code: '', error: '', leader_id: this.id, leader_address: this.grpcAddress, cluster_id: this.options.clusterId }),
          (e: unknown) => callback(null, { ok: false, error_code: codeOf(e), error: errorMessage(e), leader_id: '', leader_address: '', cluster_id: this.options.clusterId }),
        );
      },
      Leave: (call, callback) => {
        this.removeNode(call.request.node_id).then(
          () => callback(null, { ok: true, error_code: '', error: '', leader_id: this.id, leader_address: this.grpcAddress }),
          (e: unknown) => callback(null, { ok: false, error_code: codeOf(e), error: errorMessage(e), leader_id: this.leader()?.id ?? '', leader_address: this.leader()?.address ?? '' }),
        );
      },
      Propose: (call, callback) => {
        let command: MetadataCommand;
        try {
          command = decodeCommand(call.request.command);
        } catch {
          callback(null, { ok: false, error_code: 'invalid_request', error: 'malformed command', index: 0, leader_id: '', leader_address: '' });
          return;
        }
        if (!this.isLeader()) {
          callback(null, { ok: false, error_code: 'cluster_unavailable', error: 'not the leader', index: 0, leader_id: this.leader()?.id ?? '', leader_address: this.leader()?.address ?? '' });
          return;
        }
        this.proposeLocally(command, performance.now() + CLUSTER_LIMITS.requestTimeoutMs).then(
          (r) => callback(null, r.ok
            ? { ok: true, error_code: '', error: '', index: r.index ?? 0, leader_id: this.id, leader_address: this.grpcAddress }
            : { ok: false, error_code: r.code, error: r.message, index: r.index ?? 0, leader_id: this.id, leader_address: this.grpcAddress }),
          (e: unknown) => callback(null, { ok: false, error_code: codeOf(e), error: errorMessage(e), index: 0, leader_id: '', leader_address: '' }),
        );
      },
      ShardCall: (call, callback) => {
        const identity = this.peerIdentity(call);
        if (this.options.tls !== undefined && (identity === undefined || this.metadata.current.members[identity] === undefined)) {
          callback(null, { ok: false, error_code: 'peer_refused', error: `certificate names ${identity ?? '(none)'}, which is not a member`, result: Buffer.alloc(0) });
          return;
        }
        const handler = this.shardCallHandler;
        if (handler === undefined) {
          callback(null, { ok: false, error_code: 'shard_unavailable', error: 'this node does not serve shard calls yet', result: Buffer.alloc(0) });
          return;
        }
        handler(call.request).then(
          (result) => callback(null, { ok: true, error_code: '', error: '', result }),
          (e: unknown) => callback(null, { ok: false, error_code: codeOf(e), error: errorMessage(e), result: Buffer.alloc(0) }),
        );
      },
      Replicate: (call, callback) => {
        if (!this.peerIsMember(call)) {
          callback({ code: grpc.status.PERMISSION_DENIED, details: 'peer_refused: the caller is not a cluster member' });
          return;
        }
        call.on('data', (batch: ReplicationBatch__Output) => this.replication?.replicate(batch));
        call.on('end', () => callback(null, {}));
        call.on('error', () => undefined); // the sender reconnects; the protocol retransmits
      },
      ReplicaCall: (call, callback) => {
        if (!this.peerIsMember(call)) {
          callback(null, { ok: false, error_code: 'peer_refused', error: 'the caller is not a cluster member', result: Buffer.alloc(0) });
          return;
        }
        const service = this.replication;
        if (service === undefined) {
          callback(null, { ok: false, error_code: 'shard_unavailable', error: 'this node does not serve replicas yet', result: Buffer.alloc(0) });
          return;
        }
        service.replicaCall(call.request).then(
          (result) => callback(null, { ok: true, error_code: '', error: '', result }),
          (e: unknown) => callback(null, { ok: false, error_code: codeOf(e), error: errorMessage(e), result: Buffer.alloc(0) }),
        );
      },
      ShardSnapshot: (call) => {
        const service = this.replication;
        if (!this.peerIsMember(call) || service === undefined) {
          call.destroy(Object.assign(new Error('peer_refused or no replication service'), { code: grpc.status.PERMISSION_DENIED }));
          return;
        }
        const write = (chunk: Buffer): Promise<void> => new Promise<void>((resolve, reject) => {
          if (call.cancelled || call.destroyed) {
            reject(new HektorError('shard_unavailable', 'the snapshot stream was cancelled'));
            return;
          }
          if (call.write({ points: chunk })) resolve();
          else call.once('drain', () => resolve());
        });
        service.snapshot(call.request, write).then(
          () => call.end(),
          (e: unknown) => call.destroy(Object.assign(new Error(`${codeOf(e)}: ${errorMessage(e)}`), { code: grpc.status.UNAVAILABLE })),
        );
      },
      ReadMetadata: (call, callback) => {
        const done = () => callback(null, { ok: true, error_code: '', error: '', state: Buffer.from(this.metadata.snapshot()), applied_index: this.appliedIndex });
        if (!call.request.linearizable) {
          done();
          return;
        }
        this.linearize().then(done, (e: unknown) => callback(null, { ok: false, error_code: codeOf(e), error: errorMessage(e), state: Buffer.alloc(0), applied_index: 0 }));
      },
    };
  }

  // ------------------------------------------------------------------ data-plane hooks

  private shardCallHandler: ((request: ShardCallRequest__Output) => Promise<Buffer>) | undefined;

  /** Installs the server side of ShardCall (the point router of the node). */
  onShardCall(handler: (request: ShardCallRequest__Output) => Promise<Buffer>): void {
    this.shardCallHandler = handler;
  }

  /**
   * Runs ShardCall on node `nodeId`; throws the remote error with its code. Reads are idempotent
   * and retried on transient transport errors (capped exponential backoff with jitter); writes
   * are not, because a retry could apply them twice.
   */
  async shardCall(nodeId: string, request: ShardCallRequest, deadlineMs: number, idempotent: boolean): Promise<Buffer> {
    const address = this.addresses.get(nodeId) ?? this.metadata.current.members[nodeId]?.grpcAddress;
    if (address === undefined) throw new HektorError('shard_unavailable', `no address is known for node ${nodeId}`);
    const client = this.peers.client(nodeId, address);
    let reply: ShardCallReply__Output;
    try {
      reply = await withRetries(
        () => unary<ShardCallRequest, ShardCallReply__Output>((r, md, o, cb) => client.ShardCall(r, md, o, cb), request, deadlineMs),
        { idempotent, random: this.random },
      );
    } catch (e: unknown) {
      throw new HektorError('shard_unavailable', `node ${nodeId} did not answer: ${errorMessage(e)}`);
    }
    if (!reply.ok) throw new HektorError(toCode(reply.error_code), reply.error);
    return reply.result;
  }

  // ------------------------------------------------------------------ status and shutdown

  /** The figures of /cluster and /metrics. */
  status(): ClusterStatus {
    const s = this.raft.status();
    return {
      nodeId: this.id,
      role: s.role,
      term: s.term,
      leaderId: s.leaderId,
      commitIndex: s.commitIndex,
      appliedIndex: this.appliedIndex,
      voters: s.config.voters,
      learners: s.config.learners,
      members: Object.values(this.metadata.current.members).sort((a, b) => (a.id < b.id ? -1 : 1)),
      leaderChanges: this.leaderChanges,
      peerRttMs: Object.fromEntries(this.rttMs),
    };
  }

  /** Stops timers, the gRPC server and channels, and closes the Raft storage. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.tickTimer);
    clearInterval(this.healthTimer);
    for (const p of this.proposals.values()) p.resolve({ ok: false, code: 'shutting_down', message: 'the node is shutting down' });
    this.proposals.clear();
    this.peers.close();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
    await this.storage.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = setTimeout(() => resolve(fallback), Math.max(0, ms));
    void promise.then((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function codeOf(e: unknown): string {
  return e instanceof HektorError ? e.code : 'internal';
}

/** A code received from a peer, if it is one of ours; anything else is internal. */
function toCode(code: string): ErrorCode {
  return Object.hasOwn(ERROR_CODES, code) ? (code as ErrorCode) : 'internal';
}
