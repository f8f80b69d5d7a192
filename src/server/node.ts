/**
 * The composition root of one node: opens the local catalog from the data directory, starts the
 * metadata plane (Raft over gRPC; a node on its own is a cluster of one), wires the REST API,
 * metrics and logs, listens, and shuts down gracefully (stop accepting, let in-flight requests
 * finish, flush and close every store).
 */

import type { FastifyInstance } from 'fastify';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { buildRestApi } from '../api/rest.js';
import { PublicGrpcServer } from '../api/grpc-api.js';
import { NodeMetrics } from '../api/metrics.js';
import { ClusterNode, type ClusterStart } from '../cluster/cluster-node.js';
import { ClusterCollections } from '../cluster/collections.js';
import { PointRouter } from '../cluster/router.js';
import { DEFAULT_REPLICATION_SETTINGS, ReplicaManager } from '../cluster/replicas.js';
import { Catalog } from '../shard/catalog.js';
import { loadTlsMaterial, requireTls13 } from '../transport/tls.js';
import type { NodeConfig } from './config.js';

/** The package version, read once from package.json. */
export const HEKTOR_VERSION: string = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The node id kept in the data directory, generated on first start unless configured. */
function resolveNodeId(dataDir: string, configured: string | undefined): string {
  const file = join(dataDir, 'node_id');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (configured !== undefined && configured !== stored) {
      throw new Error(`data directory ${dataDir} belongs to node "${stored}", not "${configured}"`);
    }
    return stored;
  }
  const id = configured ?? `node-${randomBytes(4).toString('hex')}`;
  writeFileSync(file, `${id}\n`);
  return id;
}

/** A running node. */
export class HektorNode {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly cluster: ClusterNode;
  private readonly catalog: Catalog;
  private readonly app: FastifyInstance;
  /** The replication runtime of this node. */
  readonly replicas: ReplicaManager;
  private publicGrpc: PublicGrpcServer | undefined;
  private ready = false;
  private stopping: Promise<void> | undefined;
  /** The REST port actually bound. */
  httpPort = 0;

  /** The public gRPC API port, when enabled. */
  get grpcApiPort(): number | undefined {
    return this.publicGrpc?.port;
  }

  private constructor(config: NodeConfig, logger: Logger, catalog: Catalog, cluster: ClusterNode, app: FastifyInstance, replicas: ReplicaManager) {
    this.config = config;
    this.replicas = replicas;
    this.logger = logger;
    this.catalog = catalog;
    this.cluster = cluster;
    this.app = app;
  }

  /** Opens the data directory, joins or forms the cluster and starts listening. */
  static async start(config: NodeConfig, logger: Logger = pino({ level: config.logLevel })): Promise<HektorNode> {
    mkdirSync(config.dataDir, { recursive: true });
    const nodeId = resolveNodeId(config.dataDir, config.nodeId);
    const started = performance.now();
    const catalog = Catalog.open(config.dataDir, { gated: true });
    logger.info({ collections: catalog.list().length, ms: Math.round(performance.now() - started) }, 'catalog loaded');
    const tls = config.tls === undefined ? undefined : loadTlsMaterial(config.tls);
    if (tls !== undefined) requireTls13();

    // The REST server binds first so that its address is known to the cluster metadata.
    const holder: { collections?: ClusterCollections; cluster?: ClusterNode; router?: PointRouter; replicas?: ReplicaManager; node?: HektorNode } = {};
    const metrics = new NodeMetrics(catalog, () => holder.cluster?.status(), () => holder.replicas);
    const app = buildRestApi({
      get collections() {
        if (holder.collections === undefined) throw new Error('collections used before start');
        return holder.collections;
      },
      get cluster() {
        if (holder.cluster === undefined) throw new Error('cluster used before start');
        return holder.cluster;
      },
      get router() {
        if (holder.router === undefined) throw new Error('router used before start');
        return holder.router;
      },
      get replicas() {
        if (holder.replicas === undefined) throw new Error('replicas used before start');
        return holder.replicas;
      },
      metrics,
      logger,
      version: HEKTOR_VERSION,
      isReady: () => holder.node?.ready ?? false,
    });
    await app.listen({ host: config.host, port: config.httpPort });
    const address = app.server.address();
    const httpPort = typeof address === 'object' && address !== null ? address.port : config.httpPort;

    const start: ClusterStart = config.join !== undefined ? { kind: 'join', address: config.join }
      : config.peers.length > 0 ? { kind: 'peers', peers: config.peers }
      : { kind: 'bootstrap' };
    const cluster = await ClusterNode.start(
      {
        nodeId,
        dataDir: config.dataDir,
        grpcListen: `${config.host}:${config.grpcPort}`,
        httpAddress: `${config.host}:${httpPort}`,
        zone: config.zone,
        clusterId: config.clusterId,
        start,
        ...(tls === undefined ? {} : { tls }),
        tickMs: config.raftTickMs,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        failureTimeoutMs: config.failureTimeoutMs,
        snapshotEntries: config.raftSnapshotEntries,
        logger,
      },
      (c) => {
        const collections = new ClusterCollections(c, catalog, logger);
        holder.collections = collections;
        holder.cluster = c;
        const router = new PointRouter(c, collections);
        holder.router = router;
        c.metadata.onEvent((event) => collections.handle(event));
        const replicas = new ReplicaManager(c, collections, logger, {
          ...DEFAULT_REPLICATION_SETTINGS,
          limits: { ...DEFAULT_REPLICATION_SETTINGS.limits, followerTimeoutMs: config.replicaTimeoutMs },
          logRetentionBytes: config.replicationLogRetentionBytes,
          rereplicateAfterMs: config.rereplicateAfterMs,
        });
        replicas.onReapply((name, op) => router.reapply(name, op));
        holder.replicas = replicas;
      },
    );
    if (holder.collections === undefined || holder.replicas === undefined) throw new Error('cluster start did not attach the collection manager');
    holder.replicas.start();
    // A node that forms its own cluster is usable once it leads and has registered itself; a node
    // joining others becomes usable whenever the cluster admits it (readiness shows it).
    if (start.kind === 'bootstrap' && !(await cluster.waitRegistered(10_000))) logger.warn('not yet registered in the cluster metadata');
    const node = new HektorNode(config, logger, catalog, cluster, app, holder.replicas);
    holder.node = node;
    node.httpPort = httpPort;
    if (config.grpcApiPort !== undefined) {
      const publicGrpc = new PublicGrpcServer();
      const collections = holder.collections;
      const router = holder.router;
      if (router === undefined) throw new Error('cluster start did not attach the point router');
      await publicGrpc.start(config.host, config.grpcApiPort, () => collections, () => router, logger);
      node.publicGrpc = publicGrpc;
    }
    node.ready = true;
    logger.info(
      { host: config.host, port: httpPort, grpcAddress: cluster.grpcAddress, nodeId, dataDir: config.dataDir, version: HEKTOR_VERSION },
      'hektor listening',
    );
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
    await Promise.race([Promise.all([this.app.close(), this.publicGrpc?.stop()]), timeout]);
    await this.replicas.stop();
    await this.cluster.stop();
    await this.catalog.close();
    this.logger.info('stopped');
    this.logger.flush();
  }
}
