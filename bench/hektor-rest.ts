/**
 * The Hektor side of the bench: create the collection, upsert over REST, and time searches from
 * one or several concurrent keep-alive clients.
 */

import { rowArray, type Dataset } from './datasets.js';
import { summarisePasses, type GroundTruth } from './ground-truth.js';
import { HNSW_PARAMS, type SearchMeasurement } from './raw-hnswlib.js';
import { sendOk, type RestClient } from './rest-client.js';
import { nowMs, ownCpuMs, processCpuMs, quantile, sleepMs } from './stats.js';

/** Name of the bench collection. */
export const COLLECTION = 'bench';

/** Creates the bench collection with the baseline's graph parameters, replacing an old one. */
export async function createCollection(client: RestClient, dataset: Dataset): Promise<void> {
  await client.send('DELETE', `/collections/${COLLECTION}`);
  const body = {
    vectors: { size: dataset.dim, distance: dataset.distance },
    hnsw_config: { m: HNSW_PARAMS.m, ef_construct: HNSW_PARAMS.efConstruct },
  };
  // A node that has just become ready may not yet count itself as a live cluster member; its
  // refusal is retried for a bounded time.
  const deadlineMs = nowMs() + CREATE_RETRY_MS;
  for (;;) {
    const reply = await client.send('PUT', `/collections/${COLLECTION}`, JSON.stringify(body));
    if (reply.status >= 200 && reply.status < 300) return;
    if (nowMs() > deadlineMs) throw new Error(`PUT /collections/${COLLECTION} → ${reply.status}: ${reply.text.slice(0, 500)}`);
    await sleepMs(200);
  }
}

/** How long collection creation is retried after the node reports ready. */
const CREATE_RETRY_MS = 30_000;

/** The search path of the bench collection. */
export const SEARCH_PATH = `/collections/${COLLECTION}/points/search`;

/** A bench search's JSON body: the query vector's JSON text, top 10, beam width `ef`. */
export function searchBody(vectorText: string, ef: number): string {
  return `{"vector":${vectorText},"limit":10,"params":{"hnsw_ef":${ef}}}`;
}

/** Per-row JSON text of a matrix, made once so that no timed loop pays for client-side serialisation. */
export function vectorJson(matrix: Float32Array, dim: number, count: number): string[] {
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = JSON.stringify(rowArray(matrix, dim, i));
  return out;
}

/** Result of an upsert run. */
export interface IngestMeasurement {
  /** Points sent. */
  points: number;
  /** Points per second over the sending window (bodies were built before it). */
  pointsPerSecond: number;
  /** Median batch latency, in milliseconds. */
  p50Ms: number;
  /** 99th-percentile batch latency, in milliseconds. */
  p99Ms: number;
  /** Seconds spent sending. */
  seconds: number;
  /** Server CPU time per point, in microseconds. */
  serverCpuUsPerPoint: number;
}

/** Options of an upsert run. */
export interface UpsertOptions {
  /** Points per request. */
  batchSize: number;
  /** Base points [0, count) are sent (default: all). */
  count?: number;
  /** Requests in flight (default 1). */
  concurrency?: number;
  /** Server process id for CPU accounting (NaN figures without it). */
  serverPid?: number;
}

/**
 * Upserts base points [0, count) in batches with `wait=true`. All request bodies are built
 * before the timer starts: the figure is Hektor's (and the transport's) cost, not the client's
 * JSON building.
 */
export async function upsertAll(client: RestClient, dataset: Dataset, options: UpsertOptions): Promise<IngestMeasurement> {
  const { batchSize } = options;
  const count = options.count ?? dataset.baseCount;
  const bodies: string[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(count, start + batchSize);
    const parts = new Array<string>(end - start);
    for (let i = start; i < end; i++) parts[i - start] = `{"id":${i},"vector":${JSON.stringify(rowArray(dataset.base, dataset.dim, i))}}`;
    bodies.push(`{"points":[${parts.join(',')}]}`);
  }
  const path = `/collections/${COLLECTION}/points?wait=true`;
  const latenciesMs: number[] = [];
  const serverCpuStartMs = processCpuMs(options.serverPid ?? -1);
  const startMs = nowMs();
  await runClosedLoop(options.concurrency ?? 1, bodies.length, async (b) => {
    const requestStartMs = nowMs();
    await sendOk(client, 'PUT', path, bodies[b]);
    latenciesMs.push(nowMs() - requestStartMs);
  });
  const seconds = (nowMs() - startMs) / 1000;
  return {
    points: count,
    pointsPerSecond: count / seconds,
    p50Ms: quantile(latenciesMs, 0.5),
    p99Ms: quantile(latenciesMs, 0.99),
    seconds,
    serverCpuUsPerPoint: ((processCpuMs(options.serverPid ?? -1) - serverCpuStartMs) * 1000) / count,
  };
}

/** A search hit as Hektor returns it. */
interface ScoredPoint {
  id: number | string;
  score: number;
}

/** Ids of a search reply; throws on anything but a 2xx with a `result` array. */
function hitIds(status: number, text: string, serverMs?: number[]): number[] {
  if (status !== 200) throw new Error(`search → ${status}: ${text.slice(0, 500)}`);
  const parsed = JSON.parse(text) as { result?: unknown; time?: unknown };
  if (!Array.isArray(parsed.result)) throw new Error(`search reply without a result array: ${text.slice(0, 200)}`);
  // The reply's `time` (Qdrant's field): the node's own seconds from the request's arrival to
  // the reply; absent from the bare HTTP ceiling's replies.
  if (serverMs !== undefined && typeof parsed.time === 'number') serverMs.push(parsed.time * 1000);
  return (parsed.result as ScoredPoint[]).map((hit) => Number(hit.id));
}

/** Requests used to warm the server (JIT, caches, sockets) before timing. */
const WARMUP_REQUESTS = 200;

/**
 * QPS, latency and recall@10 of `POST /points/search` at `ef` from `concurrency` clients that
 * each send their next query as soon as the previous reply is parsed (closed loop). The query's
 * JSON text is prepared in advance; the reply is parsed inside the timing. Whole passes over the
 * query set repeat until `minSeconds` have passed.
 */
export async function measureRestSearch(
  client: RestClient,
  dataset: Dataset,
  truth: GroundTruth,
  queryJson: readonly string[],
  ef: number,
  concurrency: number,
  minSeconds: number,
  serverPid: number,
): Promise<SearchMeasurement> {
  const path = SEARCH_PATH;
  const body = (q: number) => searchBody(queryJson[q]!, ef);
  await runClosedLoop(concurrency, Math.min(WARMUP_REQUESTS, dataset.queryCount), async (q) => {
    const reply = await client.send('POST', path, body(q));
    hitIds(reply.status, reply.text);
  });
  const firstPass = new Array<number[]>(dataset.queryCount);
  const latenciesMs: number[] = [];
  const serverMs: number[] = [];
  let timedMs = 0;
  let passes = 0;
  const serverCpuStartMs = processCpuMs(serverPid);
  const clientCpuStartMs = ownCpuMs();
  while (passes === 0 || timedMs < minSeconds * 1000) {
    const pass = passes;
    const passStartMs = nowMs();
    await runClosedLoop(concurrency, dataset.queryCount, async (q) => {
      const startMs = nowMs();
      const reply = await client.send('POST', path, body(q));
      const ids = hitIds(reply.status, reply.text, serverMs);
      latenciesMs.push(nowMs() - startMs);
      if (pass === 0) firstPass[q] = ids;
    });
    timedMs += nowMs() - passStartMs;
    passes++;
  }
  const serverCpuUsPerQuery = ((processCpuMs(serverPid) - serverCpuStartMs) * 1000) / latenciesMs.length;
  const clientCpuUsPerQuery = ((ownCpuMs() - clientCpuStartMs) * 1000) / latenciesMs.length;
  const serverTime = serverMs.length === 0 ? {} : { serverTimeP50Ms: quantile(serverMs, 0.5), serverTimeP99Ms: quantile(serverMs, 0.99) };
  return { ...summarisePasses(dataset, truth, latenciesMs, timedMs, firstPass), serverCpuUsPerQuery, clientCpuUsPerQuery, ...serverTime };
}

/** Runs task(0 … total−1) with `concurrency` loops pulling the next index from a shared cursor. */
export async function runClosedLoop(concurrency: number, total: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const loop = async () => {
    while (next < total) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, loop));
}

/** Requests per second of a trivial endpoint (`GET /readyz`) from one client: the HTTP floor. */
export async function measureFloor(client: RestClient, requests: number, serverPid: number): Promise<{ qps: number; p50Ms: number; serverCpuUsPerRequest: number; clientCpuUsPerRequest: number }> {
  const latenciesMs: number[] = [];
  const serverCpuStartMs = processCpuMs(serverPid);
  const clientCpuStartMs = ownCpuMs();
  const startMs = nowMs();
  for (let i = 0; i < requests; i++) {
    const t = nowMs();
    await client.send('GET', '/readyz');
    latenciesMs.push(nowMs() - t);
  }
  return {
    qps: requests / ((nowMs() - startMs) / 1000),
    p50Ms: quantile(latenciesMs, 0.5),
    serverCpuUsPerRequest: ((processCpuMs(serverPid) - serverCpuStartMs) * 1000) / requests,
    clientCpuUsPerRequest: ((ownCpuMs() - clientCpuStartMs) * 1000) / requests,
  };
}
