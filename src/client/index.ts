/**
 * The typed TypeScript client of Hektor's REST API (`import { HektorClient } from 'hektor/client'`).
 * It speaks the same Qdrant-shaped API as the server; every method returns the `result` of the
 * envelope and throws HektorApiError (with the server's stable code) on an error reply.
 */

/** A point id: unsigned integer or UUID string. */
export type PointId = number | string;
/** A JSON payload object. */
export type Payload = Record<string, unknown>;
/** Distance function. */
export type Distance = 'Cosine' | 'Euclid' | 'Dot';

/** A Qdrant-shaped filter (see docs/api.md). */
export interface Filter {
  must?: Condition | Condition[] | null;
  should?: Condition | Condition[] | null;
  must_not?: Condition | Condition[] | null;
}
/** One filter condition. */
export type Condition =
  | { key: string; match?: { value: string | number | boolean } | { any: (string | number)[] } | { except: (string | number)[] } | { text: string }; range?: { gt?: number; gte?: number; lt?: number; lte?: number } }
  | { is_empty: { key: string } }
  | { is_null: { key: string } }
  | { has_id: PointId[] }
  | Filter;

/** Which payload fields to return. */
export type WithPayload = boolean | string[] | { include: string[] } | { exclude: string[] };

/** Settings of a new collection. */
export interface CreateCollection {
  vectors: { size: number; distance: Distance };
  hnsw_config?: { m?: number; ef_construct?: number };
  shard_number?: number;
  replication_factor?: number;
  /** How writes are acknowledged on replicated shards (docs/replication.md). */
  write_consistency?: { mode: 'async' | 'sync' | 'semi_sync'; min_acks?: number; timeout_ms?: number };
  /** Where reads are served: any in-sync replica, this node's first (eventual), or the primary. */
  read_consistency?: 'eventual' | 'primary';
  on_disk_payload?: boolean;
}

/** A point to upsert. */
export interface PointStruct {
  id: PointId;
  vector: number[];
  payload?: Payload | null;
}

/** A point as read back. */
export interface Record_ {
  id: PointId;
  payload: Payload | null;
  vector: number[] | null;
}

/** A search result. */
export interface ScoredPoint extends Record_ {
  score: number;
  version: number;
}

/** A search request. */
export interface SearchRequest {
  vector: number[];
  limit: number;
  offset?: number;
  filter?: Filter;
  params?: { hnsw_ef?: number; exact?: boolean };
  with_payload?: WithPayload;
  with_vector?: boolean;
  score_threshold?: number;
}

/** A query request (`/points/query`). */
export interface QueryRequest extends Omit<SearchRequest, 'vector' | 'limit'> {
  query?: number[] | PointId | { nearest: number[] | PointId };
  limit?: number;
}

/** Collection description. */
export interface CollectionInfo {
  status: string;
  points_count: number;
  indexed_vectors_count: number;
  segments_count: number;
  config: { params: { vectors: { size: number; distance: Distance }; shard_number: number; replication_factor: number; on_disk_payload: boolean }; hnsw_config: { m: number; ef_construct: number } };
  payload_schema: Record<string, { data_type: string; points: number }>;
}

/** Result of a write. */
export interface UpdateResult {
  operation_id: number;
  status: 'completed' | 'acknowledged';
}

/** Points to change: ids or a filter. */
export type Selector = { points: PointId[] } | { filter: Filter };

/** An error reply from the server. */
export class HektorApiError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Stable error code (docs/errors.md). */
  readonly code: string;

  /** Creates an API error. */
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'HektorApiError';
    this.status = status;
    this.code = code;
  }
}

/** Client options. */
export interface ClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:6333`. */
  url: string;
  /** Per-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Extra headers (e.g. `api-key`). */
  headers?: Record<string, string>;
}

/** Typed client for one Hektor node. */
export class HektorClient {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;

  /** Creates a client; no request is sent until a method is called. */
  constructor(options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.headers = options.headers ?? {};
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { ...this.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      if (!response.ok) throw new HektorApiError(response.status, 'internal', text);
      return text as T;
    }
    if (!response.ok) {
      const status = (json as { status?: { error?: string; code?: string } }).status;
      throw new HektorApiError(response.status, status?.code ?? 'internal', status?.error ?? text);
    }
    return (json as { result: T }).result;
  }

  private static c(name: string): string {
    return `/collections/${encodeURIComponent(name)}`;
  }

  /** Names of all collections. */
  async listCollections(): Promise<string[]> {
    const r = await this.call<{ collections: { name: string }[] }>('GET', '/collections');
    return r.collections.map((c) => c.name);
  }

  /** Creates a collection. */
  createCollection(name: string, config: CreateCollection): Promise<boolean> {
    return this.call('PUT', HektorClient.c(name), config);
  }

  /** Describes a collection. */
  getCollection(name: string): Promise<CollectionInfo> {
    return this.call('GET', HektorClient.c(name));
  }

  /** True if the collection exists. */
  async collectionExists(name: string): Promise<boolean> {
    return (await this.call<{ exists: boolean }>('GET', `${HektorClient.c(name)}/exists`)).exists;
  }

  /** Deletes a collection. */
  deleteCollection(name: string): Promise<boolean> {
    return this.call('DELETE', HektorClient.c(name));
  }

  /** Creates a payload index. */
  createPayloadIndex(name: string, field: string, type: 'keyword' | 'integer' | 'float' | 'bool' | 'uuid'): Promise<UpdateResult> {
    return this.call('PUT', `${HektorClient.c(name)}/index?wait=true`, { field_name: field, field_schema: type });
  }

  /** Drops a payload index. */
  deletePayloadIndex(name: string, field: string): Promise<UpdateResult> {
    return this.call('DELETE', `${HektorClient.c(name)}/index/${encodeURIComponent(field)}?wait=true`);
  }

  /** Inserts or replaces points (waits for durability unless `wait` is false). */
  upsert(name: string, points: PointStruct[], wait = true): Promise<UpdateResult> {
    return this.call('PUT', `${HektorClient.c(name)}/points?wait=${wait}`, { points });
  }

  /** Reads points by id. */
  retrieve(name: string, ids: PointId[], options: { with_payload?: WithPayload; with_vector?: boolean } = {}): Promise<Record_[]> {
    return this.call('POST', `${HektorClient.c(name)}/points`, { ids, ...options });
  }

  /** Deletes points by ids or filter. */
  delete(name: string, selector: Selector, wait = true): Promise<UpdateResult> {
    return this.call('POST', `${HektorClient.c(name)}/points/delete?wait=${wait}`, selector);
  }

  /** Merges keys into the payload of the selected points (at `key` when given). */
  setPayload(name: string, selector: Selector, payload: Payload, key?: string, wait = true): Promise<UpdateResult> {
    return this.call('POST', `${HektorClient.c(name)}/points/payload?wait=${wait}`, { ...selector, payload, ...(key === undefined ? {} : { key }) });
  }

  /** Replaces the payload of the selected points. */
  overwritePayload(name: string, selector: Selector, payload: Payload, wait = true): Promise<UpdateResult> {
    return this.call('PUT', `${HektorClient.c(name)}/points/payload?wait=${wait}`, { ...selector, payload });
  }

  /** Deletes payload keys of the selected points. */
  deletePayload(name: string, selector: Selector, keys: string[], wait = true): Promise<UpdateResult> {
    return this.call('POST', `${HektorClient.c(name)}/points/payload/delete?wait=${wait}`, { ...selector, keys });
  }

  /** Removes the whole payload of the selected points. */
  clearPayload(name: string, selector: Selector, wait = true): Promise<UpdateResult> {
    return this.call('POST', `${HektorClient.c(name)}/points/payload/clear?wait=${wait}`, selector);
  }

  /** Nearest-neighbour search. */
  search(name: string, request: SearchRequest): Promise<ScoredPoint[]> {
    return this.call('POST', `${HektorClient.c(name)}/points/search`, request);
  }

  /** Several searches in one request. */
  searchBatch(name: string, searches: SearchRequest[]): Promise<ScoredPoint[][]> {
    return this.call('POST', `${HektorClient.c(name)}/points/search/batch`, { searches });
  }

  /** Universal query endpoint (nearest vector or point id). */
  query(name: string, request: QueryRequest): Promise<{ points: ScoredPoint[] }> {
    return this.call('POST', `${HektorClient.c(name)}/points/query`, request);
  }

  /** Pages through points in id order. */
  scroll(
    name: string,
    request: { offset?: PointId; limit?: number; filter?: Filter; with_payload?: WithPayload; with_vector?: boolean } = {},
  ): Promise<{ points: Record_[]; next_page_offset: PointId | null }> {
    return this.call('POST', `${HektorClient.c(name)}/points/scroll`, request);
  }

  /** Exact count of points matching the filter. */
  async count(name: string, filter?: Filter): Promise<number> {
    return (await this.call<{ count: number }>('POST', `${HektorClient.c(name)}/points/count`, { exact: true, ...(filter === undefined ? {} : { filter }) })).count;
  }
}
