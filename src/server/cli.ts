/**
 * The `hektor` command: `serve` runs a node; `import` / `export` move points between files and a
 * running node.
 */

import { Command, InvalidArgumentError } from 'commander';
import { HektorError, errorMessage, isHektorError } from '../base/errors.js';
import { loadConfig } from './config.js';
import { exportFile, importFile } from './import-export.js';
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
  .action(async (opts: {
    config?: string; dataDir?: string; host?: string; httpPort?: number; logLevel?: string; nodeId?: string; grpcPort?: number;
    bootstrap?: boolean; peers?: string; join?: string; zone?: string; clusterId?: string; tlsCa?: string; tlsCert?: string; tlsKey?: string;
    heartbeatIntervalMs?: number; failureTimeoutMs?: number;
  }) => {
    let node: HektorNode;
    try {
      const config = loadConfig({
        file: opts.config,
        env: process.env,
        flags: {
          data_dir: opts.dataDir, host: opts.host, http_port: opts.httpPort, log_level: opts.logLevel, node_id: opts.nodeId,
          grpc_port: opts.grpcPort, peers: opts.peers, join: opts.join, zone: opts.zone, cluster_id: opts.clusterId,
          tls_ca: opts.tlsCa, tls_cert: opts.tlsCert, tls_key: opts.tlsKey,
          heartbeat_interval_ms: opts.heartbeatIntervalMs, failure_timeout_ms: opts.failureTimeoutMs,
        },
      });
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
  .action(async (opts: { collection: string; file: string; url: string; batchSize: number }) => {
    try {
      if (opts.batchSize < 1) throw new HektorError('invalid_request', '--batch-size must be at least 1');
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

await program.parseAsync(process.argv);
