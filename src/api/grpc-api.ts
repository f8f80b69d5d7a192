/**
 * The public gRPC API (`proto/hektor/api/v1/points.proto`): the engine's collection and point
 * operations for clients that prefer gRPC to REST. It shares validation, error codes and the
 * collection manager with the REST API; an error is a gRPC status whose message starts with the
 * stable code (`invalid_vector: vector has 3 dimensions ...`).
 */

import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { HektorError, errorMessage, isHektorError } from '../base/errors.js';
import { parsePointId, type PointId } from '../base/ids.js';
import { LIMITS } from '../base/limits.js';
import type { ClusterCollections } from '../cluster/collections.js';
import type { PointRouter } from '../cluster/router.js';
import type { CollectionConfig } from '../shard/collection.js';
import type { PointRecord } from '../shard/local-shard.js';
import { SERVER_OPTIONS, loadPointsProto } from '../transport/grpc.js';
import type { CollectionsHandlers } from '../transport/generated/hektor/api/v1/Collections.js';
import type { PointsHandlers } from '../transport/generated/hektor/api/v1/Points.js';
import type { PointId as WirePointId, PointId__Output } from '../transport/generated/hektor/api/v1/PointId.js';
import type { Point } from '../transport/generated/hektor/api/v1/Point.js';
import { toFilter, toPayload, toReplicationConfig, toVector } from './convert.js';
import { REPLICATION_FACTOR_MAX, WRITE_TIMEOUT_MS_MAX } from './schemas.js';

const STATUS_FOR_HTTP: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  403: grpc.status.PERMISSION_DENIED,
  404: grpc.status.NOT_FOUND,
  409: grpc.status.ALREADY_EXISTS,
  413: grpc.status.RESOURCE_EXHAUSTED,
  429: grpc.status.RESOURCE_EXHAUSTED,
  503: grpc.status.UNAVAILABLE,
  504: grpc.status.DEADLINE_EXCEEDED,
};

function toStatus(e: unknown): grpc.ServiceError {
  const herr = isHektorError(e) ? e : new HektorError('internal', `internal error: ${errorMessage(e)}`);
  const error = new Error(`${herr.code}: ${herr.message}`) as grpc.ServiceError;
  error.code = STATUS_FOR_HTTP[herr.httpStatus] ?? grpc.status.INTERNAL;
  error.details = `${herr.code}: ${herr.message}`;
  error.metadata = new grpc.Metadata();
  return error;
}

/** Runs an async handler body and answers its callback with the result or a mapped status. */
function answer<T>(callback: grpc.sendUnaryData<T>, body: () => Promise<T> | T): void {
  Promise.resolve()
    .then(body)
    .then(
      (result) => callback(null, result),
      (e: unknown) => callback(toStatus(e)),
    );
}

function idFromWire(id: PointId__Output | null | undefined): PointId {
  if (id?.kind === 'num' && id.num !== undefined) return parsePointId(id.num);
  if (id?.kind === 'uuid' && id.uuid !== undefined) return parsePointId(id.uuid);
  throw new HektorError('invalid_point_id', 'a point id must set either num or uuid');
}

function idToWire(id: PointId): WirePointId {
  return typeof id === 'number' ? { num: id } : { uuid: id };
}

function parseJsonObject(text: string, where: string): Record<string, unknown> | null {
  if (text === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HektorError('invalid_json', `${where} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HektorError('invalid_request', `${where} must be a JSON object`);
  return value as Record<string, unknown>;
}

function filterFromJson(text: string): ReturnType<typeof toFilter> {
  return text === '' ? undefined : toFilter(parseJsonObject(text, 'filter_json'));
}

function pointToWire(p: PointRecord): Point {
  return { id: idToWire(p.id), vector: p.vector ?? [], payload_json: p.payload === null ? '' : JSON.stringify(p.payload) };
}

function limitOf(limit: number, fallback: number): number {
  const value = limit === 0 ? fallback : limit;
  if (value > LIMITS.searchLimitMax) throw new HektorError('invalid_request', `limit must be at most ${LIMITS.searchLimitMax}`);
  return value;
}

/** Builds the handlers of both public services over the collection manager. */
export function publicGrpcHandlers(collections: () => ClusterCollections, router: () => PointRouter): { collections: CollectionsHandlers; points: PointsHandlers } {
  // Searches walk the graph on a search thread while other searches are in flight (HTTP/2
  // multiplexes concurrent calls, so their handlers overlap); a lone call walks on this thread.
  let searchesInFlight = 0;
  return {
    collections: {
      Create: (call, callback) => answer(callback, async () => {
        const r = call.request;
        if (!['Cosine', 'Euclid', 'Dot'].includes(r.distance)) throw new HektorError('invalid_request', 'distance must be Cosine, Euclid or Dot');
        if (r.size < LIMITS.vectorSizeMin || r.size > LIMITS.vectorSizeMax) throw new HektorError('invalid_request', `size must be within ${LIMITS.vectorSizeMin}..${LIMITS.vectorSizeMax}`);
        const m = r.hnsw_m === 0 ? 16 : r.hnsw_m;
        const efConstruct = r.hnsw_ef_construct === 0 ? 100 : r.hnsw_ef_construct;
        if (m < LIMITS.hnswMMin || m > LIMITS.hnswMMax || efConstruct < LIMITS.hnswEfConstructMin || efConstruct > LIMITS.hnswEfConstructMax) {
          throw new HektorError('invalid_request', 'hnsw_m or hnsw_ef_construct out of range (see docs/configuration.md)');
        }
        const shards = r.shard_number === 0 ? 1 : r.shard_number;
        if (shards > LIMITS.shardNumberMax) throw new HektorError('invalid_request', `shard_number must be at most ${LIMITS.shardNumberMax}`);
        const mode = r.write_consistency_mode;
        if (mode !== '' && mode !== 'async' && mode !== 'sync' && mode !== 'semi_sync') {
          throw new HektorError('invalid_request', `write_consistency_mode must be async, sync or semi_sync, got "${mode}"`);
        }
        const read = r.read_consistency;
        if (read !== '' && read !== 'eventual' && read !== 'primary') throw new HektorError('invalid_request', `read_consistency must be eventual or primary, got "${read}"`);
        const replicationFactor = r.replication_factor === 0 ? 1 : r.replication_factor;
        if (replicationFactor > REPLICATION_FACTOR_MAX) throw new HektorError('invalid_request', `replication_factor must be at most ${REPLICATION_FACTOR_MAX}`);
        const replication = toReplicationConfig({
          replication_factor: replicationFactor,
          ...(mode === '' ? {} : {
            write_consistency: {
              mode,
              ...(r.write_consistency_min_acks === 0 ? {} : { min_acks: r.write_consistency_min_acks }),
              ...(r.write_consistency_timeout_ms === 0 ? {} : { timeout_ms: Math.min(r.write_consistency_timeout_ms, WRITE_TIMEOUT_MS_MAX) }),
            },
          }),
          ...(read === '' ? {} : { read_consistency: read }),
        });
        const config: CollectionConfig = {
          name: r.name,
          vectors: { size: r.size, distance: r.distance as CollectionConfig['vectors']['distance'] },
          hnsw_config: { m, ef_construct: efConstruct },
          on_disk_payload: r.on_disk_payload,
          shard_number: shards,
          ...replication,
          payload_schema: {},
          created_at_ms: Date.now(),
        };
        await collections().create(config);
        return { created: true };
      }),
      Get: (call, callback) => answer(callback, () => {
        const meta = collections().meta(call.request.name);
        let points = 0;
        try {
          points = collections().local(call.request.name).pointCount;
        } catch {
          points = 0;
        }
        return { name: meta.config.name, points_count: points, size: meta.config.vectors.size, distance: meta.config.vectors.distance, shard_number: meta.config.shard_number };
      }),
      List: (_call, callback) => answer(callback, () => ({ names: collections().names() })),
      Delete: (call, callback) => answer(callback, async () => ({ deleted: await collections().delete(call.request.name) })),
    },
    points: {
      Upsert: (call, callback) => answer(callback, async () => {
        const name = call.request.collection;
        const config = (await collections().metaFresh(name)).config;
        if (call.request.points.length > LIMITS.upsertBatchPointsMax) throw new HektorError('invalid_request', `at most ${LIMITS.upsertBatchPointsMax} points per request`);
        const points = call.request.points.map((p, i) => ({
          id: idFromWire(p.id),
          vector: toVector(p.vector, config, `points[${i}].vector`),
          payload: toPayload(parseJsonObject(p.payload_json, `points[${i}].payload_json`), `points[${i}].payload_json`),
        }));
        const result = await router().upsert(name, points);
        return { operation_id: result.seq, status: 'completed' };
      }),
      Get: (call, callback) => answer(callback, async () => {
        await collections().metaFresh(call.request.collection);
        const ids = call.request.ids.map(idFromWire);
        const records = await router().retrieve(call.request.collection, ids, call.request.with_payload, call.request.with_vector);
        return { points: records.map(pointToWire) };
      }),
      Delete: (call, callback) => answer(callback, async () => {
        await collections().metaFresh(call.request.collection);
        const filter = filterFromJson(call.request.filter_json);
        if (call.request.ids.length > 0 && filter !== undefined) throw new HektorError('invalid_request', 'give either ids or filter_json, not both');
        const target = call.request.ids.length > 0 ? { ids: call.request.ids.map(idFromWire) } : filter !== undefined ? { filter } : undefined;
        if (target === undefined) throw new HektorError('invalid_request', 'name the points to delete with ids or filter_json');
        const result = await router().delete(call.request.collection, target);
        return { operation_id: result.seq, status: 'completed' };
      }),
      Search: (call, callback) => answer(callback, async () => {
        const r = call.request;
        searchesInFlight++;
        try {
          const config = (await collections().metaFresh(r.collection)).config;
          const filter = filterFromJson(r.filter_json);
          const hits = await router().search(r.collection, {
            vector: toVector(r.vector, config, 'vector'),
            limit: limitOf(r.limit, 10),
            offset: r.offset,
            ...(filter === undefined ? {} : { filter }),
            ...(r.hnsw_ef === 0 ? {} : { ef: Math.min(r.hnsw_ef, LIMITS.hnswEfMax) }),
            exact: r.exact,
            ...(r._score_threshold === 'score_threshold' && r.score_threshold !== undefined ? { scoreThreshold: r.score_threshold } : {}),
            withPayload: r.with_payload,
            withVector: r.with_vector,
          }, { offload: searchesInFlight > 1 });
          return { points: hits.map((h) => ({ id: idToWire(h.id), score: h.score, vector: h.vector ?? [], payload_json: h.payload === null ? '' : JSON.stringify(h.payload) })) };
        } finally {
          searchesInFlight--;
        }
      }),
      Scroll: (call, callback) => answer(callback, async () => {
        const r = call.request;
        await collections().metaFresh(r.collection);
        const filter = filterFromJson(r.filter_json);
        const offset = r.offset === null || r.offset.kind === undefined ? undefined : idFromWire(r.offset);
        const page = await router().scroll(r.collection, {
          limit: limitOf(r.limit, 10),
          ...(offset === undefined ? {} : { offset }),
          ...(filter === undefined ? {} : { filter }),
          withPayload: r.with_payload,
          withVector: r.with_vector,
        });
        return { points: page.points.map(pointToWire), next_page_offset: page.nextOffset === null ? null : idToWire(page.nextOffset) };
      }),
      Count: (call, callback) => answer(callback, async () => {
        await collections().metaFresh(call.request.collection);
        return { count: await router().count(call.request.collection, filterFromJson(call.request.filter_json)) };
      }),
    },
  };
}

/** The public gRPC server of a node. */
export class PublicGrpcServer {
  private readonly server = new grpc.Server(SERVER_OPTIONS);
  /** The bound port. */
  port = 0;

  /** Binds the public services on `host:port` (insecure; client TLS is not implemented yet). */
  async start(host: string, port: number, collections: () => ClusterCollections, router: () => PointRouter, logger: Logger): Promise<void> {
    const proto = loadPointsProto().hektor.api.v1;
    const handlers = publicGrpcHandlers(collections, router);
    this.server.addService(proto.Collections.service, handlers.collections);
    this.server.addService(proto.Points.service, handlers.points);
    this.port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => {
        if (error !== null) reject(new HektorError('invalid_config', `cannot bind the public gRPC API on ${host}:${port}: ${error.message}`));
        else resolve(bound);
      });
    });
    logger.info({ port: this.port }, 'public gRPC API listening');
  }

  /** Stops the server after in-flight calls finish. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
