/**
 * The composition root of one node: opens the catalog from the data directory, wires the REST
 * API, metrics and logs, listens, and shuts down gracefully (stop accepting, let in-flight
 * requests finish, flush and close every shard).
 */

import type { FastifyInstance } from 'fastify';
import { mkdirSync, readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { buildRestApi } from '../api/rest.js';
import { NodeMetrics } from '../api/metrics.js';
import { Catalog } from '../shard/catalog.js';
import type { NodeConfig } from './config.js';

/** The package version, read once from package.json. */
export const HEKTOR_VERSION: string = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A running node. */
export class HektorNode {
  readonly config: NodeConfig;
  readonly logger: Logger;
  private readonly catalog: Catalog;
  private readonly app: FastifyInstance;
  private ready = false;
  private stopping: Promise<void> | undefined;
  /** The REST port actually bound. */
  httpPort = 0;

  private constructor(config: NodeConfig, logger: Logger) {
    this.config = config;
    this.logger = logger;
    mkdirSync(config.dataDir, { recursive: true });
    const started = performance.now();
    this.catalog = Catalog.open(config.dataDir);
    logger.info({ collections: this.catalog.list().length, ms: Math.round(performance.now() - started) }, 'catalog loaded');
    const metrics = new NodeMetrics(this.catalog);
    this.app = buildRestApi({ catalog: this.catalog, metrics, logger, version: HEKTOR_VERSION, isReady: () => this.ready });
  }

  /** Opens the data directory and starts listening. */
  static async start(config: NodeConfig, logger: Logger = pino({ level: config.logLevel })): Promise<HektorNode> {
    const node = new HektorNode(config, logger);
    await node.app.listen({ host: config.host, port: config.httpPort });
    const address = node.app.server.address();
    node.httpPort = typeof address === 'object' && address !== null ? address.port : config.httpPort;
    node.ready = true;
    logger.info({ host: config.host, port: node.httpPort, dataDir: config.dataDir, version: HEKTOR_VERSION }, 'hektor listening');
    return node;
  }

  /** Stops accepting work, waits for in-flight requests, flushes and closes storage. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.ready = false;
    this.logger.info('shutting down');
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, this.config.shutdownTimeoutMs).unref());
    await Promise.race([this.app.close(), timeout]);
    await this.catalog.close();
    this.logger.info('stopped');
    this.logger.flush();
  }
}
