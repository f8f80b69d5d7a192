// Original file: proto/hektor/cluster/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface ProposeReply {
  'ok'?: (boolean);
  'error_code'?: (string);
  'error'?: (string);
  'index'?: (number | string | Long);
  'leader_id'?: (string);
  'leader_address'?: (string);
}

export interface ProposeReply__Output {
  'ok': (boolean);
  'error_code': (string);
  'error': (string);
  'index': (number);
  'leader_id': (string);
  'leader_address': (string);
}
