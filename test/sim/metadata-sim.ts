/**
 * The cluster's metadata state machine (src/cluster/metadata.ts) driven by the Raft simulator:
 * a seeded workload of encoded metadata commands, one MetadataStateMachine per simulated node
 * (applied, snapshotted and restored the way ClusterNode does it), and the checkers that every
 * node reaches the same state and the same apply results at every index and that every state is
 * structurally sound. Also the deliberately broken state machines the tests use to show that
 * the checkers fire.
 */

import { createHash } from 'node:crypto';
import { SeededRandom } from '../../src/base/prng.js';
import { MetadataStateMachine, decodeCommand, encodeCommand } from '../../src/cluster/metadata.js';
import type { ApplyResult, MetadataCommand, MetadataState, NodeState } from '../../src/cluster/metadata.js';
import type { Entry, NodeId } from '../../src/consensus/types.js';
import type { Distance, PayloadIndexType } from '../../src/index/types.js';
import type { CollectionConfig } from '../../src/shard/collection.js';

/** How the simulator runs the metadata state machine. */
export interface MetadataSimOptions {
  /** Builds the state machine of a node (tests inject broken ones); a plain one by default. */
  readonly stateMachineFor?: (nodeId: NodeId) => MetadataStateMachine;
  /**
   * Adds ids and names that are valid (node ids and collection names allow A-Z a-z 0-9 _ . -)
   * but collide with Object.prototype or with MemberInfo's own fields: "__proto__",
   * "constructor", "toString", "zone".
   */
  readonly hostileNames?: boolean;
}

/** What the metadata workload did in one run (counted once per committed index). */
export interface MetadataStats {
  readonly commands: number;
  readonly ok: number;
  readonly errors: number;
  readonly okByType: Readonly<Record<string, number>>;
  readonly collectionsCreated: number;
  /** Applies and restores compared against the state first recorded at that index. */
  readonly comparisons: number;
  readonly restores: number;
}

/** A metadata invariant violation (the simulator reports it with the seed). */
export class MetadataViolation extends Error {}

const MEMBER_POOL = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
const COLLECTION_POOL = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
const FIELD_POOL = ['f0', 'f1', 'f2', 'f3', 'f4'];
const HOSTILE_MEMBERS = ['__proto__', 'constructor', 'zone'];
const HOSTILE_COLLECTIONS = ['__proto__', 'constructor', 'toString'];
const HOSTILE_FIELDS = ['__proto__', 'constructor'];
const INDEX_TYPES: readonly PayloadIndexType[] = ['keyword', 'integer', 'float', 'bool', 'uuid'];
const DISTANCES: readonly Distance[] = ['Cosine', 'Euclid', 'Dot'];
const NODE_STATES: readonly NodeState[] = ['alive', 'suspect', 'dead'];
/** Canonical states kept whole for a readable divergence message; older ones keep only hashes. */
const KEEP_STATE_TEXT_ENTRIES = 256;

interface IndexRecord {
  readonly node: NodeId;
  readonly result: string;
  /** Hash of JSON.stringify of the state (contents and key order). */
  readonly stateHash: string;
  readonly snapshotHash: string;
  stateText: string | undefined;
}

/** The metadata side of one simulated run; the simulator calls it at each apply, snapshot and restore. */
export class MetadataHarness {
  private readonly rng: SeededRandom;
  private readonly memberPool: readonly string[];
  private readonly collectionPool: readonly string[];
  private readonly fieldPool: readonly string[];
  private readonly machines = new Map<NodeId, MetadataStateMachine>();
  private readonly records = new Map<number, IndexRecord>();
  /** Live members when each collection incarnation (`name@raftIndex`) was created. */
  private readonly liveAtCreation = new Map<string, ReadonlySet<string>>();
  private commands = 0;
  private ok = 0;
  private errors = 0;
  private readonly okByType: Record<string, number> = {};
  private collectionsCreated = 0;
  private comparisons = 0;
  private restores = 0;

  constructor(seed: number, private readonly options: MetadataSimOptions) {
    // Its own stream, so the metadata workload does not shift the simulator's fault schedule.
    this.rng = new SeededRandom((Math.imul(seed, 0x9e3779b1) + 0x6d657461) >>> 0);
    const hostile = options.hostileNames === true;
    this.memberPool = hostile ? [...MEMBER_POOL, ...HOSTILE_MEMBERS] : MEMBER_POOL;
    this.collectionPool = hostile ? [...COLLECTION_POOL, ...HOSTILE_COLLECTIONS] : COLLECTION_POOL;
    this.fieldPool = hostile ? [...FIELD_POOL, ...HOSTILE_FIELDS] : FIELD_POOL;
  }

  /** A node (re)starts: a fresh state machine, restored from its durable snapshot if it has one. */
  start(nodeId: NodeId, snapshot: Uint8Array | undefined, index: number): void {
    const sm = this.options.stateMachineFor?.(nodeId) ?? new MetadataStateMachine();
    this.machines.set(nodeId, sm);
    if (snapshot !== undefined) this.restore(nodeId, snapshot, index);
  }

  /** The node installs a snapshot taken at `index` (from its disk or from the leader). */
  restore(nodeId: NodeId, data: Uint8Array, index: number): void {
    const sm = this.machine(nodeId);
    sm.restore(data, index);
    this.restores++;
    const rec = this.records.get(index);
    if (rec === undefined) {
      if (index > 0) throw new MetadataViolation(`metadata snapshot at ${index} restored on ${nodeId}, but no node ever applied that index`);
      return;
    }
    this.compare(nodeId, index, rec, rec.result, sm, 'restoring a snapshot');
  }

  /** The bytes of the node's state for a Raft snapshot. */
  snapshot(nodeId: NodeId): Uint8Array {
    return this.machine(nodeId).snapshot();
  }

  /** The node applies a committed entry the way ClusterNode.applyEntry does, then the checks run. */
  apply(nodeId: NodeId, entry: Entry): void {
    const sm = this.machine(nodeId);
    let result = 'ok';
    let command: MetadataCommand | undefined;
    let liveBefore: ReadonlySet<string> | undefined;
    if (entry.type === 'normal' && entry.data.byteLength > 0) {
      try {
        command = decodeCommand(entry.data);
      } catch {
        result = 'error:internal'; // e.g. the simulator's liveness probe: not a command
      }
      if (command !== undefined) {
        if (command.type === 'create_collection') liveBefore = liveMembers(sm.current);
        result = outcome(() => sm.apply(command!, entry.index));
      }
    }
    const rec = this.records.get(entry.index);
    if (rec !== undefined) {
      this.compare(nodeId, entry.index, rec, result, sm, `applying ${describe(command)}`);
      return;
    }
    // The first node to apply an index records it; the others must reproduce it exactly.
    const stateText = JSON.stringify(sm.current);
    this.records.set(entry.index, {
      node: nodeId, result, stateHash: hash(stateText), snapshotHash: hash(sm.snapshot()), stateText,
    });
    const old = this.records.get(entry.index - KEEP_STATE_TEXT_ENTRIES);
    if (old !== undefined) old.stateText = undefined;
    if (command !== undefined) {
      this.commands++;
      if (result === 'ok') {
        this.ok++;
        this.okByType[command.type] = (this.okByType[command.type] ?? 0) + 1;
      } else this.errors++;
      if (command.type === 'create_collection' && result === 'ok') {
        this.collectionsCreated++;
        this.liveAtCreation.set(`${command.config.name}@${entry.index}`, liveBefore ?? new Set());
      }
      if (command.type === 'replace_replica' && result === 'ok') {
        // Re-replication places a replica on a node that is live now: it joins the eligible set.
        const key = `${command.collection}@${sm.current.collections[command.collection]?.config.raft_index ?? '?'}`;
        this.liveAtCreation.set(key, new Set([...(this.liveAtCreation.get(key) ?? []), command.add]));
      }
    }
    checkStructure(sm.current, this.liveAtCreation, `after ${describe(command)} at index ${entry.index} on ${nodeId}`);
  }

  /** The next client command, chosen from the proposer's applied state so that most succeed. */
  nextCommand(proposerId: NodeId, nowMs: number): Uint8Array {
    return encodeCommand(this.chooseCommand(this.machine(proposerId).current, nowMs));
  }

  /** The run's counters. */
  stats(): MetadataStats {
    return {
      commands: this.commands, ok: this.ok, errors: this.errors, okByType: { ...this.okByType },
      collectionsCreated: this.collectionsCreated, comparisons: this.comparisons, restores: this.restores,
    };
  }

  private machine(nodeId: NodeId): MetadataStateMachine {
    const sm = this.machines.get(nodeId);
    if (sm === undefined) throw new Error(`no metadata state machine for ${nodeId}`);
    return sm;
  }

  private compare(nodeId: NodeId, index: number, rec: IndexRecord, result: string, sm: MetadataStateMachine, what: string): void {
    this.comparisons++;
    if (result !== rec.result) {
      throw new MetadataViolation(`metadata apply result diverged at index ${index}: ${rec.node} got ${rec.result}, ${nodeId} got ${result} (${what})`);
    }
    // Plain JSON.stringify is several times cheaper than canonical JSON and stricter: it also
    // catches equal contents in a different key order, which would make snapshot bytes differ.
    const stateText = JSON.stringify(sm.current);
    if (hash(stateText) !== rec.stateHash) {
      if (rec.stateText === undefined) throw new MetadataViolation(`metadata state diverged at index ${index}: ${nodeId} (${what}) differs from ${rec.node}`);
      const difference = firstDifference(JSON.parse(rec.stateText), JSON.parse(stateText), '$');
      if (difference === undefined) {
        throw new MetadataViolation(`metadata state serialised differently at index ${index}: ${nodeId} (${what}) and ${rec.node} hold equal contents in a different key order`);
      }
      throw new MetadataViolation(`metadata state diverged at index ${index}: ${nodeId} (${what}) differs from ${rec.node}; first difference at ${difference}`);
    }
    if (hash(sm.snapshot()) !== rec.snapshotHash) {
      throw new MetadataViolation(`metadata snapshot bytes diverged at index ${index}: ${nodeId} (${what}) and ${rec.node} hold equal states that snapshot differently`);
    }
  }

  private chooseCommand(state: Readonly<MetadataState>, nowMs: number): MetadataCommand {
    const rng = this.rng;
    const members = Object.keys(state.members);
    const collections = Object.keys(state.collections);
    const live = Object.values(state.members).filter((m) => m.state !== 'dead').length;
    const roll = live < 3 && rng.chance(0.5) ? 0 : rng.next();
    if (roll < 0.18) {
      const id = this.pick(this.memberPool);
      const k = this.memberPool.indexOf(id);
      return { type: 'upsert_member', member: { id, grpcAddress: `10.0.0.${k}:6335`, httpAddress: `10.0.0.${k}:6333`, zone: `zone-${k % 3}` } };
    }
    if (roll < 0.25) return { type: 'remove_member', id: this.pickMostlyFrom(members, this.memberPool) };
    if (roll < 0.40) {
      const state = NODE_STATES[rng.int(NODE_STATES.length)] ?? 'alive';
      return { type: 'set_node_state', id: this.pickMostlyFrom(members, this.memberPool), state };
    }
    if (roll < 0.65) return { type: 'create_collection', config: this.randomConfig(nowMs) };
    if (roll < 0.78) return { type: 'delete_collection', name: this.pickMostlyFrom(collections, this.collectionPool) };
    const collection = this.pickMostlyFrom(collections, this.collectionPool);
    if (roll < 0.86) {
      const replicated = this.replicationCommand(state, collection);
      if (replicated !== undefined) return replicated;
    }
    if (roll < 0.92) {
      return { type: 'create_payload_index', collection, field: this.pick(this.fieldPool), fieldType: this.pick(INDEX_TYPES) };
    }
    // Own properties only: with hostile names, "toString" must not find Object.prototype.toString.
    const schema = Object.hasOwn(state.collections, collection) ? Object.keys(state.collections[collection]?.config.payload_schema ?? {}) : [];
    return { type: 'delete_payload_index', collection, field: this.pickMostlyFrom(schema, this.fieldPool) };
  }

  /**
   * A shard primary's in-sync change or a controller promotion, mostly well-formed (from the
   * primary, at the current epoch and version) and sometimes stale or foreign, so that both the
   * accepted and the fenced paths run on every node.
   */
  private replicationCommand(state: Readonly<MetadataState>, collection: string): MetadataCommand | undefined {
    const rng = this.rng;
    const meta = Object.hasOwn(state.collections, collection) ? state.collections[collection] : undefined;
    const placement = meta === undefined || meta.shards.length === 0 ? undefined : meta.shards[rng.int(meta.shards.length)];
    if (placement === undefined) return undefined;
    const follower = this.pick(placement.replicas.length > 1 && rng.chance(0.8) ? placement.replicas : this.memberPool);
    const epoch = rng.chance(0.85) ? placement.epoch : placement.epoch - 1;
    if (rng.chance(0.6)) {
      return {
        type: 'in_sync_change',
        collection,
        shard: placement.shard,
        request: {
          type: placement.inSync.includes(follower) ? 'shrink_isr' : 'expand_isr',
          shard: `${collection}/${placement.shard}`,
          from: rng.chance(0.9) ? placement.primary : follower,
          follower,
          epoch,
          viewVersion: rng.chance(0.85) ? placement.version : placement.version - 1,
        },
      };
    }
    if (rng.chance(0.2)) {
      return { type: 'replace_replica', collection, shard: placement.shard, version: rng.chance(0.85) ? placement.version : placement.version - 1, remove: follower, add: this.pick(this.memberPool) };
    }
    if (rng.chance(0.3)) return { type: 'new_primary_epoch', collection, shard: placement.shard, epoch, node: rng.chance(0.8) ? placement.primary : follower };
    return { type: 'promote_primary', collection, shard: placement.shard, epoch, newPrimary: follower };
  }

  private randomConfig(nowMs: number): CollectionConfig {
    const rng = this.rng;
    const replicationFactor = rng.range(1, 3);
    // No prototype, so that a "__proto__" field is an own key and reaches the encoded command.
    const schema = Object.create(null) as Record<string, PayloadIndexType>;
    if (rng.chance(0.3)) schema[this.pick(this.fieldPool)] = this.pick(INDEX_TYPES);
    return {
      name: this.pick(this.collectionPool),
      vectors: { size: rng.range(2, 256), distance: this.pick(DISTANCES) },
      hnsw_config: { m: rng.range(4, 32), ef_construct: rng.range(16, 256) },
      on_disk_payload: rng.chance(0.5),
      shard_number: rng.range(1, 8),
      replication_factor: replicationFactor,
      write_consistency_factor: rng.range(1, replicationFactor),
      payload_schema: schema,
      created_at_ms: nowMs,
    };
  }

  private pick<T>(from: readonly T[]): T {
    const value = from[this.rng.int(from.length)];
    if (value === undefined) throw new Error('pick from an empty list');
    return value;
  }

  /** Mostly an existing name (so the command succeeds), sometimes any (so errors are exercised too). */
  private pickMostlyFrom(existing: readonly string[], pool: readonly string[]): string {
    return existing.length > 0 && this.rng.chance(0.75) ? this.pick(existing) : this.pick(pool);
  }
}

/** Applies and reduces the outcome to what every node must agree on; a throw is an outcome too. */
function outcome(apply: () => ApplyResult): string {
  try {
    const r = apply();
    return r.ok ? 'ok' : `error:${r.code}`;
  } catch (e: unknown) {
    // ClusterNode logs a throwing apply as an internal error and moves on; so must every node.
    return `threw:${e instanceof Error ? e.message : String(e)}`;
  }
}

function liveMembers(state: Readonly<MetadataState>): ReadonlySet<string> {
  return new Set(Object.values(state.members).filter((m) => m.state !== 'dead').map((m) => m.id));
}

function describe(command: MetadataCommand | undefined): string {
  if (command === undefined) return 'a non-command entry';
  switch (command.type) {
    case 'upsert_member': return `upsert_member ${command.member.id}`;
    case 'remove_member': return `remove_member ${command.id}`;
    case 'set_node_state': return `set_node_state ${command.id}=${command.state}`;
    case 'create_collection': return `create_collection ${command.config.name} shards=${command.config.shard_number} rf=${command.config.replication_factor}`;
    case 'delete_collection': return `delete_collection ${command.name}`;
    case 'create_payload_index': return `create_payload_index ${command.collection}.${command.field}`;
    case 'delete_payload_index': return `delete_payload_index ${command.collection}.${command.field}`;
    case 'in_sync_change': return `${command.request.type} ${command.collection}/${command.shard} ${command.request.follower} (epoch ${command.request.epoch})`;
    case 'promote_primary': return `promote_primary ${command.collection}/${command.shard} ${command.newPrimary} (epoch ${command.epoch})`;
    case 'replace_replica': return `replace_replica ${command.collection}/${command.shard} ${command.remove}->${command.add} (version ${command.version})`;
    case 'new_primary_epoch': return `new_primary_epoch ${command.collection}/${command.shard} ${command.node} (after epoch ${command.epoch})`;
  }
}

/** Structural invariants of one state; throws MetadataViolation on the first broken one. */
export function checkStructure(state: Readonly<MetadataState>, liveAtCreation: ReadonlyMap<string, ReadonlySet<string>>, where: string): void {
  const fail = (what: string): never => {
    throw new MetadataViolation(`metadata structure ${where}: ${what}`);
  };
  for (const [id, member] of Object.entries(state.members)) {
    if (member.id !== id) fail(`member key ${id} holds member ${member.id}`);
    if (!NODE_STATES.includes(member.state)) fail(`member ${id} has state ${member.state}`);
  }
  for (const [name, meta] of Object.entries(state.collections)) {
    const config = meta.config;
    // Keys of a record are unique, so a name under its own key only is a name that appears once.
    if (config.name !== name) fail(`collection key ${name} holds collection ${config.name}`);
    const live = liveAtCreation.get(`${name}@${config.raft_index ?? '?'}`);
    if (live === undefined) fail(`collection ${name} (raft_index ${config.raft_index ?? 'missing'}) was never seen being created`);
    if (meta.shards.length !== config.shard_number) fail(`collection ${name} has ${meta.shards.length} shards, shard_number ${config.shard_number}`);
    for (const [i, shard] of meta.shards.entries()) {
      const label = `${name}/${shard.shard}`;
      if (shard.shard !== i) fail(`collection ${name} has shard id ${shard.shard} at position ${i}`);
      if (shard.replicas.length !== config.replication_factor) fail(`${label} has ${shard.replicas.length} replicas, replication_factor ${config.replication_factor}`);
      if (new Set(shard.replicas).size !== shard.replicas.length) fail(`${label} repeats a replica: ${shard.replicas.join(',')}`);
      for (const r of shard.replicas) if (live?.has(r) !== true) fail(`${label} replica ${r} was not a live member when it was placed (creation of ${name} or re-replication)`);
      if (!shard.replicas.includes(shard.primary)) fail(`${label} primary ${shard.primary} is not a replica`);
      for (const r of shard.inSync) if (!shard.replicas.includes(r)) fail(`${label} in-sync ${r} is not a replica`);
      if (!shard.inSync.includes(shard.primary)) fail(`${label} primary ${shard.primary} is not in sync`);
      if (shard.epoch < 1 || shard.version < shard.epoch) fail(`${label} has epoch ${shard.epoch} and version ${shard.version}`);
    }
  }
}

function hash(data: string | Uint8Array): string {
  return createHash('sha1').update(data).digest('base64');
}

/** The path of the first difference between two JSON values, for the divergence message. */
function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (a === b) return undefined;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) {
    return `${path} (${JSON.stringify(a)} vs ${JSON.stringify(b)})`;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
  for (const k of keys) {
    const d = firstDifference(ra[k], rb[k], `${path}.${k}`);
    if (d !== undefined) return d;
  }
  return undefined;
}

// ------------------------------------------------------------------ deliberately broken machines

/**
 * BROKEN on purpose: makes itself the primary of every shard it replicates, a decision that
 * depends on which node applies the command. Used on one node to show the divergence checker fires.
 */
export class SelfPreferringStateMachine extends MetadataStateMachine {
  constructor(private readonly nodeId: NodeId) {
    super();
  }

  /** Applies, then overrides the primaries of a new collection with this node where it can. */
  override apply(command: MetadataCommand, index: number): ApplyResult {
    const result = super.apply(command, index);
    if (result.ok && command.type === 'create_collection') {
      const meta = (this.current as MetadataState).collections[command.config.name];
      for (const shard of meta?.shards ?? []) if (shard.replicas.includes(this.nodeId)) shard.primary = this.nodeId;
    }
    return result;
  }
}

/**
 * BROKEN on purpose: its snapshots drop the payload schemas, so a node that restores one differs
 * from the nodes that applied the history. Deterministic per node: only restore shows it.
 */
export class LossySnapshotStateMachine extends MetadataStateMachine {
  /** A snapshot without payload schemas. */
  override snapshot(): Uint8Array {
    const state = structuredClone(this.current) as MetadataState;
    for (const meta of Object.values(state.collections)) meta.config.payload_schema = {};
    return Buffer.from(JSON.stringify(state));
  }
}

/**
 * BROKEN on purpose, the same way on every node: lists a node that is not a replica as in sync.
 * Every node agrees, so only the structural checker can see it.
 */
export class GhostInSyncStateMachine extends MetadataStateMachine {
  /** Applies, then adds a non-replica to the in-sync set of a new collection's first shard. */
  override apply(command: MetadataCommand, index: number): ApplyResult {
    const result = super.apply(command, index);
    if (result.ok && command.type === 'create_collection') {
      (this.current as MetadataState).collections[command.config.name]?.shards[0]?.inSync.push('ghost');
    }
    return result;
  }
}

/** The broken machines by name, for the CLI's --metadata-bug. */
export const METADATA_BUGS: Readonly<Record<string, (nodeId: NodeId) => MetadataStateMachine>> = {
  selfPreferringPrimary: (nodeId) => (nodeId === 'n1' ? new SelfPreferringStateMachine(nodeId) : new MetadataStateMachine()),
  lossySnapshot: () => new LossySnapshotStateMachine(),
  ghostInSync: () => new GhostInSyncStateMachine(),
};
