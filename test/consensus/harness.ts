/**
 * A scripted test network in the spirit of etcd raft's interaction tests: nodes over
 * MemoryStorage, a message queue the test delivers explicitly, drop rules for partitions, and
 * `stabilize` to run until quiet. Ready handling follows the contract (persist, send, apply).
 */

import { SeededRandom } from '../../src/base/prng.js';
import type { RaftConfig } from '../../src/consensus/limits.js';
import { RaftNode } from '../../src/consensus/raft.js';
import type { RaftTestHooks } from '../../src/consensus/raft.js';
import { MemoryStorage } from '../../src/consensus/storage.js';
import type { ConfigState, Entry, Message, NodeId, ReadState } from '../../src/consensus/types.js';

/** One node under test with what it has applied. */
export interface TestNode {
  raft: RaftNode;
  readonly storage: MemoryStorage;
  readonly applied: Entry[];
  readonly readStates: ReadState[];
  snapshotsApplied: number;
}

/** A deterministic, hand-driven cluster. */
export class Cluster {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Messages sent and not yet delivered, in order. */
  queue: Message[] = [];
  private readonly cut = new Set<NodeId>();
  private readonly config: Partial<RaftConfig>;
  private readonly hooks: RaftTestHooks;

  /** Creates nodes `ids`, all voters unless `bootstrap` says otherwise. */
  constructor(ids: readonly NodeId[], options: { config?: Partial<RaftConfig>; hooks?: RaftTestHooks; bootstrap?: ConfigState } = {}) {
    this.config = options.config ?? {};
    this.hooks = options.hooks ?? {};
    const bootstrap = options.bootstrap ?? { voters: ids, learners: [] };
    for (const id of ids) this.add(id, new MemoryStorage(bootstrap));
  }

  /** Adds a node over `storage` (e.g. a new member with an empty config). */
  add(id: NodeId, storage: MemoryStorage): TestNode {
    const node: TestNode = { raft: this.open(id, storage, 0), storage, applied: [], readStates: [], snapshotsApplied: 0 };
    this.nodes.set(id, node);
    return node;
  }

  /** Simulates a crash and restart: volatile state is lost, storage is kept. */
  restart(id: NodeId): void {
    const node = this.get(id);
    node.raft = this.open(id, node.storage, 0);
    node.applied.length = 0;
  }

  /** The node `id`. */
  get(id: NodeId): TestNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** The raft of `id`. */
  raft(id: NodeId): RaftNode {
    return this.get(id).raft;
  }

  /** Cuts `id` off from everyone (messages to and from it are dropped). */
  isolate(id: NodeId): void {
    this.cut.add(id);
  }

  /** Heals every cut. */
  heal(): void {
    this.cut.clear();
  }

  /** Handles every node's Ready (persist, queue messages, apply) until none has one. */
  processReadies(): void {
    for (let changed = true; changed;) {
      changed = false;
      for (const node of this.nodes.values()) {
        while (node.raft.hasReady()) {
          changed = true;
          const rd = node.raft.ready();
          if (rd.snapshot !== null) {
            node.storage.applySnapshot(rd.snapshot);
            node.snapshotsApplied++;
          }
          node.storage.append(rd.entries);
          if (rd.hardState !== null) node.storage.setHardState(rd.hardState);
          for (const m of rd.messages) {
            if (!this.cut.has(m.from) && !this.cut.has(m.to)) this.queue.push(m);
          }
          node.applied.push(...rd.committedEntries);
          node.readStates.push(...rd.readStates);
          node.raft.advance(rd);
        }
      }
    }
  }

  /** Delivers the queued messages (one round); returns how many were delivered. */
  deliver(filter: (m: Message) => boolean = () => true): number {
    this.processReadies();
    const batch = this.queue;
    this.queue = [];
    let delivered = 0;
    for (const m of batch) {
      if (!filter(m) || this.cut.has(m.to) || this.cut.has(m.from) || !this.nodes.has(m.to)) continue;
      this.raft(m.to).step(m);
      delivered++;
    }
    this.processReadies();
    return delivered;
  }

  /** Delivers until no message is left (bounded, to catch livelock). */
  stabilize(roundsMax = 100): void {
    for (let i = 0; i < roundsMax; i++) {
      if (this.deliver() === 0 && this.queue.length === 0) return;
    }
    throw new Error('cluster did not stabilize');
  }

  /** Ticks the given nodes (default all) `n` times, stabilizing after each tick. */
  tick(n: number, ids: readonly NodeId[] = [...this.nodes.keys()]): void {
    for (let i = 0; i < n; i++) {
      for (const id of ids) this.raft(id).tick();
      this.stabilize();
    }
  }

  /** Ticks only `id` until it campaigns, then lets the election run. */
  elect(id: NodeId): void {
    const raft = this.raft(id);
    for (let i = 0; i < 1000 && raft.status().role === 'follower'; i++) {
      raft.tick();
      this.processReadies();
    }
    this.stabilize();
  }

  /** Ids of nodes that believe they lead. */
  leaders(): NodeId[] {
    return [...this.nodes.entries()].filter(([, n]) => n.raft.status().role === 'leader').map(([id]) => id);
  }

  private open(id: NodeId, storage: MemoryStorage, appliedIndex: number): RaftNode {
    let seed = 0;
    for (const ch of id) seed = seed * 31 + ch.charCodeAt(0);
    return new RaftNode({ id, storage, random: new SeededRandom(seed), config: this.config, appliedIndex, testHooks: this.hooks });
  }
}

/** Encodes a string as proposal data. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** The application data of the normal, non-empty entries a node applied. */
export function appliedTexts(node: TestNode): string[] {
  const decoder = new TextDecoder();
  return node.applied.filter((e) => e.type === 'normal' && e.data.byteLength > 0).map((e) => decoder.decode(e.data));
}
