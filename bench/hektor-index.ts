/**
 * A diagnostic middle layer: Hektor's own HnswIndex (the wrapper around hnswlib-node that a shard
 * uses) driven in-process. Raw library → Hektor index → Hektor over REST splits the REST gap into
 * the index wrapper's share and the server's (HTTP, JSON, validation, shard) share.
 */

import { HnswIndex } from '../src/index/hnsw-index.js';
import type { Dataset } from './datasets.js';
import type { GroundTruth } from './ground-truth.js';
import { HNSW_PARAMS, measureInProcess, type SearchMeasurement } from './raw-hnswlib.js';
import { nowMs } from './stats.js';

/** Name of this layer in the JSON lines. */
export const INDEX_ENGINE = 'hektor-index-inprocess';

/** Builds a HnswIndex over the base set (slot = base index); returns it with its build rate. */
export function buildHektorIndex(dataset: Dataset): { index: HnswIndex; pointsPerSecond: number } {
  const index = new HnswIndex({ dim: dataset.dim, distance: dataset.distance, m: HNSW_PARAMS.m, efConstruct: HNSW_PARAMS.efConstruct, seed: HNSW_PARAMS.seed });
  const startMs = nowMs();
  for (let i = 0; i < dataset.baseCount; i++) index.upsert(i, dataset.base.subarray(i * dataset.dim, (i + 1) * dataset.dim));
  return { index, pointsPerSecond: dataset.baseCount / ((nowMs() - startMs) / 1000) };
}

/** Single-thread search of the HnswIndex at `ef` (queries passed as Float32Array views). */
export function measureHektorIndex(dataset: Dataset, truth: GroundTruth, index: HnswIndex, ef: number, minSeconds: number): SearchMeasurement {
  const { dim, queries } = dataset;
  return measureInProcess(dataset, truth, (q) => index.search(queries.subarray(q * dim, (q + 1) * dim), 10, { ef }).map((hit) => hit.slot), minSeconds);
}
