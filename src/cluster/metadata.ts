/**
 * The metadata state machine replicated by Raft: members (id, addresses, zone, health state),
 * collections with their configs, and the shard map (per shard: replica nodes, primary, epoch,
 * in-sync set, transfer state). Every change is a command in a Raft entry, applied in log order
 * on every node; apply is deterministic (no clock, no randomness), so every node derives the same
 * state, including shard placement.
 */

import type { ErrorCode } from '../base/errors.js';
import { applyExpand, applyShrink } from '../replication/controller.js';
import type { InSyncRequest, ShardView } from '../replication/types.js';
import type { PayloadIndexType } from '../index/types.js';
import type { CollectionConfig } from '../shard/collection.js';

/** Health of a member as decided by the controller (the Raft leader). */
export type NodeState = 'alive' | 'suspect' | 'dead';

/** A member of the cluster. */
export interface MemberInfo {
  id: string;
  grpcAddress: string;
  httpAddress: string;
  zone: string;
  state: NodeState;
}

/** Where one shard lives. Replication (issue 5) fills in more than one replica. */
export interface ShardPlacement {
  shard: number;
  replicas: string[];
  primary: string;
  /** Rises on every change of primary; replicas reject messages of older epochs. */
  epoch: number;
  /** Rises on every committed change of this placement (compare-and-set for in-sync expands). */
  version: number;
  inSync: string[];
  transfer: null;
}

/** A collection as the cluster knows it. */
export interface CollectionMeta {
  config: CollectionConfig;
  shards: ShardPlacement[];
}

/** The whole replicated metadata. */
export interface MetadataState {
  members: Record<string, MemberInfo>;
  collections: Record<string, CollectionMeta>;
}

/** A change to the metadata. */
export type MetadataCommand =
  | { type: 'upsert_member'; member: Omit<MemberInfo, 'state'> }
  | { type: 'remove_member'; id: string }
  | { type: 'set_node_state'; id: string; state: NodeState }
  | { type: 'create_collection'; config: CollectionConfig }
  | { type: 'delete_collection'; name: string }
  | { type: 'create_payload_index'; collection: string; field: string; fieldType: PayloadIndexType }
  | { type: 'delete_payload_index'; collection: string; field: string }
  /** A shard primary asks to shrink or expand its in-sync set (decided by src/replication/controller). */
  | { type: 'in_sync_change'; collection: string; shard: number; request: InSyncRequest }
  /**
   * The controller promotes an in-sync replica of a shard whose primary is dead, under a raised
   * epoch; `epoch` is the epoch the decision was made against (compare-and-set).
   */
  | { type: 'promote_primary'; collection: string; shard: number; epoch: number; newPrimary: string }
  /**
   * A primary that restarts takes a new epoch before it writes again: entries it streamed before
   * they were durable, then lost in the crash, may sit on followers under the old epoch.
   */
  | { type: 'new_primary_epoch'; collection: string; shard: number; epoch: number; node: string }
  /**
   * Re-replication: the controller replaces a follower whose node stayed dead by a new replica on
   * a live node (it starts out of sync and catches up). `version` is compare-and-set.
   */
  | { type: 'replace_replica'; collection: string; shard: number; version: number; remove: string; add: string };

/** The outcome of applying a command (the same on every node). */
export type ApplyResult = { ok: true } | { ok: false; code: ErrorCode; message: string };

/** What changed, for the node to act on (open or drop local shards, update peers). */
export type MetadataEvent =
  | { type: 'collection_created'; meta: CollectionMeta }
  | { type: 'collection_deleted'; name: string; index: number }
  | { type: 'restored'; index: number }
  | { type: 'payload_index_changed'; collection: string }
  | { type: 'shard_view_changed'; collection: string; shard: number; placement: ShardPlacement }
  | { type: 'members_changed' };

const OK: ApplyResult = { ok: true };

/**
 * An empty state. Its records have no prototype: node ids and collection names may be
 * "__proto__", "constructor" or "toString" (all valid), and with Object.prototype behind them
 * such keys found inherited members, assigning "__proto__" replaced the prototype instead of
 * adding a member (invisible to snapshot(), so restored nodes and applying nodes diverged), and
 * set_node_state("__proto__") wrote to Object.prototype.
 */
function emptyState(): MetadataState {
  return { members: Object.create(null) as Record<string, MemberInfo>, collections: Object.create(null) as Record<string, CollectionMeta> };
}

/** The replicated state machine. */
export class MetadataStateMachine {
  private state: MetadataState = emptyState();
  private readonly listeners: ((event: MetadataEvent) => void)[] = [];

  /** The current state (do not modify). */
  get current(): Readonly<MetadataState> {
    return this.state;
  }

  /** Registers a listener for applied changes. */
  onEvent(listener: (event: MetadataEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(event: MetadataEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** Applies one command committed at Raft index `index`. */
  apply(command: MetadataCommand, index: number): ApplyResult {
    switch (command.type) {
      case 'upsert_member': {
        const existing = this.state.members[command.member.id];
        this.state.members[command.member.id] = { ...command.member, state: existing?.state ?? 'alive' };
        this.emit({ type: 'members_changed' });
        return OK;
      }
      case 'remove_member':
        if (this.state.members[command.id] === undefined) return { ok: false, code: 'invalid_request', message: `node "${command.id}" is not a member` };
        delete this.state.members[command.id];
        this.emit({ type: 'members_changed' });
        return OK;
      case 'set_node_state': {
        const member = this.state.members[command.id];
        if (member === undefined) return { ok: false, code: 'invalid_request', message: `node "${command.id}" is not a member` };
        member.state = command.state;
        this.emit({ type: 'members_changed' });
        return OK;
      }
      case 'create_collection':
        return this.createCollection(command.config, index);
      case 'delete_collection':
        if (this.state.collections[command.name] === undefined) return { ok: false, code: 'collection_not_found', message: `collection "${command.name}" does not exist` };
        delete this.state.collections[command.name];
        this.emit({ type: 'collection_deleted', name: command.name, index });
        return OK;
      case 'in_sync_change':
        return this.changeInSync(command.collection, command.shard, command.request);
      case 'promote_primary':
        return this.promote(command.collection, command.shard, command.epoch, command.newPrimary);
      case 'new_primary_epoch':
        return this.newPrimaryEpoch(command.collection, command.shard, command.epoch, command.node);
      case 'replace_replica':
        return this.replaceReplica(command.collection, command.shard, command.version, command.remove, command.add);
      case 'create_payload_index':
      case 'delete_payload_index': {
        const meta = this.state.collections[command.collection];
        if (meta === undefined) return { ok: false, code: 'collection_not_found', message: `collection "${command.collection}" does not exist` };
        if (command.type === 'create_payload_index') meta.config.payload_schema[command.field] = command.fieldType;
        else delete meta.config.payload_schema[command.field];
        this.emit({ type: 'payload_index_changed', collection: command.collection });
        return OK;
      }
    }
  }

  private placement(collection: string, shard: number): ShardPlacement | ApplyResult {
    const meta = this.state.collections[collection];
    if (meta === undefined) return { ok: false, code: 'collection_not_found', message: `collection "${collection}" does not exist` };
    const placement = meta.shards[shard];
    if (placement === undefined) return { ok: false, code: 'invalid_request', message: `collection "${collection}" has no shard ${shard}` };
    return placement;
  }

  private changeInSync(collection: string, shard: number, request: InSyncRequest): ApplyResult {
    const placement = this.placement(collection, shard);
    if (!('replicas' in placement)) return placement;
    const view = toView(collection, placement);
    const decision = request.type === 'shrink_isr' ? applyShrink(view, request) : applyExpand(view, request);
    if (!decision.ok) return { ok: false, code: 'invalid_request', message: `${decision.code}: ${decision.message}` };
    placement.inSync = [...decision.view.inSync];
    placement.version = decision.view.version;
    this.emit({ type: 'shard_view_changed', collection, shard, placement });
    return OK;
  }

  private promote(collection: string, shard: number, epoch: number, newPrimary: string): ApplyResult {
    const placement = this.placement(collection, shard);
    if (!('replicas' in placement)) return placement;
    if (placement.epoch !== epoch) return { ok: false, code: 'invalid_request', message: `stale_epoch: decided at epoch ${epoch}, shard is at ${placement.epoch}` };
    if (newPrimary === placement.primary || !placement.inSync.includes(newPrimary)) {
      return { ok: false, code: 'invalid_request', message: `not_in_sync: only an in-sync replica other than the primary can be promoted, not ${newPrimary}` };
    }
    placement.inSync = [...new Set([newPrimary, ...placement.inSync.filter((n) => n !== placement.primary)])].sort();
    placement.primary = newPrimary;
    placement.epoch += 1;
    placement.version += 1;
    this.emit({ type: 'shard_view_changed', collection, shard, placement });
    return OK;
  }

  private newPrimaryEpoch(collection: string, shard: number, epoch: number, node: string): ApplyResult {
    const placement = this.placement(collection, shard);
    if (!('replicas' in placement)) return placement;
    if (placement.epoch !== epoch || placement.primary !== node) {
      return { ok: false, code: 'invalid_request', message: `stale_epoch: ${node} asked for a new epoch after ${epoch}; shard is at ${placement.epoch} with primary ${placement.primary}` };
    }
    placement.epoch += 1;
    placement.version += 1;
    this.emit({ type: 'shard_view_changed', collection, shard, placement });
    return OK;
  }

  private replaceReplica(collection: string, shard: number, version: number, remove: string, add: string): ApplyResult {
    const placement = this.placement(collection, shard);
    if (!('replicas' in placement)) return placement;
    const refuse = (message: string): ApplyResult => ({ ok: false, code: 'invalid_request', message });
    if (placement.version !== version) return refuse(`stale_view: decided at version ${version}, shard is at ${placement.version}`);
    if (!placement.replicas.includes(remove) || remove === placement.primary) return refuse(`${remove} is not a follower of ${collection}/${shard}`);
    if (placement.replicas.includes(add)) return refuse(`${add} already holds a replica of ${collection}/${shard}`);
    const member = this.state.members[add];
    if (member === undefined || member.state === 'dead') return refuse(`${add} is not a live member`);
    placement.replicas = placement.replicas.map((n) => (n === remove ? add : n));
    placement.inSync = placement.inSync.filter((n) => n !== remove);
    placement.version += 1;
    this.emit({ type: 'shard_view_changed', collection, shard, placement });
    return OK;
  }

  private createCollection(config: CollectionConfig, index: number): ApplyResult {
    if (this.state.collections[config.name] !== undefined) {
      return { ok: false, code: 'collection_exists', message: `collection "${config.name}" already exists; delete it first or pick another name` };
    }
    const nodes = Object.values(this.state.members)
      .filter((m) => m.state !== 'dead')
      .map((m) => m.id)
      .sort();
    if (nodes.length < config.replication_factor) {
      return { ok: false, code: 'invalid_config', message: `replication_factor ${config.replication_factor} needs that many live nodes; the cluster has ${nodes.length}` };
    }
    const shards = placeShards(config.name, config.shard_number, config.replication_factor, nodes);
    // The creating Raft index is the collection's incarnation: replaying older history never
    // touches a newer collection of the same name.
    const meta: CollectionMeta = { config: { ...structuredClone(config), raft_index: index }, shards };
    this.state.collections[config.name] = meta;
    this.emit({ type: 'collection_created', meta });
    return OK;
  }

  /** Serialises the state for a Raft snapshot. */
  snapshot(): Uint8Array {
    return Buffer.from(JSON.stringify(this.state));
  }

  /** Replaces the state with a snapshot taken at Raft index `index`, announcing the differences. */
  restore(data: Uint8Array, index: number): void {
    const before = this.state;
    this.state = emptyState();
    if (data.byteLength > 0) {
      // JSON.parse makes "__proto__" an own key; copying keeps it one in the prototype-less records.
      const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as MetadataState;
      Object.assign(this.state.members, parsed.members);
      Object.assign(this.state.collections, parsed.collections);
    }
    this.emit({ type: 'restored', index });
    for (const name of Object.keys(before.collections)) {
      if (this.state.collections[name] === undefined) this.emit({ type: 'collection_deleted', name, index });
    }
    for (const meta of Object.values(this.state.collections)) {
      if (before.collections[meta.config.name] === undefined) this.emit({ type: 'collection_created', meta });
      else this.emit({ type: 'payload_index_changed', collection: meta.config.name });
    }
    this.emit({ type: 'members_changed' });
  }
}

/** The replication core's view of a placement. */
export function toView(collection: string, p: ShardPlacement): ShardView {
  return { shard: `${collection}/${p.shard}`, epoch: p.epoch, version: p.version, primary: p.primary, replicas: p.replicas, inSync: p.inSync };
}

/** Encodes a command for a Raft entry. */
export function encodeCommand(command: MetadataCommand): Uint8Array {
  return Buffer.from(JSON.stringify(command));
}

/** Decodes a command written by encodeCommand. */
export function decodeCommand(data: Uint8Array): MetadataCommand {
  return JSON.parse(Buffer.from(data).toString('utf8')) as MetadataCommand;
}

/**
 * Deterministic placement: shards round-robin over the nodes (sorted by id), starting at an
 * offset derived from the collection name so that collections spread over the cluster; replicas
 * of one shard on distinct nodes.
 */
export function placeShards(name: string, shardCount: number, replicationFactor: number, nodes: readonly string[]): ShardPlacement[] {
  let offset = 0;
  for (let i = 0; i < name.length; i++) offset = (offset * 31 + name.charCodeAt(i)) >>> 0;
  const shards: ShardPlacement[] = [];
  for (let shard = 0; shard < shardCount; shard++) {
    const replicas: string[] = [];
    for (let r = 0; r < replicationFactor; r++) {
      const node = nodes[(offset + shard + r) % nodes.length];
      if (node !== undefined) replicas.push(node);
    }
    const primary = replicas[0] ?? '';
    shards.push({ shard, replicas, primary, epoch: 1, version: 1, inSync: [...replicas], transfer: null });
  }
  return shards;
}
