/**
 * Multi-node test clusters of real `hektor serve` processes on 127.0.0.1: fixed gRPC ports picked
 * free (static `--peers` needs them before start), optional fault proxies between every pair of
 * nodes, polling with deadlines, and cleanup of every process, proxy and directory even when a
 * test fails (and a last-resort SIGKILL of live children when the test process exits).
 */

import { freePort } from '../../src/server/local-cluster.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ProxyMesh } from './fault-proxy.js';
import { http, tempDir } from './node.js';

const BIN = new URL('../../../bin/hektor.js', import.meta.url).pathname;
/** Log lines kept per process for failure messages. */
const LOG_LINES_MAX = 200;
/** How long a restart retries a gRPC port that is in use (see NodeProcess.start). */
const BIND_RETRY_MS = 10_000;
/** Pause between two such attempts. */
const BIND_RETRY_PAUSE_MS = 250;

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A free TCP port on 127.0.0.1 (the same helper `hektor cluster up` uses). */
export { freePort };

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 50): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e: unknown) {
      lastError = e instanceof Error ? e.message : String(e);
    }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError === '' ? '' : ` (last error: ${lastError})`}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The parts of `GET /cluster` the tests read. */
export interface ClusterInfo {
  peerId: string;
  term: number;
  commit: number;
  applied: number;
  leader: string | null;
  role: string;
  voters: string[];
  learners: string[];
  peers: Record<string, { state: string; grpc: string }>;
}

/** Reads `GET /cluster` from `url`; throws on a non-200 answer. */
export async function clusterInfo(url: string): Promise<ClusterInfo> {
  const { status, json } = await http(url, 'GET', '/cluster');
  if (status !== 200) throw new Error(`GET /cluster answered ${status}: ${JSON.stringify(json)}`);
  const result = (json as { result: { peer_id: string; raft_info: Record<string, unknown>; peers: Record<string, { state: string; grpc: string }> } }).result;
  const r = result.raft_info;
  return {
    peerId: result.peer_id,
    term: Number(r.term),
    commit: Number(r.commit),
    applied: Number(r.applied),
    leader: typeof r.leader === 'string' && r.leader !== '' ? r.leader : null,
    role: String(r.role),
    voters: (r.voters as string[]).slice().sort(),
    learners: (r.learners as string[]).slice().sort(),
    peers: result.peers,
  };
}

/** Names of the collections `url` lists. */
export async function collectionNames(url: string): Promise<string[]> {
  const { status, json } = await http(url, 'GET', '/collections');
  if (status !== 200) throw new Error(`GET /collections answered ${status}`);
  return (json as { result: { collections: { name: string }[] } }).result.collections.map((c) => c.name).sort();
}

/** Creates a small collection through `url`; returns the HTTP status and body. */
export function createCollection(url: string, name: string): Promise<{ status: number; json: unknown }> {
  return http(url, 'PUT', `/collections/${name}`, { vectors: { size: 4, distance: 'Dot' }, shard_number: 1 });
}

/** One shard of `GET /collections/{name}/cluster` (the fields tests and benchmarks read). */
export interface ShardReplication {
  shard_id: number;
  primary: string;
  epoch: number;
  version: number;
  in_sync: string[];
  last_seq: number | null;
  truncated_entries: number;
  complete: boolean;
  replicas: { peer_id: string; role: string; state: string; in_sync: boolean; acked_seq: number | null; lag_ops: number | null; lag_ms: number | null }[];
}

/** Shard `shard` of a collection as `node` reports it (its committed shard map and the primary's lag figures). */
export async function shardReplication(node: { url: string; id: string }, name: string, shard = 0): Promise<ShardReplication> {
  const { status, json } = await http(node.url, 'GET', `/collections/${name}/cluster`);
  if (status !== 200) throw new Error(`${node.id}: GET /collections/${name}/cluster answered ${status}: ${JSON.stringify(json)}`);
  const found = (json as { result: { shards: ShardReplication[] } }).result.shards.find((s) => s.shard_id === shard);
  if (found === undefined) throw new Error(`${node.id}: no shard ${shard} in ${name}`);
  return found;
}

/** One `hektor serve` child process. */
export class NodeProcess {
  readonly id: string;
  readonly dataDir: string;
  readonly grpcPort: number;
  private readonly args: () => string[];
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  /** Recent log lines (for failure messages). */
  readonly logs: string[] = [];
  /** REST base URL of the current incarnation. */
  url = '';

  /** `args` is called at every start, so a restart reuses the same flags. */
  constructor(id: string, dataDir: string, grpcPort: number, args: () => string[]) {
    this.id = id;
    this.dataDir = dataDir;
    this.grpcPort = grpcPort;
    this.args = args;
  }

  /** This node's real gRPC address. */
  get grpcAddress(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts the process and resolves once it logs "hektor listening"; rejects if it exits first.
   *
   * A node keeps its gRPC port across restarts (the cluster knows it by that address), and the
   * port lies in the ephemeral range, so while the node is down the port can be taken for a
   * moment: by another test's free-port probe, or by another node's reconnect attempt that the
   * kernel gave this very port as its source (a loopback connection to itself). Such holders let
   * go within a second or so; a start that fails only because the port is in use is retried for
   * up to BIND_RETRY_MS.
   */
  async start(timeoutMs = 30_000): Promise<void> {
    const deadlineMs = performance.now() + BIND_RETRY_MS;
    for (;;) {
      try {
        await this.startOnce(timeoutMs);
        return;
      } catch (e: unknown) {
        if (!String(e).includes('EADDRINUSE') || performance.now() > deadlineMs) throw e;
        await new Promise((resolve) => setTimeout(resolve, BIND_RETRY_PAUSE_MS));
      }
    }
  }

  private async startOnce(timeoutMs: number): Promise<void> {
    const argv = [BIN, 'serve', '--data-dir', this.dataDir, '--node-id', this.id, '--host', '127.0.0.1', '--http-port', '0', '--grpc-port', String(this.grpcPort), '--log-level', 'info', ...this.args()];
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }));
    const remember = (line: string): void => {
      this.logs.push(line);
      if (this.logs.length > LOG_LINES_MAX) this.logs.shift();
    };
    createInterface({ input: child.stderr }).on('line', remember);
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.id} did not start in ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs);
      createInterface({ input: child.stdout }).on('line', (line) => {
        remember(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg === 'hektor listening' && typeof entry.port === 'number') {
            clearTimeout(timer);
            resolve(entry.port);
          }
        } catch {
          // not a JSON log line
        }
      });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.id} exited with ${code} before listening:\n${this.tail()}`));
      });
    }).catch(async (e: unknown) => {
      await this.kill9();
      throw e;
    });
    this.url = `http://127.0.0.1:${port}`;
  }

  /** The exit code once the process ends (null when killed by a signal). */
  waitExit(): Promise<number | null> {
    return this.exited;
  }

  /** SIGKILL, then waits for the exit. */
  async kill9(): Promise<void> {
    if (this.running) this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** The process id while running (benchmarks read its CPU time from /proc). */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Sends `signal` (SIGSTOP, SIGCONT, ...) to the running process; a no-op once it has exited. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child?.kill(signal);
  }

  /** The last log lines, for assertion messages. */
  tail(lines = 30): string {
    return this.logs.slice(-lines).join('\n');
  }
}

/** Options of a test cluster. */
export interface TestClusterOptions {
  /** Node ids of the static initial cluster. */
  ids: readonly string[];
  /** Route node-to-node traffic through a ProxyMesh. */
  proxies?: boolean;
  /** Extra flags for node `id` (TLS files, timeouts). */
  extraArgs?: (id: string) => string[];
}

/** A static cluster of child processes plus whatever else a test adds; `close()` removes it all. */
export class TestCluster {
  readonly nodes = new Map<string, NodeProcess>();
  readonly mesh: ProxyMesh | undefined;
  private readonly dirs: { remove: () => void }[] = [];

  private constructor(mesh: ProxyMesh | undefined) {
    this.mesh = mesh;
  }

  /** Starts every node of a static `--peers` cluster and waits until they agree on a leader. */
  static async start(options: TestClusterOptions): Promise<TestCluster> {
    const real = new Map<string, string>();
    for (const id of options.ids) real.set(id, `127.0.0.1:${await freePort()}`);
    const mesh = options.proxies === true ? await ProxyMesh.start(real) : undefined;
    const extra = options.extraArgs ?? (() => []);
    const cluster = new TestCluster(mesh);
    try {
      const staticPeers = [...real].map(([id, address]) => `${id}@${address}`).join(',');
      for (const id of options.ids) {
        const port = Number(real.get(id)!.split(':')[1]);
        const peers = mesh === undefined ? staticPeers : mesh.peersArg(id);
        cluster.add(id, port, () => ['--peers', peers, ...extra(id)]);
      }
      await Promise.all([...cluster.nodes.values()].map((n) => n.start()));
      await cluster.waitLeader(30_000);
      // Members register themselves just after the election; placement only uses registered live
      // members, so a test that creates a collection must wait for all of them.
      await waitFor('every member registered and alive', 30_000, async () => {
        const infos = await Promise.all(cluster.running().map((n) => clusterInfo(n.url)));
        const complete = infos.every((info) => options.ids.every((id) => info.peers[id]?.state === 'alive'));
        return complete ? true : undefined;
      });
    } catch (e: unknown) {
      await cluster.close();
      throw e;
    }
    return cluster;
  }

  /** Registers (does not start) a node with its own temp dir. */
  add(id: string, grpcPort: number, args: () => string[]): NodeProcess {
    const dir = tempDir(`hektor-cluster-${id}-`);
    this.dirs.push(dir);
    const node = new NodeProcess(id, dir.path, grpcPort, args);
    this.nodes.set(id, node);
    return node;
  }

  /** A new node (not in the static list) that joins through `via` with `--join`. */
  async addJoiner(id: string, via: NodeProcess, extraArgs: string[] = []): Promise<NodeProcess> {
    const node = this.add(id, await freePort(), () => ['--join', via.grpcAddress, ...extraArgs]);
    return node;
  }

  /** The node with id `id`. */
  node(id: string): NodeProcess {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Running nodes. */
  running(): NodeProcess[] {
    return [...this.nodes.values()].filter((n) => n.running);
  }

  /**
   * Waits until every node in `among` (default: all running) names the same leader, which is one
   * of them and says it leads; returns that leader.
   */
  async waitLeader(timeoutMs: number, among: NodeProcess[] = this.running()): Promise<NodeProcess> {
    return waitFor(`one leader among ${among.map((n) => n.id).join(',')}`, timeoutMs, async () => {
      const infos = await Promise.all(among.map((n) => clusterInfo(n.url)));
      const leader = infos[0]?.leader;
      if (leader === null || leader === undefined || !infos.every((i) => i.leader === leader)) return undefined;
      const node = among.find((n) => n.id === leader);
      if (node === undefined) return undefined;
      const own = infos.find((i) => i.peerId === leader);
      return own?.role === 'Leader' ? node : undefined;
    });
  }

  /** Waits until `node` lists exactly `names` among its collections (or at least, with `subset`). */
  async waitCollections(node: NodeProcess, names: readonly string[], timeoutMs: number): Promise<void> {
    await waitFor(`${node.id} to list ${names.join(',')}`, timeoutMs, async () => {
      const listed = await collectionNames(node.url);
      return names.every((n) => listed.includes(n)) ? true : undefined;
    });
  }

  /** The last log lines of every node, for a failing test's output. */
  logTails(lines = 40): string {
    return [...this.nodes.values()].map((n) => `--- ${n.id} (${n.running ? 'running' : 'stopped'}):\n${n.tail(lines)}`).join('\n');
  }

  /** Kills every process, closes proxies and removes every directory. */
  async close(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.kill9()));
    await this.mesh?.close();
    for (const d of this.dirs) d.remove();
  }
}
