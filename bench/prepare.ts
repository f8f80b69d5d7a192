/**
 * Fetches the datasets (installing Fashion-MNIST if needed) and computes their cached ground
 * truth ahead of a bench run: `node dist/bench/prepare.js --dataset all [--size N --queries Q]`.
 */

import { parseFlags } from './args.js';
import { loadDatasets, selectionFromFlags } from './datasets.js';
import { groundTruth } from './ground-truth.js';
import { emit, nowMs } from './stats.js';

const flags = parseFlags(process.argv.slice(2));
const datasets = loadDatasets(selectionFromFlags(flags, 'all'));
for (const dataset of datasets) {
  const startMs = nowMs();
  const truth = await groundTruth(dataset);
  emit({ bench: 'prepare', dataset: dataset.name, queries: dataset.queryCount, ground_truth_k: truth.k, seconds: Math.round(nowMs() - startMs) / 1000 });
}
