/**
 * A collection on this node: its configuration and its local shards. Writes are routed to the
 * shard that owns each id (hash routing); reads fan out to every shard and merge by score then
 * id (searches) or by id (scroll), so that results do not depend on the shard count.
 */

import { HektorError } from '../base/errors.js';
import { comparePointIds, type PointId } from '../base/ids.js';
import type { Distance, Filter, Payload, PayloadIndexType } from '../index/types.js';
import { shardOf } from '../sharding/hash.js';
import type { PointWrite } from '../storage/ops.js';
import { LocalShard, sortScored, type PointRecord, type ScoredRecord, type ShardSearch, type WriteOptions, type WriteResult } from './local-shard.js';
import type { PayloadSelector } from './payload.js';

/** A collection's durable configuration (snake_case, as in the REST API and config.json). */
export interface CollectionConfig {
  name: string;
  vectors: { size: number; distance: Distance };
  hnsw_config: { m: number; ef_construct: number };
  on_disk_payload: boolean;
  shard_number: number;
  replication_factor: number;
  write_consistency_factor: number;
  /**
   * How writes to replicated shards are acknowledged (absent: async, or semi_sync with
   * write_consistency_factor - 1 acks when that factor is above 1, as Qdrant clients expect).
   */
  write_consistency?: WriteConsistency;
  /** Which replica serves reads: any in-sync one, this node's first (eventual), or the primary. */
  read_consistency?: ReadConsistency;
  payload_schema: Record<string, PayloadIndexType>;
  created_at_ms: number;
  /** The Raft index of the metadata entry that created this incarnation of the collection. */
  raft_index?: number;
  /** The shards this node holds (all when absent). */
  local_shards?: number[];
}

/** A collection's write acknowledgement mode (issue 5, docs/replication.md). */
export interface WriteConsistency {
  mode: 'async' | 'sync' | 'semi_sync';
  /** semi_sync: in-sync followers (besides the primary) that must have the write durable. */
  min_acks?: number;
  /** How long a write may wait for its acknowledgements before it fails with write_timeout. */
  timeout_ms?: number;
}

/** Where reads are served. */
export type ReadConsistency = 'eventual' | 'primary';

/** Default write timeout of replicated writes. */
export const DEFAULT_WRITE_TIMEOUT_MS = 10_000;

/** The effective write consistency of a config (see CollectionConfig.write_consistency). */
export function effectiveWriteConsistency(config: CollectionConfig): Required<WriteConsistency> {
  const wc = config.write_consistency;
  if (wc !== undefined) return { mode: wc.mode, min_acks: wc.min_acks ?? 1, timeout_ms: wc.timeout_ms ?? DEFAULT_WRITE_TIMEOUT_MS };
  if (config.write_consistency_factor > 1) return { mode: 'semi_sync', min_acks: config.write_consistency_factor - 1, timeout_ms: DEFAULT_WRITE_TIMEOUT_MS };
  return { mode: 'async', min_acks: 1, timeout_ms: DEFAULT_WRITE_TIMEOUT_MS };
}

/** The shard ids a node holds for a config. */
export function localShardIds(config: CollectionConfig): number[] {
  return config.local_shards ?? Array.from({ length: config.shard_number }, (_, i) => i);
}

/** A search over the whole collection. */
export interface CollectionSearch extends Omit<ShardSearch, 'top'> {
  limit: number;
  offset: number;
}

/** A page request of points in id order. */
export interface ScrollRequest {
  offset?: PointId;
  limit: number;
  filter?: Filter;
  withPayload: PayloadSelector;
  withVector: boolean;
}

/** Which points a write targets. */
export type Target = { ids: PointId[] } | { filter: Filter };

/** A payload edit applied to a set of points. */
export type PayloadEdit =
  | { type: 'set_payload'; payload: Payload; key?: string }
  | { type: 'overwrite_payload'; payload: Payload }
  | { type: 'delete_payload'; keys: string[] }
  | { type: 'clear_payload' };

/** One collection with its local shards. */
export class Collection {
  readonly config: CollectionConfig;
  /** The shards held on this node, in the order of `shardIds`. */
  readonly shards: readonly LocalShard[];
  /** The ids of the local shards. */
  readonly shardIds: readonly number[];

  /** Wraps opened shards (see Catalog for opening from disk). */
  constructor(config: CollectionConfig, shards: LocalShard[]) {
    this.config = config;
    this.shards = shards;
    this.shardIds = localShardIds(config);
  }

  /** The local shard `id`, or undefined when this node does not hold it. */
  shard(id: number): LocalShard | undefined {
    const i = this.shardIds.indexOf(id);
    return i < 0 ? undefined : this.shards[i];
  }

  /** True when every shard of the collection is on this node. */
  get complete(): boolean {
    return this.shards.length === this.config.shard_number;
  }

  /**
   * The local shards an operation runs on: the given subset (each must be local), or all shards,
   * which must then all be on this node (searches, scrolls, counts and filtered writes need every
   * shard; the cluster's router asks each node for its own subset).
   */
  private shardsFor(only: readonly number[] | undefined): LocalShard[] {
    if (only !== undefined) {
      return only.map((id) => {
        const shard = this.shards[this.shardIds.indexOf(id)];
        if (shard === undefined) throw new HektorError('shard_unavailable', `shard ${id} of collection "${this.name}" is not on this node`);
        return shard;
      });
    }
    this.requireAllShards();
    return [...this.shards];
  }

  /** Fails unless every shard is local. */
  private requireAllShards(): void {
    if (this.complete) return;
    throw new HektorError(
      'shard_unavailable',
      `this node holds shards [${this.shardIds.join(', ')}] of ${this.config.shard_number} of collection "${this.name}"; requests across nodes are not forwarded yet — see GET /collections/${this.name}/cluster for where each shard lives`,
    );
  }

  /** The collection's name. */
  get name(): string {
    return this.config.name;
  }

  /** Live points over all shards. */
  get pointCount(): number {
    return this.shards.reduce((n, s) => n + s.pointCount, 0);
  }

  /** Vectors held by the shards' vector indexes. */
  get indexedVectorCount(): number {
    return this.shards.reduce((n, s) => n + s.indexedVectorCount, 0);
  }

  private shardFor(id: PointId): LocalShard {
    const shardId = shardOf(id, this.config.shard_number);
    const shard = this.shards[this.shardIds.indexOf(shardId)];
    if (shard === undefined) {
      throw new HektorError('shard_unavailable', `point ${JSON.stringify(id)} belongs to shard ${shardId} of collection "${this.name}", which this node does not hold; see GET /collections/${this.name}/cluster`);
    }
    return shard;
  }

  private groupIds(ids: readonly PointId[]): Map<LocalShard, PointId[]> {
    const groups = new Map<LocalShard, PointId[]>();
    for (const id of ids) {
      const shard = this.shardFor(id);
      const list = groups.get(shard);
      if (list === undefined) groups.set(shard, [id]);
      else list.push(id);
    }
    return groups;
  }

  /** Inserts or replaces points; resolves when every shard has made them durable. */
  async upsert(points: PointWrite[], options: WriteOptions = {}): Promise<WriteResult> {
    const groups = new Map<LocalShard, PointWrite[]>();
    for (const p of points) {
      const shard = this.shardFor(p.id);
      const list = groups.get(shard);
      if (list === undefined) groups.set(shard, [p]);
      else list.push(p);
    }
    const results = await Promise.all([...groups].map(([shard, list]) => shard.write({ type: 'upsert', points: list }, options)));
    return maxSeq(results);
  }

  /** Deletes points by ids or filter. */
  async delete(target: Target, only?: readonly number[], options: WriteOptions = {}): Promise<WriteResult> {
    if ('filter' in target) {
      return maxSeq(await Promise.all(this.shardsFor(only).map((s) => s.write({ type: 'delete', target }, options))));
    }
    const groups = this.groupIds(target.ids);
    return maxSeq(await Promise.all([...groups].map(([shard, ids]) => shard.write({ type: 'delete', target: { ids } }, options))));
  }

  /** Applies a payload edit to points by ids or filter. Missing ids fail with point_not_found. */
  async editPayload(target: Target, edit: PayloadEdit, only?: readonly number[], options: WriteOptions = {}): Promise<WriteResult> {
    if ('filter' in target) {
      return maxSeq(await Promise.all(this.shardsFor(only).map((s) => s.write({ ...edit, target }, options))));
    }
    const missing = target.ids.find((id) => !this.shardFor(id).has(id));
    if (missing !== undefined) {
      throw new HektorError('point_not_found', `no point with id ${JSON.stringify(missing)} exists; upsert it first`, { id: missing });
    }
    const groups = this.groupIds(target.ids);
    return maxSeq(await Promise.all([...groups].map(([shard, ids]) => shard.write({ ...edit, target: { ids } }, options))));
  }

  /** Points by id, in the order asked, skipping missing ids. */
  retrieve(ids: readonly PointId[], withPayload: PayloadSelector, withVector: boolean): PointRecord[] {
    const found = new Map<PointId, PointRecord>();
    for (const [shard, list] of this.groupIds(ids)) {
      for (const r of shard.retrieve(list, withPayload, withVector)) found.set(r.id, r);
    }
    const out: PointRecord[] = [];
    const seen = new Set<PointId>();
    for (const id of ids) {
      const r = found.get(id);
      if (r !== undefined && !seen.has(id)) {
        out.push(r);
        seen.add(id);
      }
    }
    return out;
  }

  /** Nearest points, best first, ties by id; offset and limit applied after merging shards. */
  search(request: CollectionSearch, only?: readonly number[]): ScoredRecord[] {
    const shards = this.shardsFor(only);
    const top = request.limit + request.offset;
    const merged: ScoredRecord[] = [];
    for (const shard of shards) merged.push(...shard.search({ ...request, top }));
    const sorted = shards.length === 1 ? merged : sortScored(this.config.vectors.distance, merged);
    return sorted.slice(request.offset, top);
  }

  /** Like `search`, with each shard's graph walk on a search thread (shards walk in parallel). */
  async searchAsync(request: CollectionSearch, only?: readonly number[]): Promise<ScoredRecord[]> {
    const shards = this.shardsFor(only);
    const top = request.limit + request.offset;
    const parts = await Promise.all(shards.map((shard) => shard.searchAsync({ ...request, top })));
    const merged = parts.length === 1 ? (parts[0] ?? []) : sortScored(this.config.vectors.distance, parts.flat());
    return merged.slice(request.offset, top);
  }

  /** Points in id order from `offset`, with the id the next page starts at. */
  scroll(request: ScrollRequest, only?: readonly number[]): { points: PointRecord[]; nextOffset: PointId | null } {
    const shards = this.shardsFor(only);
    const ask = { ...request, limit: request.limit + 1 };
    const merged: PointRecord[] = [];
    for (const shard of shards) merged.push(...shard.scroll(ask).points);
    merged.sort((a, b) => comparePointIds(a.id, b.id));
    const next = merged[request.limit];
    return { points: merged.slice(0, request.limit), nextOffset: next === undefined ? null : next.id };
  }

  /** Exact count of points matching the filter. */
  count(filter: Filter | undefined, only?: readonly number[]): number {
    return this.shardsFor(only).reduce((n, s) => n + s.count(filter), 0);
  }

  /** Creates a payload index on every shard and records it in the schema. */
  createPayloadIndex(field: string, type: PayloadIndexType): void {
    for (const shard of this.shards) shard.createPayloadIndex(field, type);
    this.config.payload_schema[field] = type;
  }

  /** Drops a payload index. */
  dropPayloadIndex(field: string): void {
    for (const shard of this.shards) shard.dropPayloadIndex(field);
    delete this.config.payload_schema[field];
  }

  /** Per-field payload index sizes summed over shards. */
  payloadSchemaInfo(): Record<string, { data_type: PayloadIndexType; points: number }> {
    const out: Record<string, { data_type: PayloadIndexType; points: number }> = {};
    for (const [field, type] of Object.entries(this.config.payload_schema)) {
      let points = 0;
      for (const shard of this.shards) points += shard.payloadIndexInfo()[field]?.points ?? 0;
      out[field] = { data_type: type, points };
    }
    return out;
  }

  /** Closes every shard (queued writes finish first). */
  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }
}

function maxSeq(results: readonly WriteResult[]): WriteResult {
  return { seq: results.reduce((m, r) => Math.max(m, r.seq), 0) };
}
