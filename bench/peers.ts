/**
 * What the side-by-side peer benches (bench/peer-pgvector.ts, bench/peer-chroma.ts) share: timing
 * a peer's client one query at a time, and the JSON line of one measured ef_search.
 */

import type { Dataset } from './datasets.js';
import { passFields, summarisePasses, type GroundTruth, type PassSummary } from './ground-truth.js';
import { emit, nowMs } from './stats.js';

/** QPS, latency and recall@10 of a sequential client of another engine (no CPU split). */
export type SequentialSearchMeasurement = PassSummary;

/**
 * `measureInProcess` for an asynchronous search (a peer database's client): `warmup` queries
 * first, then one query in flight at a time, whole passes over the query set until `minSeconds`
 * have passed; the base indices returned by the first pass are graded after the timing.
 */
export async function measureSequential(
  dataset: Dataset,
  truth: GroundTruth,
  search: (queryIndex: number) => Promise<ArrayLike<number>>,
  minSeconds: number,
  warmup: number,
): Promise<SequentialSearchMeasurement> {
  const { queryCount } = dataset;
  for (let q = 0; q < Math.min(warmup, queryCount); q++) await search(q);
  const firstPass: ArrayLike<number>[] = [];
  const latenciesMs: number[] = [];
  let timedMs = 0;
  let passes = 0;
  while (passes === 0 || timedMs < minSeconds * 1000) {
    const passStartMs = nowMs();
    for (let q = 0; q < queryCount; q++) {
      const startMs = nowMs();
      const ids = await search(q);
      latenciesMs.push(nowMs() - startMs);
      if (passes === 0) firstPass.push(ids);
    }
    timedMs += nowMs() - passStartMs;
    passes++;
  }
  return summarisePasses(dataset, truth, latenciesMs, timedMs, firstPass);
}

/** Emits the JSON line of one peer measurement at one `ef_search`. */
export function emitPeerSearch(peer: string, dataset: Dataset, efSearch: number, m: SequentialSearchMeasurement, date: string): void {
  emit({
    bench: 'peer',
    peer,
    dataset: dataset.name,
    ef_search: efSearch,
    clients: 1,
    ...passFields(m),
    date,
  });
}
