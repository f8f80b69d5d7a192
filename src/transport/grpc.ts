/**
 * gRPC plumbing for node-to-node calls: loading the services from `proto/`, one long-lived
 * channel per peer (reused, replaced only when the peer's address changes), deadlines on every
 * call, retries with capped exponential backoff and jitter for idempotent calls only, bounded
 * message sizes and keepalive so that a silent peer is detected and reconnected.
 */

import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { HektorError } from '../base/errors.js';
import type { Random } from '../base/prng.js';
import type { ProtoGrpcType as ClusterProto } from './generated/cluster.js';
import type { ProtoGrpcType as PointsProto } from './generated/points.js';
import type { ClusterClient } from './generated/hektor/cluster/v1/Cluster.js';
import { channelCredentials, type TlsMaterial } from './tls.js';

/** Bounds of node-to-node gRPC. */
export const GRPC_LIMITS = {
  /**
   * Largest message either way. A single shard log entry, or a point request forwarded to
   * another node, can be as large as a REST body (64 MiB of JSON); replication batches and
   * snapshot pages are cut far below this.
   */
  messageBytesMax: 128 * 1024 * 1024,
  /** Keepalive ping interval and how long to wait for its answer. */
  keepaliveTimeMs: 5_000,
  keepaliveTimeoutMs: 3_000,
  /** Reconnect backoff bounds of a channel. */
  reconnectBackoffInitialMs: 100,
  reconnectBackoffMaxMs: 2_000,
  /** Default deadline of a unary call. */
  callDeadlineMs: 2_000,
  /** Retries of an idempotent call, and the backoff between them. */
  retriesMax: 3,
  retryBackoffBaseMs: 50,
  retryBackoffMaxMs: 1_000,
} as const;

/** Channel options shared by every client. */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_send_message_length': GRPC_LIMITS.messageBytesMax,
  'grpc.max_receive_message_length': GRPC_LIMITS.messageBytesMax,
  'grpc.keepalive_time_ms': GRPC_LIMITS.keepaliveTimeMs,
  'grpc.keepalive_timeout_ms': GRPC_LIMITS.keepaliveTimeoutMs,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': GRPC_LIMITS.reconnectBackoffInitialMs,
  'grpc.max_reconnect_backoff_ms': GRPC_LIMITS.reconnectBackoffMaxMs,
  'grpc.enable_retries': 0,
};

/** Server options matching the channel options. */
export const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_send_message_length': GRPC_LIMITS.messageBytesMax,
  'grpc.max_receive_message_length': GRPC_LIMITS.messageBytesMax,
  'grpc.keepalive_time_ms': GRPC_LIMITS.keepaliveTimeMs,
  'grpc.keepalive_timeout_ms': GRPC_LIMITS.keepaliveTimeoutMs,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 1_000,
};

const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, defaults: true, oneofs: true };
const PROTO_ROOT = fileURLToPath(new URL('../../../proto', import.meta.url));

let clusterProto: ClusterProto | undefined;
let pointsProto: PointsProto | undefined;

/** The loaded node-to-node services. */
export function loadClusterProto(): ClusterProto {
  clusterProto ??= grpc.loadPackageDefinition(
    protoLoader.loadSync('hektor/cluster/v1/cluster.proto', { ...LOADER_OPTIONS, includeDirs: [PROTO_ROOT] }),
  ) as unknown as ClusterProto;
  return clusterProto;
}

/** The loaded public API services. */
export function loadPointsProto(): PointsProto {
  pointsProto ??= grpc.loadPackageDefinition(
    protoLoader.loadSync('hektor/api/v1/points.proto', { ...LOADER_OPTIONS, includeDirs: [PROTO_ROOT] }),
  ) as unknown as PointsProto;
  return pointsProto;
}

/** Options of one call. */
export interface CallOptions {
  deadlineMs?: number;
  /** Only idempotent calls may be retried. */
  idempotent?: boolean;
}

/** Turns a callback-style unary method into a promise with a deadline. */
export function unary<Req, Res>(
  method: (request: Req, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<Res>) => grpc.ClientUnaryCall,
  request: Req,
  deadlineMs: number,
): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    method(request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) => {
      if (error !== null) reject(error);
      else if (response === undefined) reject(new HektorError('internal', 'empty gRPC response'));
      else resolve(response);
    });
  });
}

/** True for gRPC errors worth retrying (the peer may answer next time). */
export function isRetryable(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED || code === grpc.status.RESOURCE_EXHAUSTED;
}

/** Capped exponential backoff with full jitter for attempt `n` (0-based). */
export function backoffMs(attempt: number, random: Random): number {
  const cap = Math.min(GRPC_LIMITS.retryBackoffMaxMs, GRPC_LIMITS.retryBackoffBaseMs * 2 ** attempt);
  return Math.floor(random.next() * cap);
}

/** Runs `call`, retrying idempotent calls on transient errors with jittered backoff. */
export async function withRetries<T>(call: () => Promise<T>, options: { idempotent: boolean; random: Random }): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (e: unknown) {
      if (!options.idempotent || attempt >= GRPC_LIMITS.retriesMax || !isRetryable(e)) throw e;
      await new Promise((r) => setTimeout(r, backoffMs(attempt, options.random)));
    }
  }
}

/** One long-lived channel per peer node. */
export class PeerChannels {
  private readonly peers = new Map<string, { address: string; client: ClusterClient }>();
  private readonly tls: TlsMaterial | undefined;

  /** Creates an empty pool; channels open lazily on first use. */
  constructor(tls: TlsMaterial | undefined) {
    this.tls = tls;
  }

  /**
   * The client for `nodeId` at `address`, reusing the channel unless the address changed. With
   * `verifyIdentity` false the peer's certificate must only be signed by the cluster CA (used to
   * reach a join address, whose node id is not known yet).
   */
  client(nodeId: string, address: string, verifyIdentity = true): ClusterClient {
    const existing = this.peers.get(nodeId);
    if (existing !== undefined && existing.address === address) return existing.client;
    existing?.client.close();
    const Cluster = loadClusterProto().hektor.cluster.v1.Cluster;
    // A fixed TLS server name: identity is checked against the node id, not the host name, and
    // Node deprecates IP addresses as SNI.
    const options = this.tls === undefined ? CHANNEL_OPTIONS : { ...CHANNEL_OPTIONS, 'grpc.ssl_target_name_override': 'hektor-node' };
    const client = new Cluster(address, channelCredentials(this.tls, verifyIdentity ? nodeId : undefined), options);
    this.peers.set(nodeId, { address, client });
    return client;
  }

  /** Closes the channel to `nodeId` (it left the cluster). */
  drop(nodeId: string): void {
    this.peers.get(nodeId)?.client.close();
    this.peers.delete(nodeId);
  }

  /** Closes every channel. */
  close(): void {
    for (const { client } of this.peers.values()) client.close();
    this.peers.clear();
  }
}
