/**
 * The `hektor` command: `serve` runs a node; `import` / `export` move points between files and a
 * running node; `cluster` starts, stops and shrinks clusters; `truncated` resolves truncated
 * replication entries.
 */

import { Command, InvalidArgumentError } from 'commander';
import { ERROR_CODES, HektorError, errorMessage, isHektorError, type ErrorCode } from '../base/errors.js';
import { loadConfig } from './config.js';
import { setSearchThreads } from '../index/native-hnsw.js';
import { exportFile, importFile } from './import-export.js';
import { clusterDown, clusterUp } from './local-cluster.js';
import { writeClusterCerts } from '../transport/certs.js';
import { HEKTOR_VERSION, HektorNode } from './node.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function fail(e: unknown): never {
  const code = isHektorError(e) ? e.code : 'internal';
  process.stderr.write(`hektor: ${errorMessage(e)} (${code})\n`);
  process.exit(isHektorError(e) ? 2 : 1);
}

const program = new Command();
program.name('hektor').description('Hektor: a distributed vector database').version(HEKTOR_VERSION);

program
  .command('serve')
  .description('run a node with embedded storage')
  .option('-c, --config <file>', 'YAML config file (keys: data_dir, host, http_port, log_level, shutdown_timeout_ms)')
  .option('--data-dir <dir>', 'data directory (default ./data, env HEKTOR_DATA_DIR)')
  .option('--host <host>', 'address to bind (default 127.0.0.1, env HEKTOR_HOST)')
  .option('--http-port <port>', 'REST port, 0 for any free port (default 6333, env HEKTOR_HTTP_PORT)', integer)
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (default info, env HEKTOR_LOG_LEVEL)')
  .option('--node-id <id>', 'node id (generated and kept in the data directory when absent)')
  .option('--grpc-port <port>', 'node-to-node gRPC port, 0 for any free port (default 6335)', integer)
  .option('--grpc-api-port <port>', 'public gRPC API port (off unless given; 0 for any free port)', integer)
  .option('--bootstrap', 'start a new cluster with this node as its only member (the default for an empty data directory)')
  .option('--peers <list>', 'static initial cluster: id@host:grpcPort,... including this node')
  .option('--join <host:port>', 'join an existing cluster through the gRPC address of any member')
  .option('--zone <zone>', 'zone label of this node (default "default")')
  .option('--cluster-id <name>', 'cluster name; nodes of another cluster are refused (default "hektor")')
  .option('--tls-ca <file>', 'cluster CA certificate (PEM): enables mutual TLS between nodes')
  .option('--tls-cert <file>', "this node's certificate (PEM), whose common name is the node id")
  .option('--tls-key <file>', "this node's private key (PEM)")
  .option('--heartbeat-interval-ms <ms>', 'node heartbeat interval (default 200)', integer)
  .option('--failure-timeout-ms <ms>', 'silence after which a node is declared dead (default 2000)', integer)
  .option('--raft-snapshot-entries <n>', 'applied metadata entries between Raft snapshots (default 1000)', integer)
  .option('--replica-timeout-ms <ms>', 'lag or silence after which a shard primary drops a follower from the in-sync set (default 1000)', integer)
  .option('--replication-log-retention-bytes <n>', 'shard log bytes kept for followers to catch up without a snapshot (default 67108864)', integer)
  .option('--search-threads <n>', 'threads that walk HNSW graphs for concurrent searches (default: cores - 1, env HEKTOR_SEARCH_THREADS)', integer)
  .option('--rereplicate-after-ms <ms>', 'how long a node stays dead before its shard replicas are re-created on other nodes; 0 never (default 60000)', integer)
  .action(async (opts: {
    config?: string; dataDir?: string; host?: string; httpPort?: number; logLevel?: string; nodeId?: string; grpcPort?: number; grpcApiPort?: number;
    bootstrap?: boolean; peers?: string; join?: string; zone?: string; clusterId?: string; tlsCa?: string; tlsCert?: string; tlsKey?: string;
    heartbeatIntervalMs?: number; failureTimeoutMs?: number; raftSnapshotEntries?: number; replicaTimeoutMs?: number; replicationLogRetentionBytes?: number; rereplicateAfterMs?: number;
    searchThreads?: number;
  }) => {
    let node: HektorNode;
    try {
      const config = loadConfig({
        file: opts.config,
        env: process.env,
        flags: {
          data_dir: opts.dataDir, host: opts.host, http_port: opts.httpPort, log_level: opts.logLevel, node_id: opts.nodeId,
          grpc_port: opts.grpcPort, grpc_api_port: opts.grpcApiPort, peers: opts.peers, join: opts.join, zone: opts.zone, cluster_id: opts.clusterId,
          tls_ca: opts.tlsCa, tls_cert: opts.tlsCert, tls_key: opts.tlsKey,
          heartbeat_interval_ms: opts.heartbeatIntervalMs, failure_timeout_ms: opts.failureTimeoutMs,
          raft_snapshot_entries: opts.raftSnapshotEntries,
          replica_timeout_ms: opts.replicaTimeoutMs, replication_log_retention_bytes: opts.replicationLogRetentionBytes,
          rereplicate_after_ms: opts.rereplicateAfterMs, search_threads: opts.searchThreads,
        },
      });
      // Before the first search, which starts the threads.
      setSearchThreads(config.searchThreads);
      node = await HektorNode.start(config);
    } catch (e: unknown) {
      fail(e);
    }
    const shutdown = (signal: string) => {
      node.logger.info({ signal }, 'signal received');
      node.stop().then(
        () => process.exit(0),
        (e: unknown) => {
          node.logger.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });

program
  .command('import')
  .description('import points from a JSONL ({id, vector, payload} per line) or .fvecs file')
  .requiredOption('--collection <name>', 'target collection (must exist)')
  .requiredOption('--file <path>', 'input file (.jsonl or .fvecs)')
  .option('--url <url>', 'node URL', 'http://127.0.0.1:6333')
  .option('--batch-size <n>', 'points per request', integer, 256)
  .option('--parallel <n>', 'upsert requests in flight (batches may land out of file order when > 1)', integer, 1)
  .action(async (opts: { collection: string; file: string; url: string; batchSize: number; parallel: number }) => {
    try {
      if (opts.batchSize < 1) throw new HektorError('invalid_request', '--batch-size must be at least 1');
      if (opts.parallel < 1 || opts.parallel > 64) throw new HektorError('invalid_request', '--parallel must be between 1 and 64');
      const tty = process.stderr.isTTY;
      const result = await importFile({
        ...opts,
        progress: (line, done) => process.stderr.write(tty ? `\r${line}${done ? '\n' : ''}` : `${line}\n`),
      });
      process.stdout.write(`${JSON.stringify({ imported: result.points, seconds: Number(result.seconds.toFixed(3)), points_per_second: Math.round(result.pointsPerSecond) })}\n`);
    } catch (e: unknown) {
      fail(e);
    }
  });

program
  .command('export')
  .description('export every point of a collection to JSONL')
  .requiredOption('--collection <name>', 'source collection')
  .requiredOption('--file <path>', 'output file')
  .option('--url <url>', 'node URL', 'http://127.0.0.1:6333')
  .action(async (opts: { collection: string; file: string; url: string }) => {
    try {
      const n = await exportFile({ ...opts, pageSize: 1000 });
      process.stdout.write(`${JSON.stringify({ exported: n, file: opts.file })}\n`);
    } catch (e: unknown) {
      fail(e);
    }
  });

program
  .command('certs')
  .description('generate a cluster CA and a certificate per node for mutual TLS between nodes (local use)')
  .requiredOption('--out <dir>', 'output directory (ca.pem, ca.key, <node>.pem, <node>.key)')
  .requiredOption('--nodes <ids>', 'comma-separated node ids; each certificate names its node id')
  .option('--hosts <list>', 'extra host names or IPs for the certificates (127.0.0.1 and localhost are always included)', '')
  .action((opts: { out: string; nodes: string; hosts: string }) => {
    try {
      const ids = opts.nodes.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (ids.length === 0 || ids.some((id) => !/^[A-Za-z0-9_.-]{1,64}$/.test(id))) {
        throw new HektorError('invalid_request', '--nodes takes node ids of 1..64 characters from A-Z a-z 0-9 _ . -');
      }
      const hosts = opts.hosts.split(',').map((s) => s.trim()).filter((s) => s !== '');
      const files = writeClusterCerts(opts.out, ids, hosts);
      process.stdout.write(`${JSON.stringify({ written: files })}\n`);
    } catch (e: unknown) {
      fail(e);
    }
  });

const cluster = program.command('cluster').description('manage a cluster');

cluster
  .command('up')
  .description('start a local cluster of node processes on 127.0.0.1 and print its endpoints')
  .option('--nodes <n>', 'number of nodes', integer, 3)
  .option('--dir <dir>', 'directory for data, logs and cluster.json', './hektor-cluster')
  .action(async (opts: { nodes: number; dir: string }) => {
    try {
      const description = await clusterUp(opts.dir, opts.nodes);
      for (const n of description.nodes) {
        process.stdout.write(`${n.id}  http://127.0.0.1:${n.httpPort}  grpc 127.0.0.1:${n.grpcPort}  pid ${n.pid}  log ${n.log}\n`);
      }
      process.stdout.write(`stop it with: hektor cluster down --dir ${opts.dir}\n`);
    } catch (e: unknown) {
      fail(e);
    }
  });

cluster
  .command('down')
  .description('stop the local cluster started by `hektor cluster up`')
  .option('--dir <dir>', 'the directory given to cluster up', './hektor-cluster')
  .option('--purge', 'also delete the nodes\' data')
  .action(async (opts: { dir: string; purge?: boolean }) => {
    try {
      const n = await clusterDown(opts.dir, opts.purge === true);
      process.stdout.write(`stopped ${n} nodes\n`);
    } catch (e: unknown) {
      fail(e);
    }
  });

/** Sends one JSON request to a node's REST API and returns `result`, or fails with the node's error. */
async function rest(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${url.replace(/\/+$/, '')}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const reply = (await response.json()) as { result?: unknown; status?: { error?: string; code?: string } | string };
  if (!response.ok) {
    const status = typeof reply.status === 'object' ? reply.status : undefined;
    // The node's own code when it is one of ours, so the CLI prints it as `(code)` once.
    const code = Object.keys(ERROR_CODES).find((c): c is ErrorCode => c === status?.code);
    if (code !== undefined) throw new HektorError(code, status?.error ?? response.statusText);
    throw new HektorError('cluster_unavailable', `${status?.error ?? response.statusText} (HTTP ${response.status})`);
  }
  return reply.result;
}

cluster
  .command('leave')
  .description('remove a node from the cluster (it stops receiving metadata; stop its process afterwards)')
  .requiredOption('--node-id <id>', 'the node to remove')
  .option('--url <url>', 'REST URL of any member', 'http://127.0.0.1:6333')
  .action(async (opts: { nodeId: string; url: string }) => {
    try {
      await rest(opts.url, 'DELETE', `/cluster/peer/${encodeURIComponent(opts.nodeId)}`);
      process.stdout.write(`${JSON.stringify({ removed: opts.nodeId })}\n`);
    } catch (e: unknown) {
      fail(e);
    }
  });

function idList(value: string): number[] {
  const ids = value.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (ids.length === 0 || ids.some((n) => !Number.isSafeInteger(n) || n < 0)) throw new InvalidArgumentError('expected a comma-separated list of entry ids, e.g. 1,2,3');
  return ids;
}

const truncated = program
  .command('truncated')
  .description('list, re-apply or drop the truncated entries of a collection (writes a replica removed after an async failover)');

truncated
  .command('list')
  .description('print every truncated entry of the collection, one JSON object per line')
  .requiredOption('--collection <name>', 'the collection')
  .option('--url <url>', 'REST URL of any member', 'http://127.0.0.1:6333')
  .action(async (opts: { collection: string; url: string }) => {
    try {
      const result = (await rest(opts.url, 'GET', `/collections/${encodeURIComponent(opts.collection)}/truncated`)) as { entries: unknown[] };
      for (const entry of result.entries) process.stdout.write(`${JSON.stringify(entry)}\n`);
    } catch (e: unknown) {
      fail(e);
    }
  });

for (const action of ['reapply', 'drop'] as const) {
  truncated
    .command(action)
    .description(action === 'reapply'
      ? 'write the operations of truncated entries again through the shard primary (as new writes), then remove them from the list'
      : 'remove truncated entries from the list without applying them')
    .requiredOption('--collection <name>', 'the collection')
    .requiredOption('--shard <n>', 'the shard the entries belong to', integer)
    .requiredOption('--peer <id>', 'the node whose replica kept the entries (peer_id in `truncated list`)')
    .requiredOption('--ids <list>', 'comma-separated entry ids (id in `truncated list`)', idList)
    .option('--url <url>', 'REST URL of any member', 'http://127.0.0.1:6333')
    .action(async (opts: { collection: string; shard: number; peer: string; ids: number[]; url: string }) => {
      try {
        const result = await rest(opts.url, 'POST', `/collections/${encodeURIComponent(opts.collection)}/truncated/${action}`, { shard: opts.shard, peer_id: opts.peer, ids: opts.ids });
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } catch (e: unknown) {
        fail(e);
      }
    });
}

await program.parseAsync(process.argv);
