/**
 * Exact ground truth of a dataset, computed once by brute force (spread over worker threads) and
 * cached under `bench/.cache/` by the dataset's cache key; plus recall@k against it.
 */

import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { exactDistance, type Dataset } from './datasets.js';
import type { GroundTruthWorkerData } from './ground-truth-worker.js';
import { note, nowMs, quantile, round } from './stats.js';

/** Neighbours stored per query: enough for recall@10 and for recall@100 later. */
export const GROUND_TRUTH_K = 100;

/** The exact nearest neighbours of every query. */
export interface GroundTruth {
  /** Neighbours per query. */
  readonly k: number;
  /** `k` base indices per query, nearest first. */
  readonly ids: Int32Array;
  /** The matching exact distances (see `exactDistance`). */
  readonly distances: Float64Array;
}

/** Directory of cached ground truths (gitignored), at the repository root whether run from bench/ or dist/bench/. */
export const CACHE_DIR = process.env.HEKTOR_BENCH_CACHE_DIR ?? fileURLToPath(new URL('../../bench/.cache', import.meta.url));

const CACHE_MAGIC = 0x48475431; // "HGT1"

/** The cached ground truth of `dataset`, computing and caching it first if needed. */
export async function groundTruth(dataset: Dataset, k = Math.min(GROUND_TRUTH_K, dataset.baseCount)): Promise<GroundTruth> {
  const path = `${CACHE_DIR}/${dataset.cacheKey}-k${k}.gt`;
  const cached = readCache(path, dataset.queryCount, k);
  if (cached) return cached;
  const workers = Math.max(1, Math.min(availableParallelism(), Number(process.env.HEKTOR_BENCH_GT_WORKERS ?? 2)));
  note(`computing exact ground truth of ${dataset.cacheKey} (k=${k}) with ${workers} worker(s); cached at ${path}`);
  const startMs = nowMs();
  const truth = await computeParallel(dataset, k, workers);
  note(`ground truth done in ${((nowMs() - startMs) / 1000).toFixed(1)} s`);
  writeCache(path, truth, dataset.queryCount);
  return truth;
}

function readCache(path: string, queryCount: number, k: number): GroundTruth | undefined {
  if (!existsSync(path)) return undefined;
  const bytes = readFileSync(path);
  const header = new Int32Array(bytes.buffer, bytes.byteOffset, 4);
  const cachedCount = header[2]!;
  if (header[0] !== CACHE_MAGIC || header[1] !== k || bytes.length !== 16 + cachedCount * k * 12) {
    note(`ignoring a damaged cache file ${path}`);
    return undefined;
  }
  if (cachedCount < queryCount) {
    note(`cache ${path} holds ${cachedCount} queries, ${queryCount} wanted: recomputing`);
    return undefined;
  }
  // Queries are prefixes of one stream, so the first `queryCount` rows are this query set's truth.
  // Copying out of the Buffer's pool keeps the typed arrays aligned.
  const copy = new Uint8Array(bytes).buffer;
  return {
    k,
    ids: new Int32Array(copy.slice(16, 16 + queryCount * k * 4)),
    distances: new Float64Array(copy.slice(16 + cachedCount * k * 4, 16 + cachedCount * k * 4 + queryCount * k * 8)),
  };
}

function writeCache(path: string, truth: GroundTruth, queryCount: number): void {
  mkdirSync(CACHE_DIR, { recursive: true });
  const header = new Int32Array([CACHE_MAGIC, truth.k, queryCount, 0]);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, Buffer.concat([Buffer.from(header.buffer), Buffer.from(truth.ids.buffer, truth.ids.byteOffset, truth.ids.byteLength), Buffer.from(truth.distances.buffer, truth.distances.byteOffset, truth.distances.byteLength)]));
  renameSync(temp, path);
}

function shared(source: Float32Array): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(source.byteLength);
  new Float32Array(buffer).set(source);
  return buffer;
}

async function computeParallel(dataset: Dataset, k: number, workerCount: number): Promise<GroundTruth> {
  const ids = new SharedArrayBuffer(dataset.queryCount * k * 4);
  const distances = new SharedArrayBuffer(dataset.queryCount * k * 8);
  const base = shared(dataset.base);
  const queries = shared(dataset.queries);
  const per = Math.ceil(dataset.queryCount / workerCount);
  const doneByWorker = new Array<number>(workerCount).fill(0);
  let lastNoteMs = nowMs();
  const jobs: Promise<void>[] = [];
  for (let w = 0; w < workerCount; w++) {
    const data: GroundTruthWorkerData = {
      base, queries, ids, distances, dim: dataset.dim, distance: dataset.distance, k,
      queryStart: Math.min(dataset.queryCount, w * per),
      queryEnd: Math.min(dataset.queryCount, (w + 1) * per),
    };
    const worker = new Worker(new URL('./ground-truth-worker.js', import.meta.url), { workerData: data });
    jobs.push(new Promise<void>((resolve, reject) => {
      worker.on('message', (message: { done?: number; finished?: boolean }) => {
        if (message.done !== undefined) doneByWorker[w] = message.done;
        if (message.finished === true) resolve();
        if (nowMs() - lastNoteMs > 10_000) {
          lastNoteMs = nowMs();
          note(`ground truth: ${doneByWorker.reduce((a, b) => a + b, 0)} / ${dataset.queryCount} queries`);
        }
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (code !== 0) reject(new Error(`ground-truth worker exited with code ${code}`));
      });
    }));
  }
  await Promise.all(jobs);
  return { k, ids: new Int32Array(ids), distances: new Float64Array(distances) };
}

/** Relative slack when comparing distances, so that float rounding does not turn a tie into a miss. */
const TIE_TOLERANCE = 1e-6;

/**
 * Recall@k of one query's result: the share of the k true neighbours found, where a returned id
 * counts if its exact distance is within the k-th true distance (ann-benchmarks' rule, which
 * treats exact ties, e.g. duplicate images, as hits). Duplicate returned ids count once.
 */
export function recallAt(dataset: Dataset, truth: GroundTruth, queryIndex: number, returned: ArrayLike<number>, k: number): number {
  if (k > truth.k) throw new Error(`recall@${k} needs a ground truth of at least ${k}, have ${truth.k}`);
  const kth = truth.distances[queryIndex * truth.k + k - 1]!;
  const threshold = kth + TIE_TOLERANCE * Math.max(1, Math.abs(kth));
  const seen = new Set<number>();
  let hits = 0;
  for (let i = 0; i < Math.min(k, returned.length); i++) {
    const id = returned[i]!;
    if (seen.has(id) || !Number.isInteger(id) || id < 0 || id >= dataset.baseCount) continue;
    seen.add(id);
    if (exactDistance(dataset, queryIndex, id) <= threshold) hits++;
  }
  return hits / k;
}

/** What every search measurement reports: throughput, latency and recall@10. */
export interface PassSummary {
  /** Queries per second over the timed passes. */
  qps: number;
  /** Median latency, in milliseconds. */
  p50Ms: number;
  /** 99th-percentile latency, in milliseconds. */
  p99Ms: number;
  /** Mean recall@10 of the first pass. */
  recallAt10: number;
  /** Queries timed. */
  queriesTimed: number;
}

/**
 * Summarises timed passes over the query set: QPS over `timedMs`, latency quantiles, and the mean
 * recall@10 of the ids each query returned in the first pass (`firstPass[q]`, base indices).
 */
export function summarisePasses(dataset: Dataset, truth: GroundTruth, latenciesMs: number[], timedMs: number, firstPass: readonly ArrayLike<number>[]): PassSummary {
  let recallSum = 0;
  for (let q = 0; q < dataset.queryCount; q++) recallSum += recallAt(dataset, truth, q, firstPass[q] ?? [], 10);
  return {
    qps: latenciesMs.length / (timedMs / 1000),
    p50Ms: quantile(latenciesMs, 0.5),
    p99Ms: quantile(latenciesMs, 0.99),
    recallAt10: recallSum / dataset.queryCount,
    queriesTimed: latenciesMs.length,
  };
}

/** The JSON-line fields of a pass summary, rounded the same way in every bench. */
export function passFields(m: PassSummary): { qps: number; p50_ms: number; p99_ms: number; recall_at_10: number; queries_timed: number } {
  return { qps: round(m.qps, 1), p50_ms: round(m.p50Ms, 4), p99_ms: round(m.p99Ms, 4), recall_at_10: round(m.recallAt10, 4), queries_timed: m.queriesTimed };
}
