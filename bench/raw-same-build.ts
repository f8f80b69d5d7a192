/**
 * A second raw baseline: the same hnswlib that hnswlib-node wraps, compiled as Hektor compiles it
 * (`-march=native`, see scripts/build-native.mjs) and called through Hektor's own binding,
 * in-process, one query per call on one thread — on the identical graph, loaded from the file the
 * hnswlib-node baseline writes. hnswlib-node builds with the compiler's default target (SSE
 * kernels), so this baseline is the faster of the two where the CPU has AVX; Hektor's REST figures
 * are judged against both, so that the bar is not met by a compiler flag alone.
 */

import type { HierarchicalNSW } from 'hnswlib-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalize } from '../src/index/distance.js';
import { NativeHnsw, type NativeHnswGraph } from '../src/index/native-hnsw.js';
import type { Dataset } from './datasets.js';
import type { GroundTruth } from './ground-truth.js';
import { HNSW_PARAMS, measureInProcess, timeBuild, type SearchMeasurement, type TimedBuild } from './raw-hnswlib.js';

/** Name of this baseline in the JSON lines. */
export const SAME_BUILD_ENGINE = 'hnswlib-hektor-build-inprocess';

/** Loads the graph of the hnswlib-node baseline `raw` into Hektor's binding. */
export function loadSameBuild(raw: HierarchicalNSW, dataset: Dataset): NativeHnswGraph {
  const dir = mkdtempSync(join(tmpdir(), 'hektor-bench-graph-'));
  try {
    const file = join(dir, 'raw.hnsw');
    raw.writeIndexSync(file);
    // hnswlib-node's 'cosine' space is the inner-product space over normalised vectors.
    const graph = new NativeHnsw(dataset.distance === 'Cosine' ? 'ip' : 'l2', dataset.dim);
    graph.read(file);
    return graph;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Single-thread QPS of `searchSync(query, 10, ef)` on the loaded graph; Cosine queries are
 * normalised inside the timing, as hnswlib-node does for its 'cosine' space.
 */
export function measureSameBuild(dataset: Dataset, truth: GroundTruth, graph: NativeHnswGraph, ef: number, minSeconds: number): SearchMeasurement {
  const { dim, queries } = dataset;
  const cosine = dataset.distance === 'Cosine';
  return measureInProcess(
    dataset,
    truth,
    (q) => {
      const row = queries.subarray(q * dim, (q + 1) * dim);
      return graph.searchSync(cosine ? normalize(row) : row, 10, ef).labels;
    },
    minSeconds,
  );
}

/**
 * Builds a graph over the first `count` base points (all by default) one `add` at a time on this
 * thread, with the parameters of the hnswlib-node baseline: the single-thread build rate of the
 * same hnswlib compiled as Hektor compiles it. Cosine vectors are normalised inside the timing,
 * as hnswlib-node does for its 'cosine' space. The graph is closed before returning.
 */
export function buildSameBuild(dataset: Dataset, options: { count?: number; checkpoints?: readonly number[] } = {}): TimedBuild {
  const count = options.count ?? dataset.baseCount;
  const { dim, base } = dataset;
  const cosine = dataset.distance === 'Cosine';
  const graph = new NativeHnsw(cosine ? 'ip' : 'l2', dim);
  graph.init(count, HNSW_PARAMS.m, HNSW_PARAMS.efConstruct, HNSW_PARAMS.seed);
  const timed = timeBuild(count, options.checkpoints ?? [], (i) => {
    const row = base.subarray(i * dim, (i + 1) * dim);
    graph.add(cosine ? normalize(row) : row, i);
  });
  graph.close();
  return timed;
}
