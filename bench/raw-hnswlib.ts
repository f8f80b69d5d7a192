/**
 * The baseline: hnswlib-node (the library under Hektor's HNSW index) driven in-process, one query
 * per call on one thread, with the same graph parameters as Hektor.
 */

import hnswlib from 'hnswlib-node';
import type { HierarchicalNSW as NativeHnsw } from 'hnswlib-node';
import { rowArray, type Dataset } from './datasets.js';
import { summarisePasses, type GroundTruth } from './ground-truth.js';
import { nowMs, ownCpuMs } from './stats.js';

const { HierarchicalNSW } = hnswlib;

/** Graph parameters shared by the baseline and the Hektor collection (Hektor's defaults). */
export const HNSW_PARAMS = { m: 16, efConstruct: 100, seed: 100 } as const;

/** Name of the baseline engine in the JSON lines. */
export const RAW_ENGINE = 'hnswlib-node-inprocess';

/** A built baseline index with its build rate. */
export interface RawBuild {
  /** The native index. */
  index: NativeHnsw;
  /** Wall time of the whole build, in seconds. */
  buildSeconds: number;
  /** Points added per second over the whole build. */
  pointsPerSecond: number;
  /** Elapsed seconds after the first `count` points, for each requested checkpoint. */
  checkpoints: Map<number, number>;
  /** CPU time per added point over the whole build, in microseconds. */
  cpuUsPerPoint: number;
}

/**
 * Builds the baseline index over the first `count` base points (all by default). The
 * Float32Array → number[] conversion that hnswlib-node requires is inside the timing, since
 * Hektor pays an equivalent conversion on its insert path.
 */
export function buildRaw(dataset: Dataset, options: { count?: number; checkpoints?: readonly number[] } = {}): RawBuild {
  const count = options.count ?? dataset.baseCount;
  const index = new HierarchicalNSW(dataset.distance === 'Cosine' ? 'cosine' : 'l2', dataset.dim);
  index.initIndex(count, HNSW_PARAMS.m, HNSW_PARAMS.efConstruct, HNSW_PARAMS.seed);
  const timed = timeBuild(count, options.checkpoints ?? [], (i) => index.addPoint(rowArray(dataset.base, dataset.dim, i), i));
  return { index, ...timed };
}

/** Timing of a point-by-point build. */
export interface TimedBuild {
  /** Wall time of the whole build, in seconds. */
  buildSeconds: number;
  /** Points added per second over the whole build. */
  pointsPerSecond: number;
  /** Elapsed seconds after the first `count` points, for each requested checkpoint. */
  checkpoints: Map<number, number>;
  /** CPU time per added point over the whole build, in microseconds. */
  cpuUsPerPoint: number;
}

/** Calls `add(i)` for i in [0, count) on this thread and times it, with checkpoints. */
export function timeBuild(count: number, checkpointCounts: readonly number[], add: (i: number) => void): TimedBuild {
  const wanted = new Set(checkpointCounts);
  const checkpoints = new Map<number, number>();
  const cpuStartMs = ownCpuMs();
  const startMs = nowMs();
  for (let i = 0; i < count; i++) {
    add(i);
    if (wanted.has(i + 1)) checkpoints.set(i + 1, (nowMs() - startMs) / 1000);
  }
  const buildSeconds = (nowMs() - startMs) / 1000;
  return { buildSeconds, pointsPerSecond: count / buildSeconds, checkpoints, cpuUsPerPoint: ((ownCpuMs() - cpuStartMs) * 1000) / count };
}

/** Throughput, latency and recall of one search configuration. */
export interface SearchMeasurement {
  /** Queries answered per second over the timed passes. */
  qps: number;
  /** Median latency of one query, in milliseconds. */
  p50Ms: number;
  /** 99th-percentile latency, in milliseconds. */
  p99Ms: number;
  /** Mean recall@10 over the query set (first pass). */
  recallAt10: number;
  /** Queries timed (whole passes over the query set). */
  queriesTimed: number;
  /** CPU time of the serving side per query, in microseconds (the server process for REST). */
  serverCpuUsPerQuery: number;
  /** CPU time of the calling process per query, in microseconds (equal to the above in-process). */
  clientCpuUsPerQuery: number;
  /**
   * Median and 99th percentile of the server's own time per request (a Hektor reply's `time`:
   * from the request's arrival to its reply), in milliseconds; absent where replies carry none.
   * Against p50Ms / p99Ms it tells the node's share of a round trip from the transport's.
   */
  serverTimeP50Ms?: number;
  serverTimeP99Ms?: number;
}

/** Number of queries run before timing starts, so that the JIT and caches are warm. */
const WARMUP_QUERIES = 200;

/**
 * Single-thread QPS of `searchKnn(query, 10)` at `ef`. The conversion of each query to number[]
 * is inside the timed loop: Hektor has to build the same array for hnswlib on every search.
 */
export function measureRawSearch(dataset: Dataset, truth: GroundTruth, index: NativeHnsw, ef: number, minSeconds: number): SearchMeasurement {
  const { dim, queries } = dataset;
  index.setEf(ef);
  return measureInProcess(dataset, truth, (q) => index.searchKnn(rowArray(queries, dim, q), 10).neighbors, minSeconds);
}

/**
 * Single-thread QPS, latency and recall@10 of an in-process search function that returns the
 * base indices of its hits. Whole passes over the query set repeat until `minSeconds` have
 * passed; the ids of the first pass are graded after the timing.
 */
export function measureInProcess(dataset: Dataset, truth: GroundTruth, search: (queryIndex: number) => ArrayLike<number>, minSeconds: number): SearchMeasurement {
  const { queryCount } = dataset;
  for (let q = 0; q < Math.min(WARMUP_QUERIES, queryCount); q++) search(q);
  const firstPass: ArrayLike<number>[] = [];
  const latenciesMs: number[] = [];
  let timedMs = 0;
  let passes = 0;
  const cpuStartMs = ownCpuMs();
  while (passes === 0 || timedMs < minSeconds * 1000) {
    const passStartMs = nowMs();
    for (let q = 0; q < queryCount; q++) {
      const startMs = nowMs();
      const ids = search(q);
      latenciesMs.push(nowMs() - startMs);
      // Keeping the ids is cheap; grading them happens after the timing.
      if (passes === 0) firstPass.push(ids);
    }
    timedMs += nowMs() - passStartMs;
    passes++;
  }
  const cpuUsPerQuery = ((ownCpuMs() - cpuStartMs) * 1000) / latenciesMs.length;
  return { ...summarisePasses(dataset, truth, latenciesMs, timedMs, firstPass), serverCpuUsPerQuery: cpuUsPerQuery, clientCpuUsPerQuery: cpuUsPerQuery };
}
