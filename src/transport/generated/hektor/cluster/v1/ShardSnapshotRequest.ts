// Original file: proto/hektor/cluster/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface ShardSnapshotRequest {
  'from'?: (string);
  'collection'?: (string);
  'incarnation'?: (number | string | Long);
  'shard'?: (number);
  /**
   * The epoch of the primary the follower follows; a primary of another epoch refuses.
   */
  'epoch'?: (number | string | Long);
}

export interface ShardSnapshotRequest__Output {
  'from': (string);
  'collection': (string);
  'incarnation': (number);
  'shard': (number);
  /**
   * The epoch of the primary the follower follows; a primary of another epoch refuses.
   */
  'epoch': (number);
}
