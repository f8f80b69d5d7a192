// Original file: proto/hektor/cluster/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface HeartbeatReply {
  'node_id'?: (string);
  'term'?: (number | string | Long);
  'leader_id'?: (string);
  'commit_index'?: (number | string | Long);
  'applied_index'?: (number | string | Long);
}

export interface HeartbeatReply__Output {
  'node_id': (string);
  'term': (number);
  'leader_id': (string);
  'commit_index': (number);
  'applied_index': (number);
}
