/** Worker thread of the ground-truth computation: one contiguous range of queries. */

import { parentPort, workerData } from 'node:worker_threads';
import { bruteForce } from './brute-force.js';
import type { BenchDistance } from './datasets.js';

/** What the parent passes in `workerData`: shared buffers and the query range. */
export interface GroundTruthWorkerData {
  /** Base matrix (SharedArrayBuffer of float32). */
  base: SharedArrayBuffer;
  /** Query matrix (SharedArrayBuffer of float32). */
  queries: SharedArrayBuffer;
  /** Output ids (SharedArrayBuffer of int32, k per query). */
  ids: SharedArrayBuffer;
  /** Output distances (SharedArrayBuffer of float64, k per query). */
  distances: SharedArrayBuffer;
  /** Dimension. */
  dim: number;
  /** Distance function. */
  distance: BenchDistance;
  /** Neighbours per query. */
  k: number;
  /** First query. */
  queryStart: number;
  /** One past the last query. */
  queryEnd: number;
}

const data = workerData as GroundTruthWorkerData;
const port = parentPort!;
bruteForce({
  base: new Float32Array(data.base),
  queries: new Float32Array(data.queries),
  dim: data.dim,
  distance: data.distance,
  k: data.k,
  queryStart: data.queryStart,
  queryEnd: data.queryEnd,
  ids: new Int32Array(data.ids),
  distances: new Float64Array(data.distances),
  progress: (done) => port.postMessage({ done }),
});
port.postMessage({ finished: true });
