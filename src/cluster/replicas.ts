/**
 * The replication runtime of a node (issue 5): drives the pure replication core
 * (src/replication) for every local shard replica with real time, the shard's durable store and
 * gRPC. Work in progress: the public surface below is what the API layer uses.
 */

import { HektorError } from '../base/errors.js';
import type { ReplicaLagSample, ShardPrimarySample, ShardReplicationStatus, TruncatedEntryInfo } from './replica-status.js';

/** The replication runtime of this node. */
export class ReplicaManager {
  /** Promotions this node committed as controller. */
  failovers = 0;

  /** Replica sets of every shard of a collection, with lag as each shard's primary reports it. */
  async collectionStatus(name: string): Promise<ShardReplicationStatus[]> {
    throw new HektorError('internal', `replication status of ${name} is not available yet`);
  }

  /** Truncated entries kept on every node holding a replica of the collection. */
  async listTruncated(name: string): Promise<TruncatedEntryInfo[]> {
    throw new HektorError('internal', `truncated entries of ${name} are not available yet`);
  }

  /**
   * Resolves truncated entries of one replica: `reapply` writes their operations again through
   * the shard's current primary (as new writes), then removes them; `drop` removes them.
   */
  async resolveTruncated(name: string, shard: number, node: string, ids: readonly number[], action: 'reapply' | 'drop'): Promise<{ resolved: number }> {
    throw new HektorError('internal', `cannot ${action} ${ids.length} truncated entries of ${name}/${shard} on ${node} yet`);
  }

  /** Per-follower lag of the shards this node is primary of. */
  lagSamples(): ReplicaLagSample[] {
    return [];
  }

  /** Per-shard figures of the shards this node is primary of. */
  primarySamples(): ShardPrimarySample[] {
    return [];
  }
}
