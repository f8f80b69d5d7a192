/**
 * The REST API: Qdrant's paths, bodies and `{ result, status, time }` envelope over the local
 * catalog. Every request is validated before it touches data; every error is answered with a
 * stable code, an HTTP status and a message that says what to fix, and the server stays up.
 */

import { isAscii } from 'node:buffer';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { HektorError } from '../base/errors.js';
import { parsePointId, type PointId } from '../base/ids.js';
import { LIMITS } from '../base/limits.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { ClusterCollections } from '../cluster/collections.js';
import type { PointRouter } from '../cluster/router.js';
import type { CollectionMeta } from '../cluster/metadata.js';
import type { ReplicaStatus, ShardReplicationStatus, TruncatedEntryInfo } from '../cluster/replica-status.js';
import type { ReplicaManager } from '../cluster/replicas.js';
import { effectiveWriteConsistency, type Collection, type CollectionConfig, type PayloadEdit, type ReadConsistency, type ScrollRequest, type Target, type WriteConsistency } from '../shard/collection.js';
import type { ScoredRecord } from '../shard/local-shard.js';
import type { PointWrite } from '../storage/ops.js';
import { ConcurrencyProbe } from './concurrency.js';
import { toFilter, toIds, toPayload, toReplicationConfig, toSelector, toVector } from './convert.js';
import type { NodeMetrics } from './metrics.js';
import * as S from './schemas.js';
import { parseVectorBody, type VectorField } from './vector-body.js';
import { errorReply, toHektorError } from './http-errors.js';
import { takeLane, type JsonBodyParser, type LaneDeps } from './search-lane.js';

/** What the REST layer needs from the node. */
export interface RestDeps {
  collections: ClusterCollections;
  router: PointRouter;
  cluster: ClusterNode;
  /** The replication runtime: replica status, lag and truncated entries. */
  replicas: ReplicaManager;
  metrics: NodeMetrics;
  logger: Logger;
  version: string;
  /** True while the node accepts traffic (false during shutdown). */
  isReady: () => boolean;
}

/** The Qdrant REST API level this server implements (what Qdrant clients check). */
export const QDRANT_API_VERSION = '1.18.0';

interface Timed {
  startNs: bigint;
}

const START = Symbol('start');

function elapsedSeconds(request: FastifyRequest): number {
  const timed = (request as unknown as Record<symbol, Timed | undefined>)[START];
  return timed === undefined ? 0 : Number(process.hrtime.bigint() - timed.startNs) / 1e9;
}

function ok(request: FastifyRequest, result: unknown): { result: unknown; status: 'ok'; time: number } {
  return { result, status: 'ok', time: elapsedSeconds(request) };
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`);
  throw new HektorError('invalid_request', `invalid request: ${issues.join('; ')}`, { issues: parsed.error.issues.slice(0, 20) });
}

function waitParam(request: FastifyRequest): boolean {
  const query = request.query as Record<string, string | undefined>;
  const wait = query.wait;
  if (wait === undefined) return false;
  if (wait === 'true' || wait === '1' || wait === '') return true;
  if (wait === 'false' || wait === '0') return false;
  throw new HektorError('invalid_request', `query parameter wait must be true or false, got "${wait}"`);
}

/** Per-request write options: the `write_consistency` query overrides the collection's mode. */
interface WriteRequestOptions {
  consistency?: WriteConsistency['mode'];
}

/**
 * Per-request read options: the `read_consistency` query overrides the collection's setting;
 * `offload` (searches only) is set while other requests are in flight.
 */
interface ReadRequestOptions {
  consistency?: ReadConsistency;
  offload?: boolean;
}

/** What the query-string helpers read of a request (the search lane passes an empty query). */
type WithQuery = Pick<FastifyRequest, 'query'>;

/** The query string of a request the search lane serves: it has none. */
const NO_QUERY: WithQuery = { query: {} };

function queryEnum<T extends string>(request: WithQuery, key: string, allowed: readonly T[]): T | undefined {
  const value = (request.query as Record<string, unknown>)[key];
  if (value === undefined) return undefined;
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    throw new HektorError('invalid_request', `query parameter ${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return found;
}

function writeOptions(request: FastifyRequest): WriteRequestOptions {
  const consistency = queryEnum(request, 'write_consistency', S.WRITE_MODES);
  return consistency === undefined ? {} : { consistency };
}

function readOptions(request: WithQuery, inFlight = 1): ReadRequestOptions {
  const consistency = queryEnum(request, 'read_consistency', S.READ_CONSISTENCIES);
  // Searches walk the graph on a search thread only while other requests compete for the event
  // loop: alone, the pool's wake-ups would add latency and save nothing.
  const offload = inFlight > 1;
  return consistency === undefined ? { offload } : { consistency, offload };
}

/**
 * Metadata reads are served from this node's applied state; `?consistency=linearizable` first
 * confirms with the leader (ReadIndex) that the state includes every change committed before the
 * request arrived.
 */
async function metadataRead(request: FastifyRequest, cluster: ClusterNode): Promise<void> {
  const consistency = (request.query as Record<string, string | undefined>).consistency;
  if (consistency === undefined || consistency === 'local') return;
  if (consistency !== 'linearizable') throw new HektorError('invalid_request', `consistency must be "local" or "linearizable", got "${consistency}"`);
  await cluster.linearize();
}

function nameParam(request: FastifyRequest): string {
  return (request.params as { name: string }).name;
}

function target(body: { points?: (number | string)[] | null | undefined; filter?: unknown }): Target {
  const filter = toFilter(body.filter);
  if (body.points !== undefined && body.points !== null) {
    if (filter !== undefined) throw new HektorError('invalid_request', 'give either points or filter, not both');
    return { ids: toIds(body.points) };
  }
  if (filter === undefined) throw new HektorError('invalid_request', 'name the points to change with "points" (a list of ids) or "filter"');
  return { filter };
}

function scoredJson(r: ScoredRecord): Record<string, unknown> {
  return { id: r.id, version: r.version, score: r.score, payload: r.payload, vector: r.vector };
}

/**
 * True when a JSON body could hold a `__proto__` or `constructor` key: it spells one of them
 * out, or it has a `\u` escape that could spell one. Bodies without any of these cannot, so
 * plain `JSON.parse` is as safe for them as the poisoning checks. Searched in the bytes (the
 * needles are ASCII, and no byte of a multi-byte UTF-8 character is), so that a body the vector
 * fast path takes is never decoded whole.
 */
function mayPoison(body: Buffer): boolean {
  return body.includes('__proto__') || body.includes('constructor') || body.includes('\\u');
}

/**
 * Decodes a request body. JSON bodies are almost always pure ASCII (vectors are numbers), and
 * for those a latin1 decode gives the same string several times faster than a UTF-8 decode,
 * which validates every byte (8 ms against 1 ms for a 2.5 MB batch of 1000 points here).
 */
function decodeBody(body: Buffer): string {
  return isAscii(body) ? body.toString('latin1') : body.toString('utf8');
}

/**
 * Replaces Fastify's JSON body parser with one that skips the prototype-poisoning scans
 * (two regular expressions over the whole body, a large share of a vector search's parse time)
 * for bodies that cannot poison. Any other body, an empty one, and invalid JSON go to Fastify's
 * own parser, which refuses poisoning and produces the usual errors.
 */
function installJsonParser(app: FastifyInstance, parse: JsonBodyParser): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
    parse(request.url, raw as Buffer, done);
  });
}

/**
 * The JSON body parser of every route: the vector fast path for searches and queries, plain
 * `JSON.parse` for bodies that cannot poison, and Fastify's own secure parser (which refuses
 * poisoning and produces the usual errors) for any other body, an empty one, and invalid JSON.
 */
function jsonBodyParser(app: FastifyInstance): JsonBodyParser {
  const secure = app.getDefaultJsonParser('error', 'error');
  // Fastify's default parser ignores its request argument.
  const noRequest = {} as FastifyRequest;
  return (url, body, done) => {
    if (body.length > 0 && !mayPoison(body)) {
      const field = vectorFieldOf(url);
      const search = field === undefined ? undefined : parseVectorBody(body, field);
      if (search !== undefined) {
        done(null, search);
        return;
      }
      const text = decodeBody(body);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        void secure(noRequest, text, done);
        return;
      }
      done(null, parsed);
      return;
    }
    void secure(noRequest, decodeBody(body), done);
  };
}

/** The body field holding the query vector of a `/points/search` or `/points/query` URL. */
function vectorFieldOf(url: string): VectorField | undefined {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (path.endsWith('/points/search')) return 'vector';
  if (path.endsWith('/points/query')) return 'query';
  return undefined;
}

/** The route label of the search lane's requests in the metrics (Fastify's for the same route). */
const SEARCH_ROUTE = '/collections/:name/points/search';
/** The route label of the query lane's requests. */
const QUERY_ROUTE = '/collections/:name/points/query';
/** Fastify's default keep-alive timeout of idle connections. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;
/** Fastify's default `maxParamLength`: a longer collection name is left to Fastify's router. */
const PARAM_LENGTH_MAX = 100;

/** Builds the Fastify app for a node (not yet listening). */
export function buildRestApi(deps: RestDeps): FastifyInstance {
  const { metrics } = deps;
  // Searches and queries take a lane of their own past Fastify (see `takeLane`): set once every
  // helper it shares with the routes below exists.
  let lane: (request: IncomingMessage, response: ServerResponse) => boolean = () => false;
  const app = Fastify({
    logger: false,
    bodyLimit: LIMITS.requestBodyBytesMax,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    serverFactory: (handler, options) => {
      const server = createServer((request, response) => {
        if (!lane(request, response)) handler(request, response);
      });
      // What Fastify sets on the servers it creates itself.
      const option = (key: string, fallback: number): number => {
        const value: unknown = options[key];
        return typeof value === 'number' ? value : fallback;
      };
      server.keepAliveTimeout = option('keepAliveTimeout', KEEP_ALIVE_TIMEOUT_MS);
      server.requestTimeout = option('requestTimeout', 0);
      server.setTimeout(option('connectionTimeout', 0));
      return server;
    },
  });
  let inFlight = 0;
  // A request counts from its arrival until its answer, or until its connection closes: a client
  // that goes away before the answer gets none, and its request must not count forever.
  const requestsOf = new WeakMap<Socket, Set<object>>();
  const admit = (request: object, socket: Socket): void => {
    let open = requestsOf.get(socket);
    if (open === undefined) {
      const requests = new Set<object>();
      open = requests;
      requestsOf.set(socket, requests);
      socket.once('close', () => {
        inFlight -= requests.size;
        requests.clear();
      });
    }
    open.add(request);
    inFlight++;
    concurrency.arrived(inFlight, socket);
  };
  const release = (request: object, socket: Socket): void => {
    if (requestsOf.get(socket)?.delete(request) === true) inFlight--;
  };
  /**
   * Why a request that just arrived is refused before its body is read, if it is. Both the
   * Fastify hook and the search lane ask this, so a check added here (authentication, say)
   * covers every request.
   */
  const refusal = (url: string): HektorError | undefined => {
    if (inFlight > LIMITS.httpInFlightMax) return new HektorError('too_many_requests', `more than ${LIMITS.httpInFlightMax} requests in flight; retry later`);
    if (!deps.isReady() && !url.startsWith('/healthz') && !url.startsWith('/livez')) return new HektorError('shutting_down', 'the node is shutting down; retry on another node');
    return undefined;
  };
  const observe = (method: string, route: string, status: number, seconds: number): void => {
    metrics.requests.inc({ method, route, status: String(status) });
    metrics.latency.observe({ method, route }, seconds);
  };
  const logFailure = (error: unknown, herr: HektorError, url: string | undefined): void => {
    if (herr.code === 'internal' || herr.code === 'storage_error') deps.logger.error({ err: error, url }, 'request failed');
  };
  const concurrency = new ConcurrencyProbe();
  /** Requests competing for the event loop, as searches should count them. */
  const competing = (): number => (concurrency.concurrent ? Math.max(inFlight, 2) : inFlight);
  const parseJson = jsonBodyParser(app);
  installJsonParser(app, parseJson);

  // Callback-style hooks: an async hook costs each request a promise and a microtask turn.
  app.addHook('onRequest', (request, _reply, done) => {
    (request as unknown as Record<symbol, Timed>)[START] = { startNs: process.hrtime.bigint() };
    admit(request, request.raw.socket);
    done(refusal(request.url));
  });
  app.addHook('onResponse', (request, reply, done) => {
    release(request, request.raw.socket);
    observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, elapsedSeconds(request));
    done();
  });

  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const herr = toHektorError(error);
    logFailure(error, herr, request.url);
    const { httpStatus, body } = errorReply(herr, elapsedSeconds(request));
    void reply.status(httpStatus).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      status: { error: `no endpoint ${request.method} ${request.url.split('?')[0] ?? ''}; see docs/api.md`, code: 'route_not_found' },
      time: elapsedSeconds(request),
    });
  });

  // ------------------------------------------------------------------ service
  // Qdrant clients read `version` to check API compatibility: it names the Qdrant REST API level
  // Hektor implements; Hektor's own release is `hektor_version`.
  app.get('/', async () => ({ title: 'hektor - distributed vector database', version: QDRANT_API_VERSION, hektor_version: deps.version }));
  app.get('/healthz', async () => 'healthz check passed');
  app.get('/livez', async () => 'livez check passed');
  app.get('/readyz', async (_request, reply) => {
    if (!deps.isReady()) return reply.status(503).send('not ready');
    return 'all shards are ready';
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
  app.get('/cluster', async (request) => {
    await metadataRead(request, deps.cluster);
    return ok(request, clusterInfo(deps.cluster));
  });
  app.delete('/cluster/peer/:id', async (request) => {
    const id = (request.params as { id: string }).id;
    if (deps.cluster.metadata.current.members[id] === undefined && !deps.cluster.status().voters.includes(id) && !deps.cluster.status().learners.includes(id)) {
      throw new HektorError('invalid_request', `node "${id}" is not a member of the cluster; see GET /cluster`);
    }
    await deps.cluster.removeNode(id);
    return ok(request, true);
  });

  // ------------------------------------------------------------------ collections
  app.get('/collections', async (request) => {
    await metadataRead(request, deps.cluster);
    return ok(request, { collections: deps.collections.names().map((name) => ({ name })) });
  });

  app.get('/collections/:name', async (request) => {
    await metadataRead(request, deps.cluster);
    const meta = deps.collections.meta(nameParam(request));
    const local = deps.collections.localIfAny(meta.config.name);
    const allLocal = local?.complete === true;
    // The collection's total over every node; this node's own count when a node does not answer.
    const total = allLocal ? local.pointCount : await deps.router.count(meta.config.name, undefined).catch(() => undefined);
    const info = collectionInfo(meta, local);
    info.points_count = total ?? local?.pointCount ?? 0;
    info.points_count_complete = total !== undefined;
    return ok(request, info);
  });

  app.get('/collections/:name/exists', async (request) => {
    await metadataRead(request, deps.cluster);
    return ok(request, { exists: deps.collections.exists(nameParam(request)) });
  });

  app.put('/collections/:name', async (request) => {
    const body = parse(S.createCollectionBody, request.body);
    const hnsw = { ...body.hnsw_config, ...body.vectors.hnsw_config };
    const config: CollectionConfig = {
      name: nameParam(request),
      vectors: { size: body.vectors.size, distance: body.vectors.distance },
      hnsw_config: { m: hnsw.m ?? 16, ef_construct: hnsw.ef_construct ?? 100 },
      on_disk_payload: body.on_disk_payload ?? false,
      shard_number: body.shard_number ?? 1,
      ...toReplicationConfig(body),
      payload_schema: {},
      created_at_ms: Date.now(),
    };
    await deps.collections.create(config);
    return ok(request, true);
  });

  app.delete('/collections/:name', async (request) => ok(request, await deps.collections.delete(nameParam(request))));

  app.get('/collections/:name/cluster', async (request) => {
    const meta = await deps.collections.metaFresh(nameParam(request));
    const status = await deps.replicas.collectionStatus(meta.config.name);
    return ok(request, collectionClusterInfo(deps.cluster.id, meta, deps.collections.localIfAny(meta.config.name), status));
  });

  app.get('/collections/:name/truncated', async (request) => {
    const name = nameParam(request);
    await deps.collections.metaFresh(name);
    return ok(request, { entries: (await deps.replicas.listTruncated(name)).map(truncatedJson) });
  });
  for (const action of ['reapply', 'drop'] as const) {
    app.post(`/collections/:name/truncated/${action}`, async (request) => {
      const name = nameParam(request);
      const meta = await deps.collections.metaFresh(name);
      const body = parse(S.resolveTruncatedBody, request.body);
      if (body.shard >= meta.config.shard_number) {
        throw new HektorError('invalid_request', `shard ${body.shard} does not exist: collection "${name}" has shards 0..${meta.config.shard_number - 1}`);
      }
      return ok(request, await deps.replicas.resolveTruncated(name, body.shard, body.peer_id, body.ids, action));
    });
  }

  app.put('/collections/:name/index', async (request) => {
    const name = nameParam(request);
    const body = parse(S.createIndexBody, request.body);
    const type = typeof body.field_schema === 'string' ? body.field_schema : body.field_schema.type;
    await deps.collections.createPayloadIndex(name, body.field_name, type);
    return ok(request, { operation_id: 0, status: 'completed' });
  });

  app.delete('/collections/:name/index/:field', async (request) => {
    await deps.collections.dropPayloadIndex(nameParam(request), (request.params as { field: string }).field);
    return ok(request, { operation_id: 0, status: 'completed' });
  });

  // ------------------------------------------------------------------ points: writes
  const acknowledge = async (request: FastifyRequest, write: Promise<{ seq: number }>) => {
    if (waitParam(request)) {
      const r = await write;
      return ok(request, { operation_id: r.seq, status: 'completed' });
    }
    write.catch((e: unknown) => deps.logger.warn({ err: e }, 'write accepted with wait=false failed'));
    return ok(request, { operation_id: 0, status: 'acknowledged' });
  };

  app.put('/collections/:name/points', async (request) => {
    const name = nameParam(request);
    const config = (await deps.collections.metaFresh(name)).config;
    const body = parse(S.upsertBody, request.body);
    const points = 'points' in body ? body.points.map((p, i) => toPoint(config, p.id, p.vector, p.payload, `points[${i}]`)) : toBatch(config, body.batch);
    waitParam(request);
    return acknowledge(request, deps.router.upsert(name, points, writeOptions(request)));
  });

  app.post('/collections/:name/points/delete', async (request) => {
    const name = nameParam(request);
    await deps.collections.metaFresh(name);
    const t = target(parse(S.selectorBody, request.body));
    waitParam(request);
    return acknowledge(request, deps.router.delete(name, t, writeOptions(request)));
  });

  const payloadEdit = (edit: (body: z.infer<typeof S.setPayloadBody>) => PayloadEdit) => async (request: FastifyRequest) => {
    const name = nameParam(request);
    await deps.collections.metaFresh(name);
    const body = parse(S.setPayloadBody, request.body);
    waitParam(request);
    return acknowledge(request, deps.router.editPayload(name, target(body), edit(body), writeOptions(request)));
  };
  app.post(
    '/collections/:name/points/payload',
    payloadEdit((b) => {
      const payload = toPayload(b.payload, 'payload') ?? {};
      return b.key === undefined || b.key === null ? { type: 'set_payload', payload } : { type: 'set_payload', payload, key: b.key };
    }),
  );
  app.put('/collections/:name/points/payload', payloadEdit((b) => ({ type: 'overwrite_payload', payload: toPayload(b.payload, 'payload') ?? {} })));
  app.post('/collections/:name/points/payload/delete', async (request) => {
    const name = nameParam(request);
    await deps.collections.metaFresh(name);
    const body = parse(S.deletePayloadBody, request.body);
    waitParam(request);
    return acknowledge(request, deps.router.editPayload(name, target(body), { type: 'delete_payload', keys: body.keys }, writeOptions(request)));
  });
  app.post('/collections/:name/points/payload/clear', async (request) => {
    const name = nameParam(request);
    await deps.collections.metaFresh(name);
    const body = parse(S.selectorBody, request.body);
    waitParam(request);
    return acknowledge(request, deps.router.editPayload(name, target(body), { type: 'clear_payload' }, writeOptions(request)));
  });

  // ------------------------------------------------------------------ points: reads
  app.post('/collections/:name/points', async (request) => {
    const name = nameParam(request);
    await deps.collections.metaFresh(name);
    const body = parse(S.retrieveBody, request.body);
    return ok(request, await deps.router.retrieve(name, toIds(body.ids), toSelector(body.with_payload, true), body.with_vector ?? false, readOptions(request)));
  });

  app.get('/collections/:name/points/:id', async (request) => {
    const name = nameParam(request);
    await deps.collections.metaFresh(name);
    const rawId = (request.params as { id: string }).id;
    const id = parsePointId(/^\d+$/.test(rawId) ? Number(rawId) : rawId);
    const [record] = await deps.router.retrieve(name, [id], true, true, readOptions(request));
    if (record === undefined) throw new HektorError('point_not_found', `no point with id ${JSON.stringify(id)} in collection "${name}"`);
    return ok(request, record);
  });

  const runSearch = (name: string, config: CollectionConfig, body: z.infer<typeof S.searchBody>, where: string, read: ReadRequestOptions): Promise<ScoredRecord[]> => {
    const vector = toVector(body.vector, config, `${where}vector`);
    return searchCollection(deps, name, vector, body, metrics, read);
  };

  const search = async (name: string, raw: unknown, read: ReadRequestOptions): Promise<unknown> => {
    const config = (await deps.collections.metaFresh(name)).config;
    return (await runSearch(name, config, parse(S.searchBody, raw), '', read)).map(scoredJson);
  };
  app.post(SEARCH_ROUTE, async (request) => ok(request, await search(nameParam(request), request.body, readOptions(request, competing()))));

  app.post('/collections/:name/points/search/batch', async (request) => {
    const name = nameParam(request);
    const config = (await deps.collections.metaFresh(name)).config;
    const body = parse(S.searchBatchBody, request.body);
    // The searches of a batch compete with each other too.
    const read = readOptions(request, competing() + body.searches.length - 1);
    const results = await Promise.all(body.searches.map((s, i) => runSearch(name, config, s, `searches[${i}].`, read)));
    return ok(request, results.map((r) => r.map(scoredJson)));
  });

  const runQuery = async (name: string, config: CollectionConfig, body: z.infer<typeof S.queryBody>, where: string, read: ReadRequestOptions): Promise<{ points: Record<string, unknown>[] }> => {
    const limit = body.limit ?? 10;
    if (body.query === undefined || body.query === null) {
      const filter = toFilter(body.filter);
      const scroll: ScrollRequest = {
        limit: limit + (body.offset ?? 0),
        ...(filter === undefined ? {} : { filter }),
        withPayload: toSelector(body.with_payload, false),
        withVector: body.with_vector ?? false,
      };
      const page = await deps.router.scroll(name, scroll, read);
      return { points: page.points.slice(body.offset ?? 0).map((p) => ({ ...p, version: 0, score: 0 })) };
    }
    const vector = await queryVector(deps.router, name, config, body.query, `${where}query`, read);
    return { points: (await searchCollection(deps, name, vector, { ...body, limit }, metrics, read)).map(scoredJson) };
  };

  const query = async (name: string, raw: unknown, read: ReadRequestOptions): Promise<unknown> => {
    const config = (await deps.collections.metaFresh(name)).config;
    return runQuery(name, config, parse(S.queryBody, raw), '', read);
  };
  app.post(QUERY_ROUTE, async (request) => ok(request, await query(nameParam(request), request.body, readOptions(request, competing()))));

  app.post('/collections/:name/points/query/batch', async (request) => {
    const name = nameParam(request);
    const config = (await deps.collections.metaFresh(name)).config;
    const body = parse(S.queryBatchBody, request.body);
    // The searches of a batch compete with each other too.
    const read = readOptions(request, competing() + body.searches.length - 1);
    return ok(request, await Promise.all(body.searches.map((s, i) => runQuery(name, config, s, `searches[${i}].`, read))));
  });

  app.post('/collections/:name/points/scroll', async (request) => {
    const name = nameParam(request);
    await deps.collections.metaFresh(name);
    const body = parse(S.scrollBody, request.body) ?? {};
    const filter = toFilter(body.filter);
    const offset = body.offset === undefined || body.offset === null ? undefined : parsePointId(body.offset);
    const page = await deps.router.scroll(name, {
      limit: body.limit ?? 10,
      ...(offset === undefined ? {} : { offset }),
      ...(filter === undefined ? {} : { filter }),
      withPayload: toSelector(body.with_payload, true),
      withVector: body.with_vector ?? false,
    }, readOptions(request));
    return ok(request, { points: page.points, next_page_offset: page.nextOffset });
  });

  app.post('/collections/:name/points/count', async (request) => {
    const name = nameParam(request);
    await deps.collections.metaFresh(name);
    const body = parse(S.countBody, request.body) ?? {};
    return ok(request, { count: await deps.router.count(name, toFilter(body.filter), readOptions(request)) });
  });

  const laneDeps: LaneDeps = {
    search: { label: SEARCH_ROUTE, run: (name, body) => search(name, body, readOptions(NO_QUERY, competing())) },
    query: { label: QUERY_ROUTE, run: (name, body) => query(name, body, readOptions(NO_QUERY, competing())) },
    admit,
    release,
    refusal,
    parseJson,
    observe,
    logFailure,
    paramLengthMax: PARAM_LENGTH_MAX,
  };
  lane = (request, response) => takeLane(request, response, laneDeps);
  return app;
}

function toPoint(config: CollectionConfig, rawId: number | string, rawVector: unknown, payload: Record<string, unknown> | null | undefined, where: string): PointWrite {
  return { id: parsePointId(rawId), vector: toVector(rawVector, config, `${where}.vector`), payload: toPayload(payload, `${where}.payload`) };
}

function toBatch(
  config: CollectionConfig,
  batch: { ids: (number | string)[]; vectors: unknown[]; payloads?: (Record<string, unknown> | null | undefined)[] | null | undefined },
): PointWrite[] {
  if (batch.vectors.length !== batch.ids.length) {
    throw new HektorError('invalid_request', `batch has ${batch.ids.length} ids but ${batch.vectors.length} vectors; they must match`);
  }
  if (batch.payloads !== undefined && batch.payloads !== null && batch.payloads.length !== batch.ids.length) {
    throw new HektorError('invalid_request', `batch has ${batch.ids.length} ids but ${batch.payloads.length} payloads; they must match`);
  }
  return batch.ids.map((id, i) => toPoint(config, id, batch.vectors[i], batch.payloads?.[i], `batch[${i}]`));
}

async function queryVector(router: PointRouter, name: string, config: CollectionConfig, query: unknown, where: string, read: ReadRequestOptions): Promise<Float32Array> {
  let q = query;
  if (typeof q === 'object' && q !== null && !Array.isArray(q) && 'nearest' in q) q = (q).nearest;
  if (typeof q === 'number' || typeof q === 'string') {
    const id: PointId = parsePointId(q);
    const [record] = await router.retrieve(name, [id], false, true, read);
    if (record?.vector === undefined || record.vector === null) {
      throw new HektorError('point_not_found', `${where}: no point with id ${JSON.stringify(id)} to take the query vector from`);
    }
    return toVector(record.vector, config, where);
  }
  return toVector(q, config, where);
}

async function searchCollection(
  deps: RestDeps,
  name: string,
  vector: Float32Array,
  body: {
    limit: number;
    offset?: number | null | undefined;
    filter?: unknown;
    params?: { hnsw_ef?: number | null | undefined; exact?: boolean | null | undefined } | null | undefined;
    with_payload?: boolean | string[] | { include: string[] } | { exclude: string[] } | null | undefined;
    with_vector?: boolean | null | undefined;
    score_threshold?: number | null | undefined;
  },
  metrics: NodeMetrics,
  read: ReadRequestOptions,
): Promise<ScoredRecord[]> {
  const filter = toFilter(body.filter);
  const ef = body.params?.hnsw_ef ?? undefined;
  const hits = await deps.router.search(name, {
    vector,
    limit: body.limit,
    offset: body.offset ?? 0,
    ...(filter === undefined ? {} : { filter }),
    ...(ef === undefined ? {} : { ef }),
    exact: body.params?.exact ?? false,
    ...(body.score_threshold === undefined || body.score_threshold === null ? {} : { scoreThreshold: body.score_threshold }),
    withPayload: toSelector(body.with_payload, false),
    withVector: body.with_vector ?? false,
  }, read);
  const local = deps.collections.localIfAny(name);
  for (const s of local?.shards ?? []) metrics.searchPaths.inc({ path: s.lastSearchPath });
  return hits;
}

function clusterInfo(cluster: ClusterNode): Record<string, unknown> {
  const s = cluster.status();
  const role = s.role === 'leader' ? 'Leader' : s.role === 'follower' ? 'Follower' : s.role === 'candidate' ? 'Candidate' : 'PreCandidate';
  return {
    status: 'enabled',
    peer_id: s.nodeId,
    peers: Object.fromEntries(s.members.map((m) => [m.id, { uri: `http://${m.httpAddress}`, grpc: m.grpcAddress, zone: m.zone, state: m.state }])),
    raft_info: {
      term: s.term,
      commit: s.commitIndex,
      applied: s.appliedIndex,
      pending_operations: s.commitIndex - s.appliedIndex,
      leader: s.leaderId,
      role,
      is_voter: s.voters.includes(s.nodeId),
      voters: s.voters,
      learners: s.learners,
      leader_changes: s.leaderChanges,
    },
    peer_rtt_ms: s.peerRttMs,
    consensus_thread_status: { consensus_thread_status: 'working' },
    message_send_failures: {},
  };
}

function collectionInfo(meta: CollectionMeta, c: Collection | undefined): Record<string, unknown> {
  const config = meta.config;
  const schema: Record<string, { data_type: string; points: number }> = c?.payloadSchemaInfo() ?? {};
  for (const [field, type] of Object.entries(config.payload_schema)) schema[field] ??= { data_type: type, points: 0 };
  return {
    status: 'green',
    optimizer_status: 'ok',
    points_count: c?.pointCount ?? 0,
    indexed_vectors_count: c?.indexedVectorCount ?? 0,
    segments_count: c?.shards.length ?? 0,
    local_shards: c?.shardIds ?? [],
    config: {
      params: {
        vectors: { size: config.vectors.size, distance: config.vectors.distance },
        shard_number: config.shard_number,
        replication_factor: config.replication_factor,
        write_consistency_factor: config.write_consistency_factor,
        write_consistency: effectiveWriteConsistency(config),
        read_consistency: config.read_consistency ?? 'eventual',
        on_disk_payload: config.on_disk_payload,
      },
      hnsw_config: { m: config.hnsw_config.m, ef_construct: config.hnsw_config.ef_construct, full_scan_threshold: 10000 },
      optimizer_config: {},
      wal_config: {},
    },
    payload_schema: schema,
  };
}

/** Qdrant's names of replica states (`catching_up` is Qdrant's `Partial`). */
const QDRANT_REPLICA_STATE: Record<ReplicaStatus['state'], string> = { active: 'Active', catching_up: 'Partial', dead: 'Dead' };

function replicaJson(r: ReplicaStatus): Record<string, unknown> {
  return {
    peer_id: r.node,
    role: r.role,
    state: QDRANT_REPLICA_STATE[r.state],
    hektor_state: r.state,
    in_sync: r.inSync,
    acked_seq: r.ackedSeq,
    lag_ops: r.lagOps,
    lag_ms: r.lagMs,
  };
}

/**
 * `GET /collections/{name}/cluster`: Qdrant's shape (local and remote shards with their states)
 * plus `shards`, each shard's replica set with primary, epoch, in-sync set and per-replica lag.
 */
function collectionClusterInfo(self: string, meta: CollectionMeta, local: Collection | undefined, status: readonly ShardReplicationStatus[]): Record<string, unknown> {
  const localShards: Record<string, unknown>[] = [];
  const remoteShards: Record<string, unknown>[] = [];
  for (const shard of status) {
    for (const r of shard.replicas) {
      const state = QDRANT_REPLICA_STATE[r.state];
      if (r.node === self) localShards.push({ shard_id: shard.shard, points_count: local?.shard(shard.shard)?.pointCount ?? 0, state });
      else remoteShards.push({ shard_id: shard.shard, peer_id: r.node, state });
    }
  }
  return {
    peer_id: self,
    shard_count: meta.config.shard_number,
    local_shards: localShards,
    remote_shards: remoteShards,
    shard_transfers: [],
    shards: status.map((shard) => ({
      shard_id: shard.shard,
      primary: shard.primary,
      epoch: shard.epoch,
      version: shard.version,
      in_sync: shard.inSync,
      last_seq: shard.lastSeq,
      truncated_entries: shard.truncatedEntries,
      complete: shard.complete,
      replicas: shard.replicas.map(replicaJson),
    })),
  };
}

function truncatedJson(e: TruncatedEntryInfo): Record<string, unknown> {
  return { shard: e.shard, peer_id: e.node, id: e.id, seq: e.seq, epoch: e.epoch, truncated_in_epoch: e.truncatedInEpoch, at_ms: e.atMs, op: e.op };
}
