/**
 * Batch search over REST (`POST /points/search/batch`, many queries per request) against the raw
 * library's single-thread in-process rate, measured in the same run. Batching amortises the
 * per-request HTTP cost that bounds single-query REST throughput on this machine; this is a
 * separate figure from the issue's single-query bar, not a substitute for it.
 *
 * Run: `node dist/bench/search-batch.js [--dataset synthetic|fashion-mnist] [--quick] [--efs 32,64] [--batch 100]`
 */

import { flagInt, flagIntList, flagString, parseFlags } from './args.js';
import { loadDatasets, selectionFromFlags, type Dataset } from './datasets.js';
import { groundTruth, recallAt, type GroundTruth } from './ground-truth.js';
import { COLLECTION, createCollection, upsertAll, vectorJson } from './hektor-rest.js';
import { HektorServer } from './hektor-server.js';
import { RAW_ENGINE, buildRaw, measureRawSearch } from './raw-hnswlib.js';
import { createClient, sendOk, type RestClient } from './rest-client.js';
import { emit, note, nowMs, round } from './stats.js';

interface BatchMeasurement {
  qps: number;
  recallAt10: number;
  requestP50Ms: number;
}

async function measureBatch(client: RestClient, dataset: Dataset, truth: GroundTruth, ef: number, batch: number, minSeconds: number): Promise<BatchMeasurement> {
  const rows = vectorJson(dataset.queries, dataset.dim, dataset.queryCount);
  const bodies: { first: number; count: number; body: string }[] = [];
  for (let first = 0; first < rows.length; first += batch) {
    const part = rows.slice(first, first + batch);
    bodies.push({ first, count: part.length, body: `{"searches":[${part.map((v) => `{"vector":${v},"limit":10,"params":{"hnsw_ef":${ef}}}`).join(',')}]}` });
  }
  const path = `/collections/${COLLECTION}/points/search/batch`;
  let recallSum = 0;
  for (const b of bodies) {
    const result = (await sendOk(client, 'POST', path, b.body)) as { id: number }[][];
    result.forEach((hits, i) => (recallSum += recallAt(dataset, truth, b.first + i, hits.map((h) => h.id), 10)));
  }
  const latencies: number[] = [];
  let queries = 0;
  const start = nowMs();
  while (nowMs() - start < minSeconds * 1000 || queries === 0) {
    for (const b of bodies) {
      const t = nowMs();
      await sendOk(client, 'POST', path, b.body);
      latencies.push(nowMs() - t);
      queries += b.count;
    }
  }
  latencies.sort((a, b) => a - b);
  return { qps: queries / ((nowMs() - start) / 1000), recallAt10: recallSum / dataset.queryCount, requestP50Ms: latencies[Math.floor(latencies.length / 2)] ?? 0 };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const efs = flagIntList(flags, 'efs', [32, 64]);
  const batch = flagInt(flags, 'batch', 100);
  const seconds = flagInt(flags, 'seconds', 3);
  for (const dataset of loadDatasets(selectionFromFlags(flags, 'synthetic'))) {
    const truth = await groundTruth(dataset);
    note(`building the raw baseline for ${dataset.name}`);
    const raw = buildRaw(dataset);
    const profileDir = flagString(flags, 'server-cpu-prof');
    const server = await HektorServer.start(profileDir === undefined ? {} : { cpuProfileDir: profileDir });
    const client = createClient('node-http', server.url, 1);
    try {
      await createCollection(client, dataset);
      await upsertAll(client, dataset, { batchSize: 500, serverPid: server.pid });
      for (const ef of efs) {
        const rawM = measureRawSearch(dataset, truth, raw.index, ef, seconds);
        const rest = await measureBatch(client, dataset, truth, ef, batch, seconds);
        emit({
          bench: 'search_batch', dataset: dataset.name, engine: 'hektor-rest-batch', batch, clients: 1, ef,
          qps: round(rest.qps, 0), request_p50_ms: round(rest.requestP50Ms, 2), recall_at_10: round(rest.recallAt10, 4),
          baseline: { engine: RAW_ENGINE, qps: round(rawM.qps, 0), recall_at_10: round(rawM.recallAt10, 4) },
          ratio_to_baseline: round(rest.qps / rawM.qps, 3),
        });
      }
    } finally {
      client.close();
      await server.stop();
    }
  }
}

await main();
