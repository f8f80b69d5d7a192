/**
 * Filtered-search bench: recall@10 and QPS of Hektor over REST with a payload filter that
 * matches 1%, 10% and 50% of the points, against the unfiltered search at the same ef in the same
 * run. The bar: recall@10 ≥ 0.95 at every selectivity, QPS reported for each.
 *
 *   npm run bench:filtered -- --dataset synthetic|fashion-mnist|all --size N --queries Q
 *     --quick --seconds S --ef 64 --clients 1
 *
 *   --dataset  default `synthetic` (cosine, 128-d); `fashion-mnist` is Euclid, 784-d
 *   --quick    20,000 points and 200 queries, 1 s per measurement (default 3 s)
 *   --ef       `params.hnsw_ef` of every search (default 64)
 *   --clients  concurrent closed-loop clients (default 1)
 *
 * Setup: one fresh Hektor node (bench/hektor-server.ts), the collection `bench` with the search
 * bench's graph parameters, an `integer` payload index on `bucket`, then every base point i
 * upserted with the payload `{"bucket": i % 100}` in batches of 500 (bodies built before the
 * timer). The filter at selectivity s is `{"must":[{"key":"bucket","range":{"lt": 100·s}}]}`,
 * which matches exactly s of the points.
 *
 * Each measurement sends 100 warm-up searches, then whole passes over the queries from
 * `--clients` closed-loop clients (the `undici` client of bench/rest-client.ts) until `--seconds`
 * have passed. Every search, the unfiltered reference included, asks for
 * `"with_payload":["bucket"]`, so that the filter is the only difference between the two; every
 * hit of a filtered search (warm-up included) is checked to have `bucket` < 100·s, by its payload
 * and by its id, and any hit that does not is a `violation` (the bench throws after printing the
 * line). `plan_paths` is the change of the node's `hektor_search_plans_total{path}` counters
 * (GET /metrics) over the measurement: which path the filter planner took, per shard search.
 *
 * Ground truth: the unfiltered reference uses the cached exact ground truth of the search bench
 * (bench/ground-truth.ts); each selectivity gets its own, computed by brute force
 * (bench/brute-force.ts, in worker threads as bench/ground-truth.ts does, `HEKTOR_BENCH_GT_WORKERS`,
 * default 2) over the matching base points only, not cached. Recall@10 is judged by
 * recallAt's rule: a returned id counts if its exact distance is within the 10th true distance
 * (ties count). A returned point outside the filter could pass that rule, but it would also be a
 * violation, which fails the run.
 *
 * Output: JSON lines on stdout (progress notes on stderr): one `phase: "build"` line per dataset,
 * one line per selectivity with the unfiltered reference as `baseline`, and one
 * `phase: "summary"` line per dataset with `all_recall_at_least_0_95`.
 */

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { flagBool, flagInt, flagNumber, parseFlags } from './args.js';
import { loadDatasets, rowArray, selectionFromFlags, type Dataset } from './datasets.js';
import { groundTruth, passFields, summarisePasses, type GroundTruth, type PassSummary } from './ground-truth.js';
import type { GroundTruthWorkerData } from './ground-truth-worker.js';
import { HektorServer } from './hektor-server.js';
import { COLLECTION, createCollection, runClosedLoop, vectorJson } from './hektor-rest.js';
import { createClient, sendOk, type RestClient } from './rest-client.js';
import { emit, note, nowMs, processCpuMs, round } from './stats.js';

/** Recall@10 every selectivity must reach. */
const RECALL_BAR = 0.95;
/** Neighbours judged. */
const K = 10;
/** Distinct values of the `bucket` payload field: point i has bucket i % BUCKETS. */
const BUCKETS = 100;
/** Shares of the points the filters match. */
const SELECTIVITIES = [0.01, 0.1, 0.5] as const;
/** Points per upsert request while loading the collection. */
const LOAD_BATCH_POINTS = 500;
/** Searches sent before each timed measurement. */
const WARMUP_REQUESTS = 100;
/** Engine name of the filtered searches in the JSON lines. */
const ENGINE = 'hektor-rest';
/** Engine name of the unfiltered reference. */
const BASELINE_ENGINE = 'hektor-rest-unfiltered';
/** The search endpoint. */
const SEARCH_PATH = `/collections/${COLLECTION}/points/search`;
/** One sample of the planner's counter in the Prometheus text format. */
const PLAN_METRIC = /^hektor_search_plans_total\{path="([^"]*)"\}\s+(\S+)\s*$/gm;

const flags = parseFlags(process.argv.slice(2));
const quick = flagBool(flags, 'quick');
const ef = flagInt(flags, 'ef', 64);
const clients = flagInt(flags, 'clients', 1);
const minSeconds = flagNumber(flags, 'seconds', quick ? 1 : 3);
const date = new Date().toISOString();

/** Figures of one measured search setting: the pass summary plus the server's side. */
interface Measurement extends PassSummary {
  serverCpuUsPerQuery: number;
  /** Filtered hits whose bucket is not below the threshold (0 for the unfiltered reference). */
  violations: number;
  /** Change of `hektor_search_plans_total` per path over the measurement. */
  planPaths: Record<string, number>;
}

/** A search hit with the payload keys asked for. */
interface Hit {
  id: number | string;
  score: number;
  payload?: { bucket?: unknown } | null;
}

/** The bucket of base point `i`. */
function bucketOf(i: number): number {
  return i % BUCKETS;
}

/** The `bucket` threshold (exclusive) of a selectivity: 0.1 → 10. */
function thresholdOf(selectivity: number): number {
  return Math.round(selectivity * BUCKETS);
}

/**
 * Exact top-K of every query among the base points with bucket < `threshold`, as a GroundTruth
 * whose ids are base indices (so that recallAt applies unchanged): brute force over a matrix of
 * the matching rows only, spread over worker threads like bench/ground-truth.ts.
 */
async function filteredTruth(dataset: Dataset, threshold: number): Promise<GroundTruth> {
  const { dim, baseCount, queryCount } = dataset;
  const rows: number[] = [];
  for (let i = 0; i < baseCount; i++) if (bucketOf(i) < threshold) rows.push(i);
  if (rows.length < K) throw new Error(`only ${rows.length} points have bucket < ${threshold}; recall@${K} needs at least ${K} (raise --size)`);
  const base = new SharedArrayBuffer(rows.length * dim * 4);
  const subset = new Float32Array(base);
  for (let r = 0; r < rows.length; r++) subset.set(dataset.base.subarray(rows[r]! * dim, (rows[r]! + 1) * dim), r * dim);
  const queries = new SharedArrayBuffer(dataset.queries.byteLength);
  new Float32Array(queries).set(dataset.queries);
  const ids = new SharedArrayBuffer(queryCount * K * 4);
  const distances = new SharedArrayBuffer(queryCount * K * 8);
  const workerCount = Math.max(1, Math.min(availableParallelism(), queryCount, Number(process.env.HEKTOR_BENCH_GT_WORKERS ?? 2)));
  const per = Math.ceil(queryCount / workerCount);
  const jobs: Promise<void>[] = [];
  for (let w = 0; w < workerCount; w++) {
    const data: GroundTruthWorkerData = {
      base, queries, ids, distances, dim, distance: dataset.distance, k: K,
      queryStart: Math.min(queryCount, w * per),
      queryEnd: Math.min(queryCount, (w + 1) * per),
    };
    const worker = new Worker(new URL('./ground-truth-worker.js', import.meta.url), { workerData: data });
    jobs.push(new Promise<void>((resolve, reject) => {
      worker.on('message', (message: { finished?: boolean }) => {
        if (message.finished === true) resolve();
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (code !== 0) reject(new Error(`ground-truth worker exited with code ${code}`));
      });
    }));
  }
  await Promise.all(jobs);
  // Subset row numbers → base indices.
  const out = new Int32Array(ids);
  for (let j = 0; j < out.length; j++) out[j] = rows[out[j]!]!;
  return { k: K, ids: out, distances: new Float64Array(distances) };
}

/** Base points [0, baseCount) with their bucket, upserted in batches; returns the seconds spent sending. */
async function upsertWithBuckets(client: RestClient, dataset: Dataset): Promise<number> {
  const bodies: string[] = [];
  for (let start = 0; start < dataset.baseCount; start += LOAD_BATCH_POINTS) {
    const end = Math.min(dataset.baseCount, start + LOAD_BATCH_POINTS);
    const parts = new Array<string>(end - start);
    for (let i = start; i < end; i++) {
      parts[i - start] = `{"id":${i},"vector":${JSON.stringify(rowArray(dataset.base, dataset.dim, i))},"payload":{"bucket":${bucketOf(i)}}}`;
    }
    bodies.push(`{"points":[${parts.join(',')}]}`);
  }
  const path = `/collections/${COLLECTION}/points?wait=true`;
  const startMs = nowMs();
  for (const body of bodies) await sendOk(client, 'PUT', path, body);
  return (nowMs() - startMs) / 1000;
}

/** The node's `hektor_search_plans_total` counters by path. */
async function planCounters(client: RestClient): Promise<Map<string, number>> {
  const reply = await client.send('GET', '/metrics');
  if (reply.status !== 200) throw new Error(`GET /metrics → ${reply.status}: ${reply.text.slice(0, 300)}`);
  const out = new Map<string, number>();
  for (const match of reply.text.matchAll(PLAN_METRIC)) out.set(match[1]!, Number(match[2]));
  return out;
}

/** after − before per path, leaving out paths that did not move. */
function counterDiff(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [path, value] of [...after].sort(([a], [b]) => a.localeCompare(b))) {
    const delta = value - (before.get(path) ?? 0);
    if (delta !== 0) out[path] = delta;
  }
  return out;
}

/**
 * Ids of a search reply, counting into `violations.count` the hits whose bucket (by payload and
 * by id) is not below `threshold` (none checked when `threshold` is undefined).
 */
function checkedIds(status: number, text: string, threshold: number | undefined, violations: { count: number }): number[] {
  if (status !== 200) throw new Error(`search → ${status}: ${text.slice(0, 500)}`);
  const parsed = JSON.parse(text) as { result?: unknown };
  if (!Array.isArray(parsed.result)) throw new Error(`search reply without a result array: ${text.slice(0, 200)}`);
  const hits = parsed.result as Hit[];
  const ids = hits.map((hit) => Number(hit.id));
  if (threshold !== undefined) {
    for (let i = 0; i < hits.length; i++) {
      const bucket = hits[i]!.payload?.bucket;
      const id = ids[i]!;
      if (typeof bucket !== 'number' || bucket >= threshold || !Number.isInteger(id) || bucketOf(id) >= threshold) violations.count++;
    }
  }
  return ids;
}

/**
 * QPS, latency, recall@10, server CPU and filter violations of `POST /points/search` at `ef`
 * with `filterJson` (none: the unfiltered reference), from `clients` closed-loop clients:
 * warm-up, then whole passes over the queries until `minSeconds` have passed. Recall is taken
 * from the first timed pass.
 */
async function measure(
  client: RestClient,
  dataset: Dataset,
  truth: GroundTruth,
  queryJson: readonly string[],
  threshold: number | undefined,
  serverPid: number,
): Promise<Measurement> {
  const filterPart = threshold === undefined ? '' : `,"filter":{"must":[{"key":"bucket","range":{"lt":${threshold}}}]}`;
  const body = (q: number) => `{"vector":${queryJson[q]!},"limit":${K}${filterPart},"params":{"hnsw_ef":${ef}},"with_payload":["bucket"]}`;
  const violations = { count: 0 };
  const plansBefore = await planCounters(client);
  await runClosedLoop(clients, WARMUP_REQUESTS, async (i) => {
    const reply = await client.send('POST', SEARCH_PATH, body(i % dataset.queryCount));
    checkedIds(reply.status, reply.text, threshold, violations);
  });
  const firstPass = new Array<number[]>(dataset.queryCount);
  const latenciesMs: number[] = [];
  let timedMs = 0;
  let passes = 0;
  const serverCpuStartMs = processCpuMs(serverPid);
  while (passes === 0 || timedMs < minSeconds * 1000) {
    const pass = passes;
    const passStartMs = nowMs();
    await runClosedLoop(clients, dataset.queryCount, async (q) => {
      const startMs = nowMs();
      const reply = await client.send('POST', SEARCH_PATH, body(q));
      const ids = checkedIds(reply.status, reply.text, threshold, violations);
      latenciesMs.push(nowMs() - startMs);
      if (pass === 0) firstPass[q] = ids;
    });
    timedMs += nowMs() - passStartMs;
    passes++;
  }
  const serverCpuUsPerQuery = ((processCpuMs(serverPid) - serverCpuStartMs) * 1000) / latenciesMs.length;
  const planPaths = counterDiff(plansBefore, await planCounters(client));
  return {
    ...summarisePasses(dataset, truth, latenciesMs, timedMs, firstPass),
    serverCpuUsPerQuery,
    violations: violations.count,
    planPaths,
  };
}

async function benchDataset(dataset: Dataset): Promise<void> {
  const baselineTruth = await groundTruth(dataset);
  const truths = new Map<number, GroundTruth>();
  for (const s of SELECTIVITIES) {
    const startMs = nowMs();
    truths.set(s, await filteredTruth(dataset, thresholdOf(s)));
    note(`${dataset.name}: exact top-${K} at selectivity ${s} in ${((nowMs() - startMs) / 1000).toFixed(1)} s`);
  }
  const queryJson = vectorJson(dataset.queries, dataset.dim, dataset.queryCount);
  const server = await HektorServer.start();
  const client = createClient('undici', server.url, clients);
  try {
    await createCollection(client, dataset);
    await sendOk(client, 'PUT', `/collections/${COLLECTION}/index`, JSON.stringify({ field_name: 'bucket', field_schema: 'integer' }));
    note(`${dataset.name}: upserting ${dataset.baseCount} points with a bucket payload in batches of ${LOAD_BATCH_POINTS}`);
    const seconds = await upsertWithBuckets(client, dataset);
    emit({ bench: 'filtered', phase: 'build', dataset: dataset.name, engine: ENGINE, points: dataset.baseCount, batch_points: LOAD_BATCH_POINTS, payload_index: 'bucket:integer', seconds: round(seconds, 2), points_per_s: round(dataset.baseCount / seconds, 1), date });

    note(`${dataset.name}: unfiltered reference at ef ${ef}`);
    // A first, discarded pass warms the node (JIT, caches) right after the load: measured cold,
    // the reference came out ~2x slower than the filtered runs that followed it on the same path.
    await measure(client, dataset, baselineTruth, queryJson, undefined, server.pid);
    const baseline = await measure(client, dataset, baselineTruth, queryJson, undefined, server.pid);
    const baselineSummary = { engine: BASELINE_ENGINE, qps: round(baseline.qps, 1), recall_at_10: round(baseline.recallAt10, 4) };
    const results: { selectivity: number; m: Measurement }[] = [];
    for (const s of SELECTIVITIES) {
      note(`${dataset.name}: selectivity ${s} (bucket < ${thresholdOf(s)}) at ef ${ef}`);
      const m = await measure(client, dataset, truths.get(s)!, queryJson, thresholdOf(s), server.pid);
      results.push({ selectivity: s, m });
      emit({
        bench: 'filtered',
        dataset: dataset.name,
        engine: ENGINE,
        selectivity: s,
        ef,
        clients,
        ...passFields(m),
        server_cpu_us_per_query: round(m.serverCpuUsPerQuery, 1),
        violations: m.violations,
        plan_paths: m.planPaths,
        baseline: baselineSummary,
        date,
      });
      if (m.violations > 0) throw new Error(`${m.violations} hit(s) of the search at selectivity ${s} do not match the filter bucket < ${thresholdOf(s)}`);
    }
    emit({
      bench: 'filtered',
      phase: 'summary',
      dataset: dataset.name,
      engine: ENGINE,
      ef,
      clients,
      bar: `recall@${K} >= ${RECALL_BAR} at selectivity ${SELECTIVITIES.join(', ')}`,
      results: results.map(({ selectivity, m }) => ({
        selectivity,
        qps: round(m.qps, 1),
        recall_at_10: round(m.recallAt10, 4),
        qps_ratio_to_unfiltered: round(m.qps / baseline.qps, 3),
        plan_paths: m.planPaths,
      })),
      baseline: { ...baselineSummary, p50_ms: round(baseline.p50Ms, 4), p99_ms: round(baseline.p99Ms, 4), server_cpu_us_per_query: round(baseline.serverCpuUsPerQuery, 1), plan_paths: baseline.planPaths },
      all_recall_at_least_0_95: results.every(({ m }) => m.recallAt10 >= RECALL_BAR),
      date,
    });
  } finally {
    client.close();
    await server.stop();
  }
}

const datasets = loadDatasets(selectionFromFlags(flags, 'synthetic'));
if (datasets.length === 0) {
  note('no dataset to run');
  process.exitCode = 1;
}
for (const dataset of datasets) await benchDataset(dataset);
