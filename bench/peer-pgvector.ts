/**
 * Peer bench: pgvector 0.8.0 on PostgreSQL 15, side by side with Hektor on the same datasets,
 * the same ground truth and the same recall@10 rule. Starts a private PostgreSQL on 127.0.0.1
 * with `../shared/peers/pgvector-setup.sh` (which installs PostgreSQL 15 and builds pgvector
 * if needed; it must run as root), loads the base set with 500-row INSERTs, builds an HNSW index
 * (m = 16, ef_construction = 64; vector_l2_ops for Euclid, vector_cosine_ops for Cosine), then
 * measures a single client running a prepared top-10 statement at each ef_search. One JSON line
 * per ingest and per ef on stdout; progress notes on stderr. PostgreSQL is stopped and its data
 * directory deleted at the end, on error and on SIGINT/SIGTERM.
 *
 *   npm run bench:pgvector -- --dataset synthetic|fashion-mnist|all --size N --queries Q
 *     --quick --seconds S --efs 10,20,40,100 --setup PATH --port 55432
 *
 *   --setup  the setup script (default: $HEKTOR_PGVECTOR_SETUP, else
 *            ../shared/peers/pgvector-setup.sh from the repository root)
 *   --port   TCP port of the private PostgreSQL on 127.0.0.1
 */

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { flagInt, flagIntList, flagNumber, flagString, parseFlags } from './args.js';
import { loadDatasets, rowArray, selectionFromFlags, type Dataset } from './datasets.js';
import { groundTruth, type GroundTruth } from './ground-truth.js';
import { emitPeerSearch, measureSequential, type SequentialSearchMeasurement } from './peers.js';
import { emit, note, nowMs, round } from './stats.js';

/** Peer name in the JSON lines. */
export const PEER_NAME = 'pgvector';
/** HNSW graph degree, as in the issue. */
export const HNSW_M = 16;
/** HNSW build beam width, as in the issue. */
export const HNSW_EF_CONSTRUCTION = 64;
/** Rows per INSERT statement while loading. */
const LOAD_BATCH_ROWS = 500;
/** Neighbours asked for and graded. */
const TOP_K = 10;
/** Queries run at each ef before timing starts. */
const WARMUP_QUERIES = 100;
/** PostgreSQL's binaries as the setup script installs them. */
const PG_BIN = '/usr/lib/postgresql/15/bin';
/** Repository root (this file runs from dist/bench/). */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Figures of one ef_search setting. */
export type PgSearchMeasurement = SequentialSearchMeasurement;

/** A running private PostgreSQL: where its files are and how to stop it. */
interface PgInstance {
  /** Temporary root holding the data directory, its socket directory and the build directory. */
  root: string;
  /** The data directory. */
  dataDir: string;
}

/** The instance to stop on exit; undefined once stopped. */
let running: PgInstance | undefined;

/** Stops PostgreSQL (if it got as far as starting) and deletes the temporary root. Idempotent. */
function cleanup(): void {
  const instance = running;
  running = undefined;
  if (instance === undefined) return;
  if (existsSync(join(instance.dataDir, 'postmaster.pid'))) {
    note('stopping PostgreSQL');
    const stop = spawnSync('su', ['postgres', '-c', `${PG_BIN}/pg_ctl -D ${instance.dataDir} -m fast -w stop`], {
      cwd: instance.root,
      stdio: ['ignore', 2, 2],
    });
    if (stop.status !== 0) note(`pg_ctl stop failed (status ${stop.status ?? 'none'}); the postmaster may still run with data in ${instance.dataDir}`);
  }
  rmSync(instance.root, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    note(`${signal}: cleaning up`);
    cleanup();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

/**
 * Runs the setup script with a fresh data directory under the system temp directory; returns
 * the instance once PostgreSQL accepts connections on 127.0.0.1:`port` with pgvector installed.
 */
function startPostgres(setupScript: string, port: number): PgInstance {
  if (!existsSync(setupScript)) throw new Error(`pgvector setup script not found: ${setupScript} (pass --setup PATH or set HEKTOR_PGVECTOR_SETUP)`);
  if (process.getuid?.() !== 0) throw new Error('the pgvector setup script must run as root (it apt-installs PostgreSQL and starts it as user postgres)');
  const root = mkdtempSync(join(tmpdir(), 'hektor-pgvector-'));
  // The postgres user has to reach the data directory inside it.
  chmodSync(root, 0o755);
  const instance: PgInstance = { root, dataDir: join(root, 'pgdata') };
  running = instance;
  const work = join(root, 'work');
  mkdirSync(work);
  note(`starting PostgreSQL + pgvector with ${setupScript} on 127.0.0.1:${port} (data in ${instance.dataDir}; the first run builds pgvector)`);
  const startMs = nowMs();
  // stdout is captured so that ours stays JSON lines; stderr (apt, make, pg_ctl) passes through.
  const result = spawnSync('bash', [setupScript], {
    cwd: root,
    env: { ...process.env, PGPORT: String(port), PGDATA_DIR: instance.dataDir, WORK: work },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = result.stdout.trim();
  if (result.status !== 0) {
    const why = result.error ? result.error.message : `exit status ${result.status ?? `none (signal ${result.signal ?? '?'})`}`;
    throw new Error(`${setupScript} failed (${why}); its output:\n${output}`);
  }
  for (const line of output.split('\n')) if (line !== '') note(`setup: ${line}`);
  note(`PostgreSQL up in ${((nowMs() - startMs) / 1000).toFixed(1)} s`);
  return instance;
}

/** The `vector` operator and operator class of a dataset's distance. */
function distanceSql(dataset: Dataset): { operator: string; opclass: string } {
  return dataset.distance === 'Cosine'
    ? { operator: '<=>', opclass: 'vector_cosine_ops' }
    : { operator: '<->', opclass: 'vector_l2_ops' };
}

/** Row `index` of a flat matrix as a pgvector text literal, `[1,2,3]` (exact for float32). */
function vectorLiteral(matrix: Float32Array, dim: number, index: number): string {
  return JSON.stringify(rowArray(matrix, dim, index));
}

/** Figures of the ingest of one dataset. */
interface IngestTiming {
  loadSeconds: number;
  indexSeconds: number;
}

/** Creates `items`, loads the base set in 500-row INSERTs and builds the HNSW index, timed apart. */
async function ingest(client: pg.Client, dataset: Dataset): Promise<IngestTiming> {
  const { dim, base, baseCount } = dataset;
  await client.query('DROP TABLE IF EXISTS items');
  await client.query(`CREATE TABLE items (id int PRIMARY KEY, embedding vector(${dim}))`);
  note(`${dataset.name}: loading ${baseCount} rows in batches of ${LOAD_BATCH_ROWS}`);
  const loadStartMs = nowMs();
  for (let start = 0; start < baseCount; start += LOAD_BATCH_ROWS) {
    const end = Math.min(baseCount, start + LOAD_BATCH_ROWS);
    const ids: number[] = [];
    const vectors: string[] = [];
    for (let i = start; i < end; i++) {
      ids.push(i);
      vectors.push(vectorLiteral(base, dim, i));
    }
    await client.query({
      name: 'load_items',
      text: 'INSERT INTO items (id, embedding) SELECT * FROM unnest($1::int[], $2::vector[])',
      values: [ids, vectors],
    });
  }
  const loadSeconds = (nowMs() - loadStartMs) / 1000;
  note(`${dataset.name}: loaded in ${loadSeconds.toFixed(1)} s; building HNSW (m=${HNSW_M}, ef_construction=${HNSW_EF_CONSTRUCTION})`);
  const { opclass } = distanceSql(dataset);
  const indexStartMs = nowMs();
  await client.query(`CREATE INDEX items_embedding_hnsw ON items USING hnsw (embedding ${opclass}) WITH (m = ${HNSW_M}, ef_construction = ${HNSW_EF_CONSTRUCTION})`);
  const indexSeconds = (nowMs() - indexStartMs) / 1000;
  note(`${dataset.name}: index built in ${indexSeconds.toFixed(1)} s`);
  // Statistics for the planner; not part of the timed ingest.
  await client.query('ANALYZE items');
  return { loadSeconds, indexSeconds };
}

/** The top-10 statement text of a dataset. */
function searchSql(dataset: Dataset): string {
  return `SELECT id FROM items ORDER BY embedding ${distanceSql(dataset).operator} $1::vector LIMIT ${TOP_K}`;
}

/** Fails unless the top-10 query is served by the HNSW index (not by a sequential scan and sort). */
async function checkPlan(client: pg.Client, dataset: Dataset, queryLiterals: readonly string[]): Promise<void> {
  const sql = searchSql(dataset).replace('$1::vector', `'${queryLiterals[0] ?? '[]'}'::vector`);
  const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`);
  const text = plan.rows.map((row) => row['QUERY PLAN']).join('\n');
  if (!text.includes('items_embedding_hnsw')) throw new Error(`the top-10 query does not use the HNSW index:\n${text}`);
}

/**
 * Single-client QPS, latency and recall@10 at one ef_search: `SET hnsw.ef_search`, then a
 * prepared statement under a name of its own (a named statement keeps its cached plan across a
 * `SET`), 100 warm-up queries, then closed-loop whole passes over the query set until
 * `minSeconds` have passed. The ids of the first pass are graded after the timing.
 */
async function measureSearch(
  client: pg.Client, dataset: Dataset, truth: GroundTruth, queryLiterals: readonly string[], ef: number, statementName: string, minSeconds: number,
): Promise<PgSearchMeasurement> {
  await client.query(`SET hnsw.ef_search = ${ef}`);
  const text = searchSql(dataset);
  const search = async (q: number): Promise<number[]> => {
    const result = await client.query<[number]>({ name: statementName, text, values: [queryLiterals[q]!], rowMode: 'array' });
    return result.rows.map((row) => row[0]);
  };
  return measureSequential(dataset, truth, search, minSeconds, WARMUP_QUERIES);
}

/** Ingests one dataset and measures it at every ef_search, emitting the JSON lines. */
async function benchDataset(client: pg.Client, dataset: Dataset, efs: readonly number[], minSeconds: number, date: string): Promise<void> {
  const truth = await groundTruth(dataset);
  const { loadSeconds, indexSeconds } = await ingest(client, dataset);
  const ingestSeconds = loadSeconds + indexSeconds;
  emit({
    bench: 'peer',
    peer: PEER_NAME,
    dataset: dataset.name,
    phase: 'ingest',
    points: dataset.baseCount,
    load_seconds: round(loadSeconds, 2),
    index_seconds: round(indexSeconds, 2),
    ingest_seconds: round(ingestSeconds, 2),
    points_per_s: round(dataset.baseCount / ingestSeconds, 1),
    m: HNSW_M,
    ef_construction: HNSW_EF_CONSTRUCTION,
    date,
  });
  // Query literals are built once, outside the timing, as the Hektor benches pre-serialise JSON.
  const queryLiterals: string[] = [];
  for (let q = 0; q < dataset.queryCount; q++) queryLiterals.push(vectorLiteral(dataset.queries, dataset.dim, q));
  await checkPlan(client, dataset, queryLiterals);
  for (const ef of efs) {
    note(`${dataset.name}: ef_search=${ef}`);
    const statementName = `knn_${dataset.name.replace(/[^a-z0-9]/gi, '_')}_ef${ef}`;
    const m = await measureSearch(client, dataset, truth, queryLiterals, ef, statementName, minSeconds);
    emitPeerSearch(PEER_NAME, dataset, ef, m, date);
  }
  await client.query('DROP TABLE items');
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const selection = selectionFromFlags(flags, 'all');
  const minSeconds = flagNumber(flags, 'seconds', 3);
  const efs = flagIntList(flags, 'efs', [10, 20, 40, 100]);
  const port = flagInt(flags, 'port', 55432);
  const setupScript = resolve(REPO_ROOT, flagString(flags, 'setup') ?? process.env.HEKTOR_PGVECTOR_SETUP ?? '../shared/peers/pgvector-setup.sh');
  const date = new Date().toISOString();
  const datasets = loadDatasets(selection);
  if (datasets.length === 0) throw new Error('no dataset to run');
  startPostgres(setupScript, port);
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    const version = await client.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
    note(`pgvector ${version.rows[0]?.extversion ?? '(not installed?)'}`);
    for (const dataset of datasets) await benchDataset(client, dataset, efs, minSeconds, date);
  } finally {
    await client.end();
  }
}

try {
  await main();
} catch (error) {
  note(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
} finally {
  cleanup();
}
