/**
 * Collections as the cluster sees them. Creating, deleting and indexing a collection are metadata
 * commands committed through Raft (a single node is a cluster of one, on the same path); applying
 * one on any node brings that node's local catalog in line: it opens the shards placed on it,
 * drops collections that were deleted, and syncs payload indexes. Each collection carries the
 * Raft index that created it, so replaying old history after a restart never touches a newer
 * collection of the same name.
 */

import type { Logger } from 'pino';
import { HektorError } from '../base/errors.js';
import type { PayloadIndexType } from '../index/types.js';
import type { Catalog } from '../shard/catalog.js';
import { validateCollectionName } from '../shard/catalog.js';
import type { Collection, CollectionConfig } from '../shard/collection.js';
import type { ClusterNode } from './cluster-node.js';
import type { CollectionMeta, MetadataEvent } from './metadata.js';

/** The collection manager of a node. */
export class ClusterCollections {
  private readonly cluster: ClusterNode;
  private readonly catalog: Catalog;
  private readonly logger: Logger;
  private chain: Promise<void> = Promise.resolve();

  /** Creates the manager; call `handle` for every metadata event (ClusterNode.start's attach). */
  constructor(cluster: ClusterNode, catalog: Catalog, logger: Logger) {
    this.cluster = cluster;
    this.catalog = catalog;
    this.logger = logger.child({ component: 'collections' });
  }

  /** Queues the local effect of a metadata event; effects run one at a time, in log order. */
  handle(event: MetadataEvent): void {
    this.chain = this.chain
      .then(() => this.apply(event))
      .catch((e: unknown) => this.logger.error({ err: e, event: event.type }, 'applying a metadata change to local storage failed'));
  }

  /** Resolves once every queued local effect has run. */
  settled(): Promise<void> {
    return this.chain;
  }

  private async apply(event: MetadataEvent): Promise<void> {
    switch (event.type) {
      case 'collection_created':
        await this.ensureLocal(event.meta);
        return;
      case 'collection_deleted': {
        const local = this.catalog.has(event.name) ? this.catalog.get(event.name) : undefined;
        if (local !== undefined && (local.config.raft_index ?? 0) < event.index) await this.catalog.delete(event.name);
        return;
      }
      case 'restored': {
        const state = this.cluster.metadata.current;
        for (const local of this.catalog.list()) {
          if (state.collections[local.name] === undefined && (local.config.raft_index ?? 0) <= event.index) await this.catalog.delete(local.name);
        }
        for (const meta of Object.values(state.collections)) await this.syncLocalShards(meta);
        return;
      }
      case 'payload_index_changed': {
        const meta = this.cluster.metadata.current.collections[event.collection];
        if (meta !== undefined) await this.syncPayloadIndexes(meta);
        return;
      }
      case 'shard_view_changed': {
        // Re-replication moves replicas: open shards newly placed here, drop shards moved away.
        const meta = this.cluster.metadata.current.collections[event.collection];
        if (meta !== undefined) await this.syncLocalShards(meta);
        return;
      }
      case 'members_changed':
        return;
    }
  }

  private async ensureLocal(meta: CollectionMeta): Promise<void> {
    const incarnation = meta.config.raft_index ?? 0;
    const local = this.catalog.has(meta.config.name) ? this.catalog.get(meta.config.name) : undefined;
    if (local !== undefined) {
      const localIncarnation = local.config.raft_index ?? 0;
      if (localIncarnation > incarnation) return;
      if (localIncarnation === incarnation) {
        await this.syncPayloadIndexes(meta);
        return;
      }
      await this.catalog.delete(meta.config.name);
    }
    const localShards = meta.shards.filter((s) => s.replicas.includes(this.cluster.id)).map((s) => s.shard);
    if (localShards.length === 0) return;
    await this.catalog.create({ ...structuredClone(meta.config), local_shards: localShards });
  }

  /** Makes the shards held here match the placement (same incarnation only). */
  private async syncLocalShards(meta: CollectionMeta): Promise<void> {
    const wanted = meta.shards.filter((s) => s.replicas.includes(this.cluster.id)).map((s) => s.shard);
    const local = this.catalog.has(meta.config.name) ? this.catalog.get(meta.config.name) : undefined;
    if (local === undefined) {
      if (wanted.length > 0) await this.ensureLocal(meta);
      return;
    }
    if ((local.config.raft_index ?? 0) !== (meta.config.raft_index ?? 0)) return;
    const held = [...local.shardIds].sort((a, b) => a - b);
    if (held.length === wanted.length && held.every((id, i) => id === wanted[i])) return;
    if (wanted.length === 0) {
      await this.catalog.delete(meta.config.name);
      return;
    }
    this.logger.info({ collection: meta.config.name, held, wanted }, 'shard placement changed: adjusting the shards held here');
    await this.catalog.setLocalShards(meta.config.name, wanted);
  }

  private async syncPayloadIndexes(meta: CollectionMeta): Promise<void> {
    if (!this.catalog.has(meta.config.name)) return;
    const local = this.catalog.get(meta.config.name);
    if ((local.config.raft_index ?? 0) !== (meta.config.raft_index ?? 0)) return;
    let changed = false;
    for (const [field, type] of Object.entries(meta.config.payload_schema)) {
      if (local.config.payload_schema[field] === type) continue;
      if (local.config.payload_schema[field] !== undefined) local.dropPayloadIndex(field);
      local.createPayloadIndex(field, type);
      changed = true;
    }
    for (const field of Object.keys(local.config.payload_schema)) {
      if (meta.config.payload_schema[field] === undefined) {
        local.dropPayloadIndex(field);
        changed = true;
      }
    }
    if (changed) await this.catalog.saveConfig(local);
  }

  // ------------------------------------------------------------------ queries

  /** Names of every collection in the cluster. */
  names(): string[] {
    return Object.keys(this.cluster.metadata.current.collections).sort();
  }

  /** True if the cluster has the collection. */
  exists(name: string): boolean {
    return this.cluster.metadata.current.collections[name] !== undefined;
  }

  /** The cluster's view of a collection, or collection_not_found. */
  meta(name: string): CollectionMeta {
    const meta = this.cluster.metadata.current.collections[name];
    if (meta === undefined) throw new HektorError('collection_not_found', `collection "${name}" does not exist; create it with PUT /collections/${name}`);
    return meta;
  }

  /**
   * The cluster's view of a collection, confirmed with the leader when this node does not know
   * the name yet: a collection created an instant ago through another node may not be applied
   * here, so a ReadIndex round (and the local effects of what it applied) comes before
   * collection_not_found.
   */
  async metaFresh(name: string): Promise<CollectionMeta> {
    if (!this.exists(name)) {
      await this.cluster.linearize();
      await this.settled();
    }
    return this.meta(name);
  }

  /**
   * Catches up with the incarnation of a collection that a coordinator routed a shard call by:
   * when this node does not know the collection yet, or knows an older incarnation, a ReadIndex
   * round and its local effects come first (the coordinator routed by committed metadata, so
   * afterwards this node has it). Serving a just-created collection no longer fails with
   * collection_not_found because this node applied the creation a moment later.
   */
  async catchUpTo(name: string, incarnation: number): Promise<void> {
    const known = this.cluster.metadata.current.collections[name];
    if (known === undefined || (known.config.raft_index ?? 0) < incarnation) {
      await this.cluster.linearize();
      await this.settled();
    }
  }

  /** This node's part of a collection, or undefined when it holds none (or the collection is unknown). */
  localIfAny(name: string): Collection | undefined {
    return this.exists(name) && this.catalog.has(name) ? this.catalog.get(name) : undefined;
  }

  /** This node's part of a collection, or why it cannot serve it. */
  local(name: string): Collection {
    const meta = this.meta(name);
    if (!this.catalog.has(name)) {
      const owners = [...new Set(meta.shards.flatMap((s) => s.replicas))].join(', ');
      throw new HektorError('shard_unavailable', `this node holds no shard of collection "${name}" (held by ${owners}); requests across nodes are not forwarded yet`);
    }
    return this.catalog.get(name);
  }

  // ------------------------------------------------------------------ changes

  /** Creates a collection cluster-wide; resolves once it is applied on this node. */
  async create(config: CollectionConfig): Promise<void> {
    validateCollectionName(config.name);
    if (this.exists(config.name)) throw new HektorError('collection_exists', `collection "${config.name}" already exists; delete it first or pick another name`);
    await this.cluster.propose({ type: 'create_collection', config });
    await this.settled();
  }

  /** Deletes a collection cluster-wide; false if it did not exist. */
  async delete(name: string): Promise<boolean> {
    if (!this.exists(name)) return false;
    try {
      await this.cluster.propose({ type: 'delete_collection', name });
    } catch (e: unknown) {
      if (e instanceof HektorError && e.code === 'collection_not_found') return false;
      throw e;
    }
    await this.settled();
    return true;
  }

  /** Creates (or retypes) a payload index cluster-wide. */
  async createPayloadIndex(name: string, field: string, fieldType: PayloadIndexType): Promise<void> {
    this.meta(name);
    await this.cluster.propose({ type: 'create_payload_index', collection: name, field, fieldType });
    await this.settled();
  }

  /** Drops a payload index cluster-wide. */
  async dropPayloadIndex(name: string, field: string): Promise<void> {
    if (this.meta(name).config.payload_schema[field] === undefined) {
      throw new HektorError('invalid_request', `collection "${name}" has no payload index on "${field}"`);
    }
    await this.cluster.propose({ type: 'delete_payload_index', collection: name, field });
    await this.settled();
  }
}
