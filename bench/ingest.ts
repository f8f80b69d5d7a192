/**
 * Ingest bench: upsert throughput of Hektor over REST (`PUT /collections/bench/points?wait=true`)
 * at several batch sizes, against hnswlib-node's in-process addPoint rate over the same number of
 * points, in one run, and against the same hnswlib compiled as Hektor compiles it
 * (bench/raw-same-build.ts), so that a compiler flag alone cannot meet the bar. Each batch size loads a fresh collection, so every figure covers building
 * the same graph from empty. JSON lines on stdout.
 *
 *   npm run bench:ingest -- --dataset synthetic|fashion-mnist --size N --batches 1,64,256,1000
 *     --single-points 2000 --concurrency 1,2 --quick --server-cpu-prof DIR
 */

import { flagBool, flagInt, flagIntList, flagString, parseFlags } from './args.js';
import { loadDatasets, selectionFromFlags, type Dataset } from './datasets.js';
import { HektorServer } from './hektor-server.js';
import { createCollection, upsertAll, type IngestMeasurement } from './hektor-rest.js';
import { buildRaw, RAW_ENGINE, type RawBuild } from './raw-hnswlib.js';
import { buildSameBuild, SAME_BUILD_ENGINE } from './raw-same-build.js';
import { createClient } from './rest-client.js';
import { emit, note, round } from './stats.js';

/** Upper bound on points sent one per request: batch 1 runs at request rate, not index rate. */
const SINGLE_POINTS_DEFAULT = 2_000;

const flags = parseFlags(process.argv.slice(2));
const quick = flagBool(flags, 'quick');
const batchSizes = flagIntList(flags, 'batches', [1, 64, 256, 1000]);
const singlePoints = flagInt(flags, 'single-points', quick ? 500 : SINGLE_POINTS_DEFAULT);
const concurrencies = flagIntList(flags, 'concurrency', [1, 2]);
const clientName = flagString(flags, 'client') ?? 'node-http';
const cpuProfileDir = flagString(flags, 'server-cpu-prof');
const date = new Date().toISOString();

/** Points loaded at a batch size: small batches are capped so that the run stays short. */
function pointsFor(dataset: Dataset, batchSize: number): number {
  return batchSize === 1 ? Math.min(singlePoints, dataset.baseCount) : dataset.baseCount;
}

/** One Hektor ingest run, kept until the second raw build gives the baseline. */
interface HektorRun {
  batchSize: number;
  concurrency: number;
  clientName: string;
  m: IngestMeasurement;
}

/** Raw hnswlib-node rate over the first `count` points of a build. */
function rawRate(raw: Pick<RawBuild, 'checkpoints'>, count: number): number {
  return count / raw.checkpoints.get(count)!;
}

/**
 * The baseline line of an engine built before and after the REST runs: the faster rate over the
 * first `count` points counts. The CPU figure covers the whole build (a checkpoint has no CPU
 * split).
 */
function baselineOf(engine: string, builds: readonly Pick<RawBuild, 'checkpoints' | 'cpuUsPerPoint'>[], count: number) {
  const rates = builds.map((build) => rawRate(build, count));
  return {
    engine,
    points: count,
    points_per_s: round(Math.max(...rates), 1),
    runs_points_per_s: rates.map((r) => round(r, 1)),
    cpu_us_per_point_full_build: round(Math.min(...builds.map((build) => build.cpuUsPerPoint)), 1),
  };
}

async function benchDataset(dataset: Dataset): Promise<void> {
  const counts = [...new Set(batchSizes.map((b) => pointsFor(dataset, b)))];
  // The raw build runs before and after the Hektor runs; the faster of the two is the baseline.
  // The speed of this shared VM drifts by up to a third within minutes, and one raw build
  // measured at a slow moment would flatter Hektor.
  const raws: Pick<RawBuild, 'checkpoints' | 'cpuUsPerPoint'>[] = [];
  const sameBuilds: Pick<RawBuild, 'checkpoints' | 'cpuUsPerPoint'>[] = [];
  const rawBuild = (run: number) => {
    note(`${dataset.name}: raw hnswlib-node build ${run}`);
    const raw = buildRaw(dataset, { checkpoints: counts });
    raws.push({ checkpoints: raw.checkpoints, cpuUsPerPoint: raw.cpuUsPerPoint });
    emit({ bench: 'ingest', dataset: dataset.name, engine: RAW_ENGINE, run, points: dataset.baseCount, points_per_s: round(raw.pointsPerSecond, 1), seconds: round(raw.buildSeconds, 2), cpu_us_per_point: round(raw.cpuUsPerPoint, 1), date });
    note(`${dataset.name}: same-build hnswlib build ${run}`);
    const same = buildSameBuild(dataset, { checkpoints: counts });
    sameBuilds.push({ checkpoints: same.checkpoints, cpuUsPerPoint: same.cpuUsPerPoint });
    emit({ bench: 'ingest', dataset: dataset.name, engine: SAME_BUILD_ENGINE, run, points: dataset.baseCount, points_per_s: round(same.pointsPerSecond, 1), cpu_us_per_point: round(same.cpuUsPerPoint, 1), date });
  };
  rawBuild(1);
  const runs: HektorRun[] = [];
  const server = await HektorServer.start({ cpuProfileDir });
  try {
    for (const concurrency of concurrencies) {
      const client = createClient(clientName, server.url, concurrency);
      for (const batchSize of batchSizes) {
        const count = pointsFor(dataset, batchSize);
        await createCollection(client, dataset);
        note(`${dataset.name}: ${count} points over REST, batch ${batchSize}, concurrency ${concurrency}`);
        const m = await upsertAll(client, dataset, { batchSize, count, concurrency, serverPid: server.pid });
        runs.push({ batchSize, concurrency, clientName: client.name, m });
      }
      client.close();
    }
  } finally {
    await server.stop();
  }
  rawBuild(2);
  for (const { batchSize, concurrency, clientName: name, m } of runs) {
    const count = m.points;
    const baseline = baselineOf(RAW_ENGINE, raws, count);
    const sameBuild = baselineOf(SAME_BUILD_ENGINE, sameBuilds, count);
    emit({
      bench: 'ingest',
      dataset: dataset.name,
      engine: 'hektor-rest',
      client: name,
      batch_points: batchSize,
      concurrency,
      points: count,
      points_per_s: round(m.pointsPerSecond, 1),
      batch_p50_ms: round(m.p50Ms, 3),
      batch_p99_ms: round(m.p99Ms, 3),
      seconds: round(m.seconds, 2),
      server_cpu_us_per_point: round(m.serverCpuUsPerPoint, 1),
      baseline,
      ratio_to_baseline: round(m.pointsPerSecond / baseline.points_per_s, 3),
      same_build_baseline: sameBuild,
      ratio_to_same_build: round(m.pointsPerSecond / sameBuild.points_per_s, 3),
      date,
    });
  }
}

const datasets = loadDatasets(selectionFromFlags(flags, 'synthetic'));
if (datasets.length === 0) {
  note('no dataset to run');
  process.exitCode = 1;
}
for (const dataset of datasets) await benchDataset(dataset);
