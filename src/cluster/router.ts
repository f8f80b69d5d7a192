/**
 * The point router: any node coordinates any point request. Writes go, per shard, to the node
 * holding the shard's primary; reads go to a replica (this node's own when it has one). Searches
 * and scrolls fan out to one node per group of shards and merge deterministically (score then id;
 * id), so the answer does not depend on which node coordinated it (DESIGN.md §5). Remote parts
 * travel over the Cluster.ShardCall RPC; local parts run in-process.
 *
 * With replicated shards, reads follow the read consistency: `eventual` serves a shard from this
 * node when it holds an in-sync replica, else from the primary; `primary` always asks the primary.
 * Writes that fail because the primary is gone or being replaced (not_primary, shard_unavailable,
 * cluster_unavailable) are retried against the shard map as it changes, until a deadline: every
 * logged operation is a blind write of the points it names (ids are resolved on the primary), so
 * a retry after an unknown outcome converges to the same state.
 */

import { HektorError } from '../base/errors.js';
import { comparePointIds, type PointId } from '../base/ids.js';
import type { Filter, Payload } from '../index/types.js';
import type { CollectionSearch, PayloadEdit, ReadConsistency, ScrollRequest, Target } from '../shard/collection.js';
import { sortScored, type PointRecord, type ScoredRecord, type WriteOptions, type WriteResult } from '../shard/local-shard.js';
import { shardOf } from '../sharding/hash.js';
import type { PointWrite, ShardOp } from '../storage/ops.js';
import type { ShardCallRequest__Output } from '../transport/generated/hektor/cluster/v1/ShardCallRequest.js';
import type { ClusterNode } from './cluster-node.js';
import type { ClusterCollections } from './collections.js';
import type { CollectionMeta } from './metadata.js';

/** Deadline of one remote shard call. */
const SHARD_CALL_DEADLINE_MS = 10_000;

/** Operations that change nothing, so a transient failure may be retried. */
const READ_OPS = new Set(['retrieve', 'search', 'scroll', 'count']);

/** How long a write keeps retrying while its shard's primary is being replaced. */
const WRITE_RETRY_DEADLINE_MS = 15_000;

/** Codes after which a write is retried against a fresh shard map. */
const WRITE_RETRY_CODES = new Set(['not_primary', 'shard_unavailable', 'cluster_unavailable']);

/** Per-request read options. */
export interface ReadOptions {
  consistency?: ReadConsistency;
  /**
   * Walk the graph on a native search thread. Worth it when other requests are waiting for the event
   * loop; a lone request answers sooner on the JavaScript thread (a pool round trip costs tens of
   * microseconds of wake-ups).
   */
  offload?: boolean;
}

interface WirePoint {
  id: PointId;
  vector: number[];
  payload: Payload | null;
}

/** The bodies of ShardCall operations (JSON). */
type ShardCallBody =
  | { op: 'upsert'; points: WirePoint[]; options?: WriteOptions }
  | { op: 'delete'; target: Target; options?: WriteOptions }
  | { op: 'edit_payload'; target: Target; edit: PayloadEdit; options?: WriteOptions }
  | { op: 'retrieve'; ids: PointId[]; withPayload: CollectionSearch['withPayload']; withVector: boolean }
  | { op: 'search'; request: Omit<CollectionSearch, 'vector'> & { vector: number[] } }
  | { op: 'scroll'; request: ScrollRequest }
  | { op: 'count'; filter: Filter | null };

/** Coordinates point requests over the nodes that hold a collection's shards. */
export class PointRouter {
  private readonly cluster: ClusterNode;
  private readonly collections: ClusterCollections;

  /** Creates the router and installs its ShardCall handler on the cluster node. */
  constructor(cluster: ClusterNode, collections: ClusterCollections) {
    this.cluster = cluster;
    this.collections = collections;
    cluster.onShardCall((request) => this.serve(request));
  }

  /**
   * The node that serves shard `shard` of a collection: writes (forRead false) and `primary`
   * reads go to the primary; `eventual` reads to this node when it holds an in-sync replica.
   */
  private ownerOf(meta: CollectionMeta, shard: number, forRead: boolean | ReadOptions): string {
    const placement = meta.shards[shard];
    if (placement === undefined) throw new HektorError('internal', `shard ${shard} missing from the shard map of "${meta.config.name}"`);
    if (forRead === false) return placement.primary;
    const consistency = (forRead === true ? undefined : forRead.consistency) ?? meta.config.read_consistency ?? 'eventual';
    if (consistency === 'eventual' && placement.inSync.includes(this.cluster.id)) return this.cluster.id;
    return placement.primary;
  }

  /**
   * The collection's shard map. A name this node does not know yet may have been created an
   * instant ago through another node: confirm with the leader (ReadIndex) and wait until this
   * node has applied everything committed before answering collection_not_found.
   */
  private metaOf(name: string): Promise<CollectionMeta> {
    return this.collections.metaFresh(name);
  }

  /**
   * Runs a write, retrying while the shard map changes under it (a failover): each attempt reads
   * the current map. Errors other than the retryable ones are final at once.
   */
  private async retryWrite<T>(name: string, attempt: (meta: CollectionMeta) => Promise<T>): Promise<T> {
    const deadline = performance.now() + WRITE_RETRY_DEADLINE_MS;
    for (let round = 0; ; round++) {
      const meta = await this.metaOf(name);
      try {
        return await attempt(meta);
      } catch (e: unknown) {
        if (!(e instanceof HektorError) || !WRITE_RETRY_CODES.has(e.code) || performance.now() > deadline) throw e;
      }
      await new Promise((r) => setTimeout(r, Math.min(500, 25 * 2 ** Math.min(round, 5))));
    }
  }

  /** Groups shard ids by the node that serves them. */
  private byNode(meta: CollectionMeta, shards: Iterable<number>, forRead: boolean | ReadOptions): Map<string, number[]> {
    const groups = new Map<string, number[]>();
    for (const shard of shards) {
      const node = this.ownerOf(meta, shard, forRead);
      const list = groups.get(node);
      if (list === undefined) groups.set(node, [shard]);
      else list.push(shard);
    }
    return groups;
  }

  private allShards(meta: CollectionMeta): number[] {
    return meta.shards.map((s) => s.shard);
  }

  /** Runs `body` on `shards` at `node`: in-process when it is this node, else over ShardCall. */
  private async call<T>(meta: CollectionMeta, node: string, shards: number[], body: ShardCallBody): Promise<T> {
    if (node === this.cluster.id) return (await this.execute(meta.config.name, meta.config.raft_index ?? 0, shards, body)) as T;
    const result = await this.cluster.shardCall(
      node,
      { collection: meta.config.name, incarnation: meta.config.raft_index ?? 0, shards, op: body.op, body: Buffer.from(JSON.stringify(body)) },
      SHARD_CALL_DEADLINE_MS,
      READ_OPS.has(body.op),
    );
    return JSON.parse(result.toString('utf8')) as T;
  }

  // ------------------------------------------------------------------ coordinator side

  /** Upserts points, each through its shard's primary. */
  async upsert(name: string, points: PointWrite[], options: WriteOptions = {}): Promise<WriteResult> {
    return this.retryWrite(name, (meta) => this.upsertOnce(meta, points, options));
  }

  private async upsertOnce(meta: CollectionMeta, points: PointWrite[], options: WriteOptions): Promise<WriteResult> {
    const name = meta.config.name;
    const perNode = new Map<string, { shards: Set<number>; points: PointWrite[] }>();
    for (const p of points) {
      const shard = shardOf(p.id, meta.config.shard_number);
      const node = this.ownerOf(meta, shard, false);
      let group = perNode.get(node);
      if (group === undefined) {
        group = { shards: new Set(), points: [] };
        perNode.set(node, group);
      }
      group.shards.add(shard);
      group.points.push(p);
    }
    const results = await Promise.all(
      [...perNode].map(([node, g]) => {
        // This node's part goes straight to its shards, vectors untouched.
        if (node === this.cluster.id) return this.collections.local(name).upsert(g.points, options);
        const wire = g.points.map((p) => ({ id: p.id, vector: Array.from(p.vector), payload: p.payload }));
        return this.call<WriteResult>(meta, node, [...g.shards], { op: 'upsert', points: wire, options });
      }),
    );
    return maxSeq(results);
  }

  private idsByNode(meta: CollectionMeta, ids: readonly PointId[], forRead: boolean | ReadOptions): Map<string, { shards: number[]; ids: PointId[] }> {
    const perNode = new Map<string, { shards: number[]; ids: PointId[] }>();
    for (const id of ids) {
      const shard = shardOf(id, meta.config.shard_number);
      const node = this.ownerOf(meta, shard, forRead);
      let group = perNode.get(node);
      if (group === undefined) {
        group = { shards: [], ids: [] };
        perNode.set(node, group);
      }
      if (!group.shards.includes(shard)) group.shards.push(shard);
      group.ids.push(id);
    }
    return perNode;
  }

  /** Deletes points by ids or filter. */
  async delete(name: string, target: Target, options: WriteOptions = {}): Promise<WriteResult> {
    return this.retryWrite(name, async (meta) => {
      if ('filter' in target) {
        const groups = this.byNode(meta, this.allShards(meta), false);
        return maxSeq(await Promise.all([...groups].map(([node, shards]) => this.call<WriteResult>(meta, node, shards, { op: 'delete', target, options }))));
      }
      const groups = this.idsByNode(meta, target.ids, false);
      return maxSeq(await Promise.all([...groups].map(([node, g]) => this.call<WriteResult>(meta, node, g.shards, { op: 'delete', target: { ids: g.ids }, options }))));
    });
  }

  /** Edits payloads by ids or filter; a missing id fails the whole request before anything changes. */
  async editPayload(name: string, target: Target, edit: PayloadEdit, options: WriteOptions = {}): Promise<WriteResult> {
    if ('filter' in target) {
      return this.retryWrite(name, async (meta) => {
        const groups = this.byNode(meta, this.allShards(meta), false);
        return maxSeq(await Promise.all([...groups].map(([node, shards]) => this.call<WriteResult>(meta, node, shards, { op: 'edit_payload', target, edit, options }))));
      });
    }
    const found = await this.retrieve(name, target.ids, false, false, { consistency: 'primary' });
    if (found.length < new Set(target.ids.map((id) => JSON.stringify(id))).size) {
      const have = new Set(found.map((r) => JSON.stringify(r.id)));
      const missing = target.ids.find((id) => !have.has(JSON.stringify(id)));
      throw new HektorError('point_not_found', `no point with id ${JSON.stringify(missing)} exists; upsert it first`, { id: missing });
    }
    return this.retryWrite(name, async (meta) => {
      const groups = this.idsByNode(meta, target.ids, false);
      return maxSeq(await Promise.all([...groups].map(([node, g]) => this.call<WriteResult>(meta, node, g.shards, { op: 'edit_payload', target: { ids: g.ids }, edit, options }))));
    });
  }

  /** Points by id in the order asked, skipping missing ones. */
  async retrieve(name: string, ids: readonly PointId[], withPayload: CollectionSearch['withPayload'], withVector: boolean, read: ReadOptions = {}): Promise<PointRecord[]> {
    const meta = await this.metaOf(name);
    const groups = this.idsByNode(meta, ids, read);
    const parts = await Promise.all([...groups].map(([node, g]) => this.call<PointRecord[]>(meta, node, g.shards, { op: 'retrieve', ids: g.ids, withPayload, withVector })));
    const found = new Map<string, PointRecord>();
    for (const r of parts.flat()) found.set(JSON.stringify(r.id), r);
    const out: PointRecord[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      const key = JSON.stringify(id);
      const r = found.get(key);
      if (r !== undefined && !seen.has(key)) {
        out.push(r);
        seen.add(key);
      }
    }
    return out;
  }

  /** Nearest points over every shard, best first, ties by id. */
  async search(name: string, request: CollectionSearch, read: ReadOptions = {}): Promise<ScoredRecord[]> {
    const meta = await this.metaOf(name);
    const groups = this.byNode(meta, this.allShards(meta), read);
    const local = groups.get(this.cluster.id);
    if (groups.size === 1 && local !== undefined) {
      // The whole answer is here: no copies, no merge.
      const collection = this.collections.local(name);
      return read.offload === true ? collection.searchAsync(request, local) : collection.search(request, local);
    }
    const top = { ...request, limit: request.limit + request.offset, offset: 0 };
    const wire = { ...top, vector: Array.from(request.vector) };
    const parts = await Promise.all([...groups].map(([node, shards]) => this.call<ScoredRecord[]>(meta, node, shards, { op: 'search', request: wire })));
    return sortScored(meta.config.vectors.distance, parts.flat()).slice(request.offset, request.offset + request.limit);
  }

  /** Points in id order from `offset`, with the id the next page starts at. */
  async scroll(name: string, request: ScrollRequest, read: ReadOptions = {}): Promise<{ points: PointRecord[]; nextOffset: PointId | null }> {
    const meta = await this.metaOf(name);
    const groups = this.byNode(meta, this.allShards(meta), read);
    const ask = { ...request, limit: request.limit + 1 };
    const parts = await Promise.all([...groups].map(([node, shards]) => this.call<{ points: PointRecord[] }>(meta, node, shards, { op: 'scroll', request: ask })));
    const merged = parts.flatMap((p) => p.points).sort((a, b) => comparePointIds(a.id, b.id));
    const next = merged[request.limit];
    return { points: merged.slice(0, request.limit), nextOffset: next === undefined ? null : next.id };
  }

  /** Exact count over every shard. */
  async count(name: string, filter: Filter | undefined, read: ReadOptions = {}): Promise<number> {
    const meta = await this.metaOf(name);
    const groups = this.byNode(meta, this.allShards(meta), read);
    const parts = await Promise.all([...groups].map(([node, shards]) => this.call<number>(meta, node, shards, { op: 'count', filter: filter ?? null })));
    return parts.reduce((a, b) => a + b, 0);
  }

  /** Writes a kept truncated operation again, as a new write through the shard's current primary. */
  async reapply(name: string, op: ShardOp): Promise<void> {
    switch (op.type) {
      case 'upsert':
        await this.upsert(name, op.points);
        return;
      case 'delete':
        await this.delete(name, { ids: op.ids });
        return;
      case 'set_payload':
        await this.editPayload(name, { ids: op.ids }, { type: 'set_payload', payload: op.payload, ...(op.key === undefined ? {} : { key: op.key }) });
        return;
      case 'overwrite_payload':
        await this.editPayload(name, { ids: op.ids }, { type: 'overwrite_payload', payload: op.payload });
        return;
      case 'delete_payload':
        await this.editPayload(name, { ids: op.ids }, { type: 'delete_payload', keys: op.keys });
        return;
      case 'clear_payload':
        await this.editPayload(name, { ids: op.ids }, { type: 'clear_payload' });
        return;
      case 'noop':
        return;
    }
  }

  // ------------------------------------------------------------------ serving side

  private async serve(request: ShardCallRequest__Output): Promise<Buffer> {
    const body = JSON.parse(request.body.toString('utf8')) as ShardCallBody;
    if (body.op !== request.op) throw new HektorError('invalid_request', 'shard call op mismatch');
    await this.collections.catchUpTo(request.collection, request.incarnation);
    const result = await this.execute(request.collection, request.incarnation, request.shards, body);
    return Buffer.from(JSON.stringify(result));
  }

  /** Runs one operation on local shards of the collection incarnation the coordinator routed by. */
  private async execute(name: string, incarnation: number, shards: number[], body: ShardCallBody): Promise<unknown> {
    const c = this.collections.local(name);
    if ((c.config.raft_index ?? 0) !== incarnation) {
      throw new HektorError('shard_unavailable', `collection "${name}" on this node is another incarnation than the one routed to; retry`);
    }
    switch (body.op) {
      case 'upsert': {
        for (const p of body.points) {
          if (!shards.includes(shardOf(p.id, c.config.shard_number))) throw new HektorError('shard_unavailable', `point ${JSON.stringify(p.id)} was routed to the wrong shard`);
        }
        return c.upsert(body.points.map((p) => ({ id: p.id, vector: Float32Array.from(p.vector), payload: p.payload })), body.options);
      }
      case 'delete':
        return c.delete(body.target, shards, body.options);
      case 'edit_payload':
        return c.editPayload(body.target, body.edit, shards, body.options);
      case 'retrieve':
        return c.retrieve(body.ids, body.withPayload, body.withVector);
      case 'search':
        return c.searchAsync({ ...body.request, vector: Float32Array.from(body.request.vector) }, shards);
      case 'scroll':
        return c.scroll(body.request, shards);
      case 'count':
        return c.count(body.filter ?? undefined, shards);
    }
  }
}

function maxSeq(results: readonly WriteResult[]): WriteResult {
  return { seq: results.reduce((m, r) => Math.max(m, r.seq), 0) };
}
