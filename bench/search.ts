/**
 * Search bench: recall@10 and QPS of Hektor over REST (1 and 8 concurrent clients) against
 * hnswlib-node in-process (single thread) at several ef values, in one run, on the synthetic
 * clustered set and Fashion-MNIST. One JSON line per measurement on stdout, then one summary line
 * per dataset that says whether the bar is met: at recall@10 ≥ 0.95, Hektor over REST reaches
 * ≥ 50% of the raw library's single-thread in-process QPS. The raw library is measured twice on
 * the identical graph: as hnswlib-node builds it (the baseline) and as Hektor compiles it
 * (bench/raw-same-build.ts, `-march=native`); the summary gives the verdict against each.
 *
 * Memory: one `phase: "memory"` line per dataset with the resident bytes per point that loading
 * the collection adds to the Hektor node (VmRSS after the REST load minus VmRSS before the
 * collection is created, over the points), against the same figure of the bare HTTP ceiling
 * process loading the raw hnswlib-node index (see below), and the raw vector bytes (dim × 4).
 *
 * In the same run, the "bare HTTP ceiling" (bench/bare-http-server.ts: the same hnswlib-node
 * index behind the plainest node:http server, in a child process) is measured with the same
 * client at the same ef values and client counts, as engine `bare-http-hnswlib`: what the best
 * possible Node HTTP server over the library reaches on this machine, so that Hektor's REST
 * figures can be read against what HTTP alone allows, and the bar against what is reachable.
 *
 *   npm run bench:search -- --dataset synthetic|fashion-mnist|all --size N --queries Q
 *     --efs 16,32,64,128,256 --clients 1,8 --quick --seconds S
 *     --client auto|node-http|undici-fetch|undici --no-ceiling
 *     --raw-only --index-layer --server-cpu-prof DIR
 *
 *   --client      REST client; `auto` (default) calibrates them all and keeps the one that costs
 *                 the bench process the least CPU per request
 *   --load        node|wrk|both (default both): which load generator drives the REST figures.
 *                 `node` is the client above; `wrk` (bench/wrk.ts, the Debian package, installed
 *                 when missing) is a C load generator that takes far less CPU from the server's
 *                 cores. Every ef/client-count point is measured with each; a wrk point carries
 *                 the recall of the Node client's pass at the same ef on the same node. The
 *                 summary's verdicts are given per load generator; `bar_met` is wrk's when wrk
 *                 ran (the figure least disturbed by the load generator), else the Node client's.
 *   --no-ceiling  skip the bare HTTP ceiling
 *   --rounds N    measure every ef N times (default 1), in turn: raw, Hektor, ceiling at one ef,
 *                 then the next ef, then the next round. Each line carries its `round`; the
 *                 summary judges the median QPS of each engine × load × clients × ef over the
 *                 rounds, so that a burst of this machine's drift (±30% over seconds) moves one
 *                 round's figures, not the verdict
 */

import type { HierarchicalNSW as NativeHnsw } from 'hnswlib-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagBool, flagIntList, flagNumber, flagString, parseFlags } from './args.js';
import { loadDatasets, selectionFromFlags, type Dataset } from './datasets.js';
import { groundTruth, passFields, type GroundTruth } from './ground-truth.js';
import { buildHektorIndex, INDEX_ENGINE, measureHektorIndex } from './hektor-index.js';
import { HektorServer } from './hektor-server.js';
import { createCollection, measureFloor, measureRestSearch, SEARCH_PATH, searchBody, upsertAll, vectorJson } from './hektor-rest.js';
import { buildRaw, measureRawSearch, RAW_ENGINE, type SearchMeasurement } from './raw-hnswlib.js';
import { loadSameBuild, measureSameBuild, SAME_BUILD_ENGINE } from './raw-same-build.js';
import { CLIENT_NAMES, createClient, type RestClient } from './rest-client.js';
import { emit, medianBy, note, nowMs, ownCpuMs, processRss, round, sleepMs } from './stats.js';
import { ensureWrk, runWrk } from './wrk.js';

/** Resident memory of a process, split as `processRss` returns it. */
type Rss = ReturnType<typeof processRss>;

/** Recall@10 at which the bar is judged. */
const RECALL_BAR = 0.95;
/** Share of the raw single-thread QPS that Hektor over REST must reach. */
const QPS_RATIO_BAR = 0.5;
/** Points per upsert request while loading the collection. */
const LOAD_BATCH_POINTS = 500;
/** Sequential requests per client in the client calibration. */
const CALIBRATION_REQUESTS = 600;
/** Engine name of Hektor over REST in the JSON lines. */
const REST_ENGINE = 'hektor-rest';
/** Engine name of the bare HTTP ceiling in the JSON lines. */
const CEILING_ENGINE = 'bare-http-hnswlib';
/** The ceiling server's entry point (next to this file in dist/bench/). */
const CEILING_SCRIPT = fileURLToPath(new URL('./bare-http-server.js', import.meta.url));
/** How long the ceiling server may take to load the index and print its port. */
const CEILING_START_TIMEOUT_MS = 120_000;
/** How long the ceiling server may take to exit after SIGTERM before it is killed. */
const CEILING_STOP_TIMEOUT_MS = 5_000;
/** Pause after the REST load before the Hektor node's resident set is sampled again. */
const RSS_SETTLE_MS = 1_000;
/** Engine name of the raw library's side of the memory line. */
const MEMORY_BASELINE_ENGINE = `hnswlib-node (${CEILING_ENGINE} process)`;

const flags = parseFlags(process.argv.slice(2));
const quick = flagBool(flags, 'quick');
const efs = flagIntList(flags, 'efs', [16, 32, 64, 128, 256]);
const clientCounts = flagIntList(flags, 'clients', [1, 8]);
const minSeconds = flagNumber(flags, 'seconds', quick ? 1 : 3);
const clientChoice = flagString(flags, 'client') ?? 'auto';
const loadChoice = flagString(flags, 'load') ?? 'both';
if (!['node', 'wrk', 'both'].includes(loadChoice)) throw new Error(`--load must be node, wrk or both (got "${loadChoice}")`);
const rawOnly = flagBool(flags, 'raw-only');
const noCeiling = flagBool(flags, 'no-ceiling');
const indexLayer = flagBool(flags, 'index-layer');
const rounds = flagNumber(flags, 'rounds', 1);
if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer (got ${rounds})`);
const cpuProfileDir = flagString(flags, 'server-cpu-prof');
const date = new Date().toISOString();
/** Keep-alive connections per REST client: one per concurrent bench client. */
const socketsMax = Math.max(...clientCounts, 1);

/** One measured point: engine, clients, ef and the figures. */
interface Point {
  engine: string;
  clients: number;
  ef: number;
  m: SearchMeasurement;
  /** Which of the `--rounds` measured it (0-based). */
  round?: number;
}

/**
 * One point per engine × clients × ef: the one with the median QPS of its rounds (the lower of
 * the two middle ones for an even count), so that the summary judges typical figures.
 */
function medianPoints(points: readonly Point[]): Point[] {
  const groups = new Map<string, Point[]>();
  for (const p of points) {
    const key = `${p.engine}|${p.clients}|${p.ef}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [p]);
    else group.push(p);
  }
  return [...groups.values()].map((group) => medianBy(group, (p) => p.m.qps) ?? (group[0] as Point));
}

/** Name of the wrk load generator in the JSON lines' `client` field. */
const WRK_LOAD = 'wrk';
/** Requests of the Node client's HTTP-floor measurement; wrk's floor runs this many seconds. */
const FLOOR_REQUESTS = 3000;
const FLOOR_WRK_SECONDS = 3;

/** The REST figures driven by one load generator (the Node client, or wrk). */
interface LoadFigures {
  /** `node` or `wrk`. */
  load: string;
  /** Hektor over REST. */
  rest: Point[];
  /** The bare HTTP ceiling. */
  ceiling: Point[];
  /** QPS of `GET /readyz` on the Hektor node from one connection; NaN if not measured. */
  floorQps: number;
}

function searchLine(dataset: Dataset, point: Point, baseline: SearchMeasurement | undefined, extra: Record<string, unknown> = {}): void {
  const { engine, clients, ef, m } = point;
  emit({
    bench: 'search',
    dataset: dataset.name,
    engine,
    clients,
    ef,
    ...(point.round === undefined ? {} : { round: point.round }),
    ...passFields(m),
    server_cpu_us_per_query: round(m.serverCpuUsPerQuery, 1),
    client_cpu_us_per_query: round(m.clientCpuUsPerQuery, 1),
    ...(m.serverTimeP50Ms === undefined ? {} : { server_time_p50_ms: round(m.serverTimeP50Ms, 4), server_time_p99_ms: round(m.serverTimeP99Ms ?? Number.NaN, 4) }),
    ...extra,
    ...(baseline === undefined
      ? {}
      : {
          baseline: { engine: RAW_ENGINE, clients: 1, qps: round(baseline.qps, 1), recall_at_10: round(baseline.recallAt10, 4) },
          ratio_to_baseline: round(m.qps / baseline.qps, 3),
          cpu_ratio_to_baseline: round(cpuRatio(point, baseline), 3),
        }),
    date,
  });
}

/**
 * The QPS ratio that CPU time alone predicts, steadier than the wall-clock ratio when other
 * processes share the cores. One client waits for each reply, so its round trip is at least
 * server + client CPU; with several clients the single-threaded server's CPU is the limit.
 */
function cpuRatio(point: Point, baseline: SearchMeasurement): number {
  // In-process engines report the same CPU as server and client; REST ones two processes.
  const inProcess = point.engine !== REST_ENGINE && point.engine !== CEILING_ENGINE;
  const perQueryUs = point.clients === 1 && !inProcess ? point.m.serverCpuUsPerQuery + point.m.clientCpuUsPerQuery : point.m.serverCpuUsPerQuery;
  return baseline.serverCpuUsPerQuery / perQueryUs;
}

/** The fastest point at recall ≥ the bar, or undefined. */
function bestAtRecall(points: readonly Point[]): Point | undefined {
  let best: Point | undefined;
  for (const p of points) if (p.m.recallAt10 >= RECALL_BAR && (best === undefined || p.m.qps > best.m.qps)) best = p;
  return best;
}

/** Sends `requests` sequential searches at the smallest ef; throws on anything but a 200. */
async function sequentialSearches(client: RestClient, queryJson: readonly string[], dataset: Dataset, requests: number): Promise<void> {
  for (let i = 0; i < requests; i++) {
    const reply = await client.send('POST', SEARCH_PATH, searchBody(queryJson[i % dataset.queryCount]!, Math.min(...efs)));
    if (reply.status !== 200) throw new Error(`search → ${reply.status}: ${reply.text.slice(0, 300)}`);
    JSON.parse(reply.text);
  }
}

async function pickClient(server: HektorServer, queryJson: readonly string[], dataset: Dataset): Promise<RestClient> {
  if (clientChoice !== 'auto') return createClient(clientChoice, server.url, socketsMax);
  // Every client sends the same sequential searches at the smallest ef (where per-request
  // overhead weighs most). The one that spends less client CPU per request is used for every
  // REST figure: CPU time is steadier than wall-clock QPS on a shared machine, and client CPU
  // is what the bench process takes away from the server on the same cores.
  const results = CLIENT_NAMES.map((name) => ({ client: createClient(name, server.url, socketsMax), qps: 0, cpuUs: 0 }));
  // Two rounds, alternating the clients; the second round is the measured one, so that no
  // client pays alone for warming the server or for garbage left by the load phase.
  for (let pass = 0; pass < 2; pass++) {
    for (const r of results) {
      const startMs = nowMs();
      const cpuStartMs = ownCpuMs();
      await sequentialSearches(r.client, queryJson, dataset, CALIBRATION_REQUESTS);
      r.qps = CALIBRATION_REQUESTS / ((nowMs() - startMs) / 1000);
      r.cpuUs = ((ownCpuMs() - cpuStartMs) * 1000) / CALIBRATION_REQUESTS;
    }
  }
  for (const r of results) {
    emit({ bench: 'search', phase: 'client-calibration', dataset: dataset.name, client: r.client.name, ef: Math.min(...efs), clients: 1, qps: round(r.qps, 1), client_cpu_us_per_request: round(r.cpuUs, 1), date });
  }
  results.sort((a, b) => a.cpuUs - b.cpuUs);
  for (const r of results.slice(1)) r.client.close();
  note(`REST client: ${results[0]!.client.name}`);
  return results[0]!.client;
}

/**
 * The bare HTTP ceiling child (bench/bare-http-server.ts) serving a copy of the raw index saved
 * in a temporary directory. stop() kills it and removes the directory; a process 'exit' hook
 * does the same synchronously should the bench end without stop(), and the child exits by
 * itself when its stdin (a pipe from this process) closes.
 */
class CeilingServer {
  private port = 0;
  /** The child's resident bytes just before it created the index (NaN if it did not say). */
  private rssBefore = Number.NaN;
  /** The child's resident bytes just after `readIndexSync` returned (NaN if it did not say). */
  private rssAfter = Number.NaN;
  private readonly child: ChildProcess;
  private readonly dir: string;
  private readonly exited: Promise<void>;
  private hasExited = false;
  private output = '';
  private readonly onExit = () => this.killNow();

  private constructor(dir: string, file: string, dataset: Dataset) {
    process.on('exit', this.onExit);
    this.dir = dir;
    const space = dataset.distance === 'Cosine' ? 'cosine' : 'l2';
    this.child = spawn(process.execPath, [CEILING_SCRIPT, '--index', file, '--space', space, '--dim', String(dataset.dim)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString('utf8')).slice(-8192)));
    this.exited = new Promise((resolve) => this.child.once('exit', () => {
      this.hasExited = true;
      resolve();
    }));
  }

  /** Saves the index, starts the child and waits for its port. */
  static async start(index: NativeHnsw, dataset: Dataset): Promise<CeilingServer> {
    const dir = mkdtempSync(join(tmpdir(), 'hektor-bench-ceiling-'));
    const file = join(dir, 'raw.index');
    try {
      index.writeIndexSync(file);
    } catch (e: unknown) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const ceiling = new CeilingServer(dir, file, dataset);
    try {
      const ready = await ceiling.readPort();
      ceiling.port = ready.port;
      ceiling.rssBefore = ready.rssBeforeLoad;
      ceiling.rssAfter = ready.rssAfterLoad;
      return ceiling;
    } catch (e: unknown) {
      await ceiling.stop();
      throw e;
    }
  }

  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The child's process id, for CPU accounting. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The child's resident bytes before and after it loaded the index (NaN where unknown). */
  get loadRss(): { before: number; after: number } {
    return { before: this.rssBefore, after: this.rssAfter };
  }

  private readPort(): Promise<{ port: number; rssBeforeLoad: number; rssAfterLoad: number }> {
    return new Promise((resolve, reject) => {
      let line = '';
      const timer = setTimeout(() => reject(new Error(`the ceiling server printed no port within ${CEILING_START_TIMEOUT_MS} ms:\n${this.output}`)), CEILING_START_TIMEOUT_MS);
      this.child.stdout?.on('data', (chunk: Buffer) => {
        line += chunk.toString('utf8');
        const end = line.indexOf('\n');
        if (end < 0) return;
        clearTimeout(timer);
        let ready: { port?: unknown; rss_before_load?: unknown; rss_after_load?: unknown } = {};
        try {
          ready = JSON.parse(line.slice(0, end)) as typeof ready;
        } catch {
          // Not JSON: reported below.
        }
        const bytes = (value: unknown) => (typeof value === 'number' ? value : Number.NaN);
        const { port } = ready;
        if (typeof port === 'number') resolve({ port, rssBeforeLoad: bytes(ready.rss_before_load), rssAfterLoad: bytes(ready.rss_after_load) });
        else reject(new Error(`the ceiling server printed no port: ${line.slice(0, end)}`));
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the ceiling server exited before it listened:\n${this.output}`));
      });
    });
  }

  /** SIGTERM (SIGKILL after a timeout), wait for exit, remove the temporary directory. */
  async stop(): Promise<void> {
    if (!this.hasExited) {
      this.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), CEILING_STOP_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    this.killNow();
  }

  private killNow(): void {
    if (!this.hasExited) this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
    process.removeListener('exit', this.onExit);
  }
}

async function benchDataset(dataset: Dataset): Promise<void> {
  const truth: GroundTruth = await groundTruth(dataset);
  note(`${dataset.name}: building the raw hnswlib-node index`);
  const raw = buildRaw(dataset);
  emit({ bench: 'search', phase: 'build', dataset: dataset.name, engine: RAW_ENGINE, points: dataset.baseCount, seconds: round(raw.buildSeconds, 2), points_per_s: round(raw.pointsPerSecond, 1), cpu_us_per_point: round(raw.cpuUsPerPoint, 1), date });
  const sameBuild = loadSameBuild(raw.index, dataset);
  const rawPoints: Point[] = [];
  const sameBuildPoints: Point[] = [];
  const loads: LoadFigures[] = [];
  const layer = indexLayer ? buildHektorIndex(dataset) : undefined;
  if (layer) emit({ bench: 'search', phase: 'build', dataset: dataset.name, engine: INDEX_ENGINE, points: dataset.baseCount, points_per_s: round(layer.pointsPerSecond, 1), baseline: { engine: RAW_ENGINE, points_per_s: round(raw.pointsPerSecond, 1) }, date });
  const measureRaw = (ef: number, roundNo: number) => {
    const m = measureRawSearch(dataset, truth, raw.index, ef, minSeconds);
    rawPoints.push({ engine: RAW_ENGINE, clients: 1, ef, m, round: roundNo });
    searchLine(dataset, rawPoints.at(-1)!, undefined);
    sameBuildPoints.push({ engine: SAME_BUILD_ENGINE, clients: 1, ef, m: measureSameBuild(dataset, truth, sameBuild, ef, minSeconds), round: roundNo });
    searchLine(dataset, sameBuildPoints.at(-1)!, m);
    if (layer) searchLine(dataset, { engine: INDEX_ENGINE, clients: 1, ef, m: measureHektorIndex(dataset, truth, layer.index, ef, minSeconds), round: roundNo }, m);
    return m;
  };
  if (rawOnly) {
    for (let roundNo = 0; roundNo < rounds; roundNo++) for (const ef of efs) measureRaw(ef, roundNo);
  } else {
    const ceiling = noCeiling ? undefined : await CeilingServer.start(raw.index, dataset);
    try {
      loads.push(...(await benchRest(dataset, truth, raw.pointsPerSecond, measureRaw, ceiling)));
    } finally {
      await ceiling?.stop();
    }
  }
  sameBuild.close();
  summarise(dataset, rawPoints, sameBuildPoints, loads);
}

/**
 * Loads the collection into a fresh Hektor node, picks the REST client, then for each ef
 * measures the raw index, Hektor over REST and (when running) the bare HTTP ceiling, in that
 * order, so that the three sides of each ratio see the same machine load; each REST point is
 * measured with every load generator `--load` names. Returns the figures per load generator.
 */
async function benchRest(
  dataset: Dataset,
  truth: GroundTruth,
  rawPointsPerSecond: number,
  measureRaw: (ef: number, roundNo: number) => SearchMeasurement,
  ceiling: CeilingServer | undefined,
): Promise<LoadFigures[]> {
  const server = await HektorServer.start({ cpuProfileDir });
  const byNode: LoadFigures = { load: 'node', rest: [], ceiling: [], floorQps: Number.NaN };
  const byWrk: LoadFigures = { load: WRK_LOAD, rest: [], ceiling: [], floorQps: Number.NaN };
  const withWrk = loadChoice !== 'node' && ensureWrk();
  if (loadChoice === 'wrk' && !withWrk) throw new Error('--load wrk: wrk is not available');
  const withNode = loadChoice !== 'wrk';
  try {
    const rssBefore = processRss(server.pid);
    const loader = createClient('node-http', server.url, 1);
    await createCollection(loader, dataset);
    note(`${dataset.name}: upserting ${dataset.baseCount} points over REST in batches of ${LOAD_BATCH_POINTS}`);
    const ingest = await upsertAll(loader, dataset, { batchSize: LOAD_BATCH_POINTS, serverPid: server.pid });
    loader.close();
    // Sampled right after the load and again after a pause (deferred work, e.g. a GC, may move
    // it either way); the later sample is the one reported, the first only noted.
    const rssJustAfter = processRss(server.pid).total;
    await sleepMs(RSS_SETTLE_MS);
    const rssAfter = processRss(server.pid);
    note(`${dataset.name}: hektor RSS ${rssBefore.total} → ${rssJustAfter} bytes right after the load, ${rssAfter.total} after ${RSS_SETTLE_MS} ms`);
    emit({
      bench: 'search', phase: 'build', dataset: dataset.name, engine: REST_ENGINE, batch_points: LOAD_BATCH_POINTS, points: ingest.points,
      seconds: round(ingest.seconds, 2), server_cpu_us_per_point: round(ingest.serverCpuUsPerPoint, 1), points_per_s: round(ingest.pointsPerSecond, 1), batch_p50_ms: round(ingest.p50Ms, 2), batch_p99_ms: round(ingest.p99Ms, 2),
      baseline: { engine: RAW_ENGINE, points_per_s: round(rawPointsPerSecond, 1) }, ratio_to_baseline: round(ingest.pointsPerSecond / rawPointsPerSecond, 3), date,
    });
    memoryLine(dataset, ingest.points, rssBefore, rssAfter, ceiling);
    const queryJson = vectorJson(dataset.queries, dataset.dim, dataset.queryCount);
    const client = await pickClient(server, queryJson, dataset);
    // The ceiling gets its own instance of the same kind of client (its own connections).
    const ceilingClient = ceiling === undefined ? undefined : createClient(client.name, ceiling.url, socketsMax);
    try {
      const floorLine = (engine: string, load: string, f: { qps: number; p50Ms: number; serverCpuUsPerRequest: number; clientCpuUsPerRequest: number }) =>
        emit({
          bench: 'search', phase: 'http-floor', dataset: dataset.name, engine, endpoint: 'GET /readyz', client: load, clients: 1,
          qps: round(f.qps, 1), p50_ms: round(f.p50Ms, 4), server_cpu_us_per_request: round(f.serverCpuUsPerRequest, 1), client_cpu_us_per_request: round(f.clientCpuUsPerRequest, 1), date,
        });
      const wrkFloor = async (url: string, pid: number) => {
        const w = await runWrk({ baseUrl: url, method: 'GET', path: '/readyz', bodies: [], connections: 1, seconds: FLOOR_WRK_SECONDS, serverPid: pid });
        return { qps: w.qps, p50Ms: w.p50Ms, serverCpuUsPerRequest: w.serverCpuUsPerQuery, clientCpuUsPerRequest: w.clientCpuUsPerQuery };
      };
      const floor = await measureFloor(client, FLOOR_REQUESTS, server.pid);
      floorLine(REST_ENGINE, client.name, floor);
      byNode.floorQps = floor.qps;
      if (withWrk) {
        const f = await wrkFloor(server.url, server.pid);
        floorLine(REST_ENGINE, WRK_LOAD, f);
        byWrk.floorQps = f.qps;
      }
      if (ceiling !== undefined && ceilingClient !== undefined) {
        floorLine(CEILING_ENGINE, ceilingClient.name, await measureFloor(ceilingClient, FLOOR_REQUESTS, ceiling.pid));
        if (withWrk) floorLine(CEILING_ENGINE, WRK_LOAD, await wrkFloor(ceiling.url, ceiling.pid));
        // As many searches as the client calibration sent Hektor, so that the ceiling's first ef
        // is not the only one measured on a cold JIT.
        await sequentialSearches(ceilingClient, queryJson, dataset, 2 * CALIBRATION_REQUESTS * CLIENT_NAMES.length);
      }
      // One engine at one ef: the Node client's points (which measure recall) then wrk's, which
      // carry the recall of the Node client's 1-client pass at the same ef.
      const measureEngine = async (engine: string, url: string, pid: number, nodeClient: RestClient, baseline: SearchMeasurement, ef: number, roundNo: number) => {
        const bodies = queryJson.map((v) => searchBody(v, ef));
        let recallAt10 = Number.NaN;
        for (const clients of withNode ? clientCounts : [1]) {
          // The recall pass always runs (one pass over the queries) even when only wrk is timed.
          const m = await measureRestSearch(nodeClient, dataset, truth, queryJson, ef, clients, withNode ? minSeconds : 0, pid);
          recallAt10 = m.recallAt10;
          if (!withNode) continue;
          const point = { engine, clients, ef, m, round: roundNo };
          (engine === REST_ENGINE ? byNode.rest : byNode.ceiling).push(point);
          searchLine(dataset, point, baseline, { client: nodeClient.name });
        }
        if (!withWrk) return;
        for (const clients of clientCounts) {
          const w = await runWrk({ baseUrl: url, method: 'POST', path: SEARCH_PATH, bodies, connections: clients, seconds: minSeconds, serverPid: pid });
          const m: SearchMeasurement = { ...w, recallAt10, queriesTimed: w.requests };
          const point = { engine, clients, ef, m, round: roundNo };
          (engine === REST_ENGINE ? byWrk.rest : byWrk.ceiling).push(point);
          searchLine(dataset, point, baseline, { client: WRK_LOAD, recall_from: nodeClient.name });
        }
      };
      for (let roundNo = 0; roundNo < rounds; roundNo++) {
        for (const ef of efs) {
          const baseline = measureRaw(ef, roundNo);
          await measureEngine(REST_ENGINE, server.url, server.pid, client, baseline, ef, roundNo);
          if (ceiling === undefined || ceilingClient === undefined) continue;
          await measureEngine(CEILING_ENGINE, ceiling.url, ceiling.pid, ceilingClient, baseline, ef, roundNo);
        }
      }
    } finally {
      client.close();
      ceilingClient?.close();
    }
  } finally {
    await server.stop();
  }
  return [...(withNode ? [byNode] : []), ...(withWrk ? [byWrk] : [])];
}


/**
 * The memory line: resident bytes per point that the REST load added to the Hektor node, against
 * what loading the raw index added to the bare HTTP ceiling process (null without the ceiling).
 */
function memoryLine(dataset: Dataset, points: number, before: Rss, after: Rss, ceiling: CeilingServer | undefined): void {
  const perPoint = (after.total - before.total) / points;
  const raw = ceiling?.loadRss;
  const rawPerPoint = raw === undefined ? Number.NaN : (raw.after - raw.before) / dataset.baseCount;
  emit({
    bench: 'search',
    phase: 'memory',
    dataset: dataset.name,
    points,
    engine: REST_ENGINE,
    rss_before_bytes: before.total,
    rss_after_bytes: after.total,
    bytes_per_point: round(perPoint, 1),
    // Of which anonymous memory (heap, native) and mapped file pages (LMDB's map, reclaimable).
    anon_bytes_per_point: round((after.anon - before.anon) / points, 1),
    file_bytes_per_point: round((after.file - before.file) / points, 1),
    baseline: raw === undefined ? null : { engine: MEMORY_BASELINE_ENGINE, rss_before_bytes: raw.before, rss_after_bytes: raw.after, bytes_per_point: round(rawPerPoint, 1) },
    ratio_to_baseline: raw === undefined ? null : round(perPoint / rawPerPoint, 3),
    vector_bytes_per_point: dataset.dim * 4,
    date,
  });
}

function summarise(dataset: Dataset, rawRounds: readonly Point[], sameBuildRounds: readonly Point[], loadRounds: readonly LoadFigures[]): void {
  // Every verdict below is on the median round of each point (one round: the point itself).
  const rawPoints = medianPoints(rawRounds);
  const sameBuildPoints = medianPoints(sameBuildRounds);
  const loads = loadRounds.map((l) => ({ ...l, rest: medianPoints(l.rest), ceiling: medianPoints(l.ceiling) }));
  const rawBest = bestAtRecall(rawPoints);
  const sameBuildBest = bestAtRecall(sameBuildPoints);
  const bestOf = (points: readonly Point[], clients: number) => bestAtRecall(points.filter((p) => p.clients === clients));
  const verdict = (restPoints: readonly Point[], clients: number) => {
    const best = bestOf(restPoints, clients);
    if (best === undefined || rawBest === undefined) return { clients, met: false, reason: `no ef reached recall@10 ≥ ${RECALL_BAR}` };
    const ratio = best.m.qps / rawBest.m.qps;
    // Against the same hnswlib compiled as Hektor compiles it: the bar without the compiler's help.
    const sameBuildRatio = sameBuildBest === undefined ? null : best.m.qps / sameBuildBest.m.qps;
    return {
      clients, met: ratio >= QPS_RATIO_BAR, best_ef: best.ef, qps: round(best.m.qps, 1), recall_at_10: round(best.m.recallAt10, 4), p99_ms: round(best.m.p99Ms, 3), ratio_to_raw_best: round(ratio, 3),
      ratio_to_same_build_best: sameBuildRatio === null ? null : round(sameBuildRatio, 3), met_vs_same_build: sameBuildRatio !== null && sameBuildRatio >= QPS_RATIO_BAR,
    };
  };
  // The same ratio within each round (REST and raw measured minutes apart at most): the verdicts
  // above pair the median REST figure with the median raw one, which may come from other rounds.
  const pairedRatios = (restRounds: readonly Point[], clients: number): number[] => {
    const out: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const raw = bestAtRecall(rawRounds.filter((p) => (p.round ?? 0) === r));
      const rest = bestOf(
        restRounds.filter((p) => (p.round ?? 0) === r),
        clients,
      );
      if (raw !== undefined && rest !== undefined) out.push(rest.m.qps / raw.m.qps);
    }
    return out;
  };
  // The bare HTTP ceiling judged the same way: how close to the bar any Node HTTP server gets.
  const ceilingBest = (ceilingPoints: readonly Point[], clients: number) => {
    const best = bestOf(ceilingPoints, clients);
    if (best === undefined || rawBest === undefined) return { clients, reason: `no ef reached recall@10 ≥ ${RECALL_BAR}` };
    return { clients, best_ef: best.ef, qps: round(best.m.qps, 1), recall_at_10: round(best.m.recallAt10, 4), ratio_to_raw_best: round(best.m.qps / rawBest.m.qps, 3) };
  };
  // Hektor's best QPS over the ceiling's (each at its own best ef with recall ≥ the bar).
  const toCeiling = (figures: LoadFigures, clients: number) => {
    const rest = bestOf(figures.rest, clients);
    const top = bestOf(figures.ceiling, clients);
    return { clients, hektor_ef: rest?.ef ?? null, ceiling_ef: top?.ef ?? null, ratio: rest === undefined || top === undefined ? null : round(rest.m.qps / top.m.qps, 3) };
  };
  // One client waits for each answer before it asks again, so no search endpoint can answer it
  // faster than the node answers `GET /readyz`, which does nothing: when that floor is below the
  // bar's QPS, the 1-client bar is out of reach on this machine whatever the search costs.
  const floor = (figures: LoadFigures) =>
    rawBest === undefined || Number.isNaN(figures.floorQps)
      ? null
      : { endpoint: 'GET /readyz', qps: round(figures.floorQps, 1), bar_qps: round(QPS_RATIO_BAR * rawBest.m.qps, 1), ratio_to_raw_best: round(figures.floorQps / rawBest.m.qps, 3), bar_reachable: figures.floorQps >= QPS_RATIO_BAR * rawBest.m.qps };
  const perLoad = loads.map((figures, loadIndex) => {
    const withCeiling = figures.ceiling.length > 0;
    // Same-ef ratios: the cost of the REST path at equal work per query (and equal recall).
    const sameEf = figures.rest
      .filter((p) => p.clients === 1)
      .map((p) => {
        const r = rawPoints.find((q) => q.ef === p.ef);
        return { ef: p.ef, recall_at_10: round(p.m.recallAt10, 4), ratio: r === undefined ? null : round(p.m.qps / r.m.qps, 3) };
      });
    return {
      load: figures.load,
      rest: clientCounts.map((clients) => {
        const paired = pairedRatios(loadRounds[loadIndex]?.rest ?? [], clients);
        const pairedMedian = medianBy(paired, (x) => x);
        return { ...verdict(figures.rest, clients), paired_round_ratios: paired.map((x) => round(x, 3)), paired_median_ratio: pairedMedian === undefined ? null : round(pairedMedian, 3) };
      }),
      ceiling: withCeiling ? clientCounts.map((clients) => ceilingBest(figures.ceiling, clients)) : [],
      hektor_to_ceiling: withCeiling ? clientCounts.map((clients) => toCeiling(figures, clients)) : [],
      same_ef_ratio_1_client: sameEf,
      http_floor_1_client: floor(figures),
    };
  });
  // The same verdict with QPS predicted from CPU time (1e6 / µs per query), which other
  // sessions' load disturbs much less than wall-clock QPS on a shared machine (Node client).
  const cpuQps = (p: Point) => 1e6 / (p.clients === 1 && p.engine === REST_ENGINE ? p.m.serverCpuUsPerQuery + p.m.clientCpuUsPerQuery : p.m.serverCpuUsPerQuery);
  const bestByCpu = (points: readonly Point[]) =>
    points.filter((p) => p.m.recallAt10 >= RECALL_BAR).reduce<Point | undefined>((best, p) => (best === undefined || cpuQps(p) > cpuQps(best) ? p : best), undefined);
  const rawCpuBest = bestByCpu(rawPoints);
  const restCpuBest = bestByCpu(loads.find((l) => l.load === 'node')?.rest.filter((p) => p.clients === 1) ?? []);
  const cpuEstimate =
    rawCpuBest === undefined || restCpuBest === undefined
      ? null
      : { raw_ef: rawCpuBest.ef, rest_1_client_ef: restCpuBest.ef, ratio: round(cpuQps(restCpuBest) / cpuQps(rawCpuBest), 3), met: cpuQps(restCpuBest) / cpuQps(rawCpuBest) >= QPS_RATIO_BAR };
  // The headline verdict: wrk's when it ran (the load generator that takes the least CPU from
  // the server's cores), else the Node client's.
  const headline = perLoad.find((l) => l.load === WRK_LOAD) ?? perLoad[0];
  emit({
    bench: 'search',
    phase: 'summary',
    dataset: dataset.name,
    bar: `at recall@10 >= ${RECALL_BAR}, ${REST_ENGINE} QPS >= ${QPS_RATIO_BAR} x raw single-thread in-process QPS (best ef of each side)`,
    rounds,
    raw_best: rawBest === undefined ? null : { ef: rawBest.ef, qps: round(rawBest.m.qps, 1), recall_at_10: round(rawBest.m.recallAt10, 4) },
    same_build_best: sameBuildBest === undefined ? null : { engine: SAME_BUILD_ENGINE, ef: sameBuildBest.ef, qps: round(sameBuildBest.m.qps, 1), recall_at_10: round(sameBuildBest.m.recallAt10, 4) },
    by_load: rawOnly ? [] : perLoad,
    bar_load: headline?.load ?? null,
    // Per client count: { "1": met, "8": met }.
    bar_met: rawOnly || headline === undefined ? null : Object.fromEntries(headline.rest.map((v) => [String(v.clients), v.met])),
    bar_by_cpu_time_1_client: rawOnly ? null : cpuEstimate,
    date,
  });
}

const datasets = loadDatasets(selectionFromFlags(flags, 'all'));
if (datasets.length === 0) {
  note('no dataset to run');
  process.exitCode = 1;
}
for (const dataset of datasets) await benchDataset(dataset);
