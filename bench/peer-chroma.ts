/**
 * Peer bench: the Chroma server 1.0.5 (HTTP), side by side with Hektor on the same datasets, the
 * same ground truth and the same recall@10 rule. For every ef_search value (Chroma fixes
 * ef_search when a collection is created: `collection.modify` stores a new value but the loaded
 * index keeps searching with the old one, so the index is built once per ef) it creates an HNSW
 * collection (space `cosine` for the synthetic set, `l2` for Fashion-MNIST; max_neighbors = 16,
 * ef_construction = 64), adds the base set in batches of 5,000 with ids = row index as strings,
 * timed, then measures a single client running top-10 queries in a closed loop. One JSON line per
 * ingest and per ef on stdout; progress notes on stderr.
 *
 *   node dist/bench/peer-chroma.js --dataset synthetic|fashion-mnist|all --size N --queries Q
 *     --quick --seconds S --efs 16,40,100,200 --port 58000
 *
 *   --seconds  minimum timed seconds per ef (whole passes over the query set; default 3)
 *   --efs      ef_search values, one collection (and one index build) each
 *   --port     TCP port of the Chroma server on 127.0.0.1
 *
 * Chroma is not a dependency of the project: the npm client `chromadb@3.5.0` and the server
 * bindings `chromadb-js-bindings-linux-x64-gnu@1.0.5` (newer bindings need glibc ≥ 2.38) are
 * installed on demand into `bench/.cache/chroma-peer/` (gitignored) and loaded from there.
 *
 * Isolation: after the install (which needs the network), the script re-executes itself inside a
 * network namespace of its own (`unshare --net`, plus `--map-root-user` when not root) where only
 * the loopback interface exists and is brought up; the server and the bench client both run in
 * there, so the server cannot reach any other address. Where `unshare` is impossible, the script
 * runs on 127.0.0.1 without it and says so on stderr and in the ingest lines (`isolation`). The
 * server's data directory lives under the system temp directory and is deleted at the end; the
 * server is stopped in `finally`, on SIGINT/SIGTERM, and (through `setpriv --pdeathsig`) dies
 * with the bench process if that is killed outright.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagBool, flagInt, flagIntList, flagNumber, flagString, parseFlags, type Flags } from './args.js';
import { fashionMnistDataset, loadDatasets, rowArray, selectionFromFlags, type Dataset } from './datasets.js';
import { CACHE_DIR, groundTruth, type GroundTruth } from './ground-truth.js';
import { emitPeerSearch, measureSequential, type SequentialSearchMeasurement } from './peers.js';
import { emit, note, nowMs, round, sleepMs } from './stats.js';

/** Peer name in the JSON lines. */
export const PEER_NAME = 'chroma';
/** npm version of the Chroma client. */
export const CHROMA_CLIENT_VERSION = '3.5.0';
/** npm package of the Chroma server bindings for this platform. */
export const CHROMA_BINDINGS_PACKAGE = 'chromadb-js-bindings-linux-x64-gnu';
/** Version of the server bindings (the last that runs on glibc 2.36). */
export const CHROMA_BINDINGS_VERSION = '1.0.5';
/** Where the client and the bindings are installed (under the gitignored bench/.cache). */
export const CHROMA_INSTALL_DIR = join(CACHE_DIR, 'chroma-peer');
/** HNSW graph degree (Chroma's `max_neighbors`), as in the issue. */
export const HNSW_M = 16;
/** HNSW build beam width, as in the issue. */
export const HNSW_EF_CONSTRUCTION = 64;
/** Points per `add` call while ingesting. */
const INGEST_BATCH_POINTS = 5_000;
/** Neighbours asked for and graded. */
const TOP_K = 10;
/** Queries run on each collection before timing starts. */
const WARMUP_QUERIES = 50;
/** How long the server may take to answer its first heartbeat. */
const SERVER_START_TIMEOUT_MS = 60_000;
/** How long the server may take to exit after SIGTERM before it is killed. */
const SERVER_STOP_TIMEOUT_MS = 5_000;
/** This script (dist/bench/peer-chroma.js), re-executed in the namespace and as the server launcher. */
const SELF = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------------------------------------
// The part of the chromadb client this bench uses, typed locally (the package is not a
// dependency, so its own types are not visible to tsc).

/** HNSW settings of a new Chroma collection (Chroma 1.0 configuration keys). */
interface ChromaHnswConfig {
  space: 'l2' | 'cosine';
  ef_construction: number;
  ef_search: number;
  max_neighbors: number;
}

/** Reply of `collection.query`: one list of ids (and distances) per query embedding. */
interface ChromaQueryResult {
  readonly ids: string[][];
}

/** A Chroma collection handle. */
interface ChromaCollection {
  add(args: { ids: string[]; embeddings: number[][] }): Promise<void>;
  count(): Promise<number>;
  query(args: { queryEmbeddings: number[][]; nResults: number; include: ('distances' | 'documents' | 'metadatas')[] }): Promise<ChromaQueryResult>;
}

/** The Chroma HTTP client. */
interface ChromaClientLike {
  heartbeat(): Promise<number>;
  version(): Promise<string>;
  createCollection(args: { name: string; embeddingFunction: null; configuration: { hnsw: ChromaHnswConfig } }): Promise<ChromaCollection>;
  deleteCollection(args: { name: string }): Promise<void>;
}

/** The `chromadb` module. */
interface ChromaModule {
  ChromaClient: new (args: { host: string; port: number }) => ChromaClientLike;
}

/** The server bindings: `cli(argv)` runs the `chroma` command line (blocks while serving). */
interface ChromaBindings {
  cli(argv: string[]): unknown;
}

/** `require` rooted in the install directory. */
function installRequire(): NodeJS.Require {
  return createRequire(join(CHROMA_INSTALL_DIR, 'noop.js'));
}

/** The installed version of an npm package in the install directory, or undefined. */
function installedVersion(name: string): string | undefined {
  const path = join(CHROMA_INSTALL_DIR, 'node_modules', name, 'package.json');
  if (!existsSync(path)) return undefined;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : undefined;
}

/** Installs the client and the server bindings from the npm registry unless they are there. */
function ensureChromaInstalled(): void {
  if (installedVersion('chromadb') === CHROMA_CLIENT_VERSION && installedVersion(CHROMA_BINDINGS_PACKAGE) === CHROMA_BINDINGS_VERSION) return;
  mkdirSync(CHROMA_INSTALL_DIR, { recursive: true });
  const packages = [`chromadb@${CHROMA_CLIENT_VERSION}`, `${CHROMA_BINDINGS_PACKAGE}@${CHROMA_BINDINGS_VERSION}`];
  note(`installing ${packages.join(' ')} into ${CHROMA_INSTALL_DIR} (about 470 MB, once)`);
  const startMs = nowMs();
  // npm's output goes to stderr so that stdout stays JSON lines.
  const result = spawnSync('npm', ['install', '--prefix', CHROMA_INSTALL_DIR, '--no-save', '--no-audit', '--no-fund', ...packages], {
    stdio: ['ignore', 2, 2],
  });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : `exit status ${result.status ?? `none (signal ${result.signal ?? '?'})`}`;
    throw new Error(`npm install ${packages.join(' ')} failed (${why})`);
  }
  if (installedVersion(CHROMA_BINDINGS_PACKAGE) !== CHROMA_BINDINGS_VERSION) throw new Error(`${CHROMA_BINDINGS_PACKAGE}@${CHROMA_BINDINGS_VERSION} is not in ${CHROMA_INSTALL_DIR} after npm install`);
  note(`installed in ${((nowMs() - startMs) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------------------------------------
// Server mode: `peer-chroma.js --serve-chroma --port P --path DIR` runs the Chroma server.

/** Runs the Chroma server in this process on 127.0.0.1 (the bindings' `chroma run`). */
function serveChroma(flags: Flags): void {
  const port = flagInt(flags, 'port', 58000);
  const path = flagString(flags, 'path');
  if (path === undefined) throw new Error('--serve-chroma needs --path DIR');
  const bindings = installRequire()(CHROMA_BINDINGS_PACKAGE) as ChromaBindings;
  bindings.cli(['chroma', 'run', '--host', '127.0.0.1', '--port', String(port), '--path', path]);
}

// ---------------------------------------------------------------------------------------------
// Isolation: re-executing in a network namespace of our own.

/** `unshare` arguments for a new network namespace (a user namespace too when not root). */
function unshareArgs(): string[] {
  return process.getuid?.() === 0 ? ['--net'] : ['--net', '--map-root-user'];
}

/** Whether `unshare` can create a network namespace here and bring its loopback up. */
function canUnshare(): boolean {
  const probe = spawnSync('unshare', [...unshareArgs(), 'sh', '-c', 'ip link set lo up'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (probe.status === 0) return true;
  const why = probe.error ? probe.error.message : probe.stderr.trim();
  note(`cannot create a network namespace (${why})`);
  return false;
}

/**
 * Runs this script again inside a fresh network namespace with `--inner`, forwarding SIGINT and
 * SIGTERM; resolves to its exit code.
 */
function runInNamespace(argv: readonly string[]): Promise<number> {
  // `unshare` without --fork execs sh, which execs node: the child's pid is the bench's pid.
  const child = spawn('unshare', [...unshareArgs(), 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, SELF, ...argv, '--inner'], {
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 143));
    });
  });
}

/** The network interfaces this process sees (only `lo` inside the namespace). */
function interfaceNames(): string[] {
  return Object.keys(networkInterfaces()).sort();
}

// ---------------------------------------------------------------------------------------------
// The running server and its cleanup.

/** A running Chroma server: its process and temporary directory. */
interface ChromaServer {
  child: ChildProcess;
  /** Temporary root holding the data directory and the server log. */
  root: string;
  /** Server stdout and stderr. */
  logPath: string;
}

/** The server to stop on exit; undefined once stopped. */
let running: ChromaServer | undefined;

/** Whether a child process has exited. */
function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** The last lines of the server log, for error messages. */
function logTail(server: ChromaServer): string {
  try {
    return readFileSync(server.logPath, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Kills the server at once and deletes its directory (for signal handlers). Idempotent. */
function killNow(): void {
  const server = running;
  running = undefined;
  if (server === undefined) return;
  if (!exited(server.child)) server.child.kill('SIGKILL');
  rmSync(server.root, { recursive: true, force: true });
}

/** Stops the server (SIGTERM, then SIGKILL after a grace period) and deletes its directory. */
async function stopServer(): Promise<void> {
  const server = running;
  if (server === undefined) return;
  const { child } = server;
  if (!exited(child)) {
    note('stopping the Chroma server');
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), SERVER_STOP_TIMEOUT_MS);
    await gone;
    clearTimeout(timer);
  }
  running = undefined;
  rmSync(server.root, { recursive: true, force: true });
}

/** Starts the Chroma server on 127.0.0.1:`port` with a fresh data directory; resolves once it answers. */
async function startServer(port: number, chroma: ChromaModule): Promise<ChromaClientLike> {
  const root = mkdtempSync(join(tmpdir(), 'hektor-chroma-'));
  const dataDir = join(root, 'data');
  const logPath = join(root, 'server.log');
  const log = createWriteStream(logPath);
  await new Promise<void>((resolve, reject) => log.once('open', () => resolve()).once('error', reject));
  // setpriv --pdeathsig: the server dies with this process even if it is SIGKILLed.
  const serverArgs = [SELF, '--serve-chroma', '--port', String(port), '--path', dataDir];
  const hasSetpriv = spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;
  const child = hasSetpriv
    ? spawn('setpriv', ['--pdeathsig', 'KILL', process.execPath, ...serverArgs], { stdio: ['ignore', log, log] })
    : spawn(process.execPath, serverArgs, { stdio: ['ignore', log, log] });
  const server: ChromaServer = { child, root, logPath };
  running = server;
  note(`starting the Chroma server on 127.0.0.1:${port} (pid ${child.pid ?? '?'}, data in ${dataDir}, log ${logPath})`);
  const client = new chroma.ChromaClient({ host: '127.0.0.1', port });
  const startMs = nowMs();
  for (;;) {
    if (exited(child)) throw new Error(`the Chroma server exited during start-up (code ${child.exitCode ?? 'none'}, signal ${child.signalCode ?? 'none'}):\n${logTail(server)}`);
    try {
      await client.heartbeat();
      break;
    } catch (error) {
      if (nowMs() - startMs > SERVER_START_TIMEOUT_MS) throw new Error(`the Chroma server did not answer within ${SERVER_START_TIMEOUT_MS / 1000} s (${String(error)}):\n${logTail(server)}`);
      await sleepMs(200);
    }
  }
  note(`Chroma server ${await client.version()} up in ${((nowMs() - startMs) / 1000).toFixed(1)} s`);
  return client;
}

// ---------------------------------------------------------------------------------------------
// Measurements.

/** Figures of one ef_search setting. */
export type ChromaSearchMeasurement = SequentialSearchMeasurement;

/** Timing of one ingest. */
interface IngestTiming {
  /** Seconds spent in the `add` calls. */
  addSeconds: number;
  /** `add` calls, then `count` and one query answered: the ingest as a user sees it. */
  seconds: number;
}

/**
 * Adds the base set in batches of 5,000 (ids = row index as strings), then checks the count and
 * runs one query, so that the timing covers everything up to a searchable collection. Rows are
 * turned into `number[]` inside the timing, as any client holding float32 data would have to.
 */
async function ingest(collection: ChromaCollection, dataset: Dataset, firstQuery: number[]): Promise<IngestTiming> {
  const { dim, base, baseCount } = dataset;
  const startMs = nowMs();
  for (let start = 0; start < baseCount; start += INGEST_BATCH_POINTS) {
    const end = Math.min(baseCount, start + INGEST_BATCH_POINTS);
    const ids: string[] = [];
    const embeddings: number[][] = [];
    for (let i = start; i < end; i++) {
      ids.push(String(i));
      embeddings.push(rowArray(base, dim, i));
    }
    await collection.add({ ids, embeddings });
  }
  const addSeconds = (nowMs() - startMs) / 1000;
  const count = await collection.count();
  if (count !== baseCount) throw new Error(`${dataset.name}: the collection holds ${count} points after the ingest, expected ${baseCount}`);
  await collection.query({ queryEmbeddings: [firstQuery], nResults: TOP_K, include: ['distances'] });
  return { addSeconds, seconds: (nowMs() - startMs) / 1000 };
}

/**
 * Single-client QPS, latency and recall@10 of one collection: 50 warm-up queries, then
 * closed-loop whole passes over the query set until `minSeconds` have passed. Each query asks for
 * ids and distances (what a Hektor search returns: ids and scores), not documents or metadata.
 * The ids of the first pass are graded after the timing.
 */
function measureSearch(collection: ChromaCollection, dataset: Dataset, truth: GroundTruth, queries: readonly number[][], minSeconds: number): Promise<ChromaSearchMeasurement> {
  const search = async (q: number): Promise<number[]> => {
    const result = await collection.query({ queryEmbeddings: [queries[q]!], nResults: TOP_K, include: ['distances'] });
    return (result.ids[0] ?? []).map(Number);
  };
  return measureSequential(dataset, truth, search, minSeconds, WARMUP_QUERIES);
}

/** Settings of a bench run. */
interface RunOptions {
  efs: readonly number[];
  minSeconds: number;
  date: string;
  isolation: string;
  serverVersion: string;
}

/** Builds one collection per ef_search on one dataset and measures it, emitting the JSON lines. */
async function benchDataset(client: ChromaClientLike, dataset: Dataset, options: RunOptions): Promise<void> {
  const truth = await groundTruth(dataset);
  // Query rows are built once, outside the timing, as the Hektor benches pre-serialise JSON.
  const queries: number[][] = [];
  for (let q = 0; q < dataset.queryCount; q++) queries.push(rowArray(dataset.queries, dataset.dim, q));
  const space = dataset.distance === 'Cosine' ? 'cosine' : 'l2';
  for (const ef of options.efs) {
    const name = `bench-ef${ef}`;
    const collection = await client.createCollection({
      name,
      embeddingFunction: null,
      configuration: { hnsw: { space, ef_construction: HNSW_EF_CONSTRUCTION, ef_search: ef, max_neighbors: HNSW_M } },
    });
    note(`${dataset.name}: ef_search=${ef}: adding ${dataset.baseCount} points (space ${space}) in batches of ${INGEST_BATCH_POINTS}`);
    const timing = await ingest(collection, dataset, queries[0]!);
    note(`${dataset.name}: ef_search=${ef}: ingested in ${timing.seconds.toFixed(1)} s; searching`);
    emit({
      bench: 'peer',
      peer: PEER_NAME,
      dataset: dataset.name,
      phase: 'ingest',
      points: dataset.baseCount,
      seconds: round(timing.seconds, 2),
      add_seconds: round(timing.addSeconds, 2),
      points_per_s: round(dataset.baseCount / timing.seconds, 1),
      ef_search: ef,
      m: HNSW_M,
      ef_construction: HNSW_EF_CONSTRUCTION,
      batch_points: INGEST_BATCH_POINTS,
      server: `${CHROMA_BINDINGS_PACKAGE}@${CHROMA_BINDINGS_VERSION} (API version ${options.serverVersion})`,
      isolation: options.isolation,
      date: options.date,
    });
    const m = await measureSearch(collection, dataset, truth, queries, options.minSeconds);
    emitPeerSearch(PEER_NAME, dataset, ef, m, options.date);
    await client.deleteCollection({ name });
  }
}

/** The bench proper: starts the server, runs every dataset, stops the server. */
async function runBench(flags: Flags, isolation: string): Promise<void> {
  const selection = selectionFromFlags(flags, 'all');
  const options = {
    efs: flagIntList(flags, 'efs', [16, 40, 100, 200]),
    minSeconds: flagNumber(flags, 'seconds', 3),
    date: new Date().toISOString(),
    isolation,
  };
  const port = flagInt(flags, 'port', 58000);
  const datasets = loadDatasets(selection);
  if (datasets.length === 0) throw new Error('no dataset to run');
  const chroma = installRequire()('chromadb') as ChromaModule;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      note(`${signal}: stopping the Chroma server`);
      killNow();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  try {
    const client = await startServer(port, chroma);
    const serverVersion = await client.version();
    for (const dataset of datasets) await benchDataset(client, dataset, { ...options, serverVersion });
  } finally {
    await stopServer();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flags = parseFlags(argv);
  if (flagBool(flags, 'serve-chroma')) {
    serveChroma(flags);
    return;
  }
  if (flagBool(flags, 'inner')) {
    const names = interfaceNames();
    if (names.join(',') !== 'lo') throw new Error(`expected only the loopback interface inside the network namespace, found ${names.join(', ')}`);
    note('inside a network namespace of its own: only lo (127.0.0.1) exists');
    await runBench(flags, 'netns (unshare --net, loopback only)');
    return;
  }
  // Outside: everything that needs the network happens here, before entering the namespace.
  ensureChromaInstalled();
  const which = flagString(flags, 'dataset') ?? 'all';
  if (which === 'fashion-mnist' || which === 'all') fashionMnistDataset(1, 1); // installs it if missing
  if (process.platform === 'linux' && canUnshare()) {
    note('re-running inside a new network namespace (unshare --net) so that Chroma can reach nothing but loopback');
    process.exitCode = await runInNamespace(argv);
    return;
  }
  note('WARNING: no network namespace; the Chroma server runs on 127.0.0.1 without isolation');
  await runBench(flags, 'none (127.0.0.1 only, no network namespace)');
}

try {
  await main();
} catch (error) {
  note(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
} finally {
  killNow();
}
