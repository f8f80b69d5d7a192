// Original file: proto/hektor/api/v1/points.proto

import type { Long } from '@grpc/proto-loader';

export interface UpdateReply {
  'operation_id'?: (number | string | Long);
  'status'?: (string);
}

export interface UpdateReply__Output {
  'operation_id': (number);
  'status': (string);
}
