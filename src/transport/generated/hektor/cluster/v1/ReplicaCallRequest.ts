// Original file: proto/hektor/cluster/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface ReplicaCallRequest {
  'from'?: (string);
  'collection'?: (string);
  'incarnation'?: (number | string | Long);
  'shard'?: (number);
  /**
   * report, status, truncated_list, truncated_drop.
   */
  'op'?: (string);
  /**
   * Arguments as JSON.
   */
  'body'?: (Buffer | Uint8Array | string);
}

export interface ReplicaCallRequest__Output {
  'from': (string);
  'collection': (string);
  'incarnation': (number);
  'shard': (number);
  /**
   * report, status, truncated_list, truncated_drop.
   */
  'op': (string);
  /**
   * Arguments as JSON.
   */
  'body': (Buffer);
}
