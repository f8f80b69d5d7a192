// Original file: proto/hektor/cluster/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadMetadataReply {
  'ok'?: (boolean);
  'error_code'?: (string);
  'error'?: (string);
  /**
   * The JSON-encoded metadata state and the Raft index it reflects.
   */
  'state'?: (Buffer | Uint8Array | string);
  'applied_index'?: (number | string | Long);
}

export interface ReadMetadataReply__Output {
  'ok': (boolean);
  'error_code': (string);
  'error': (string);
  /**
   * The JSON-encoded metadata state and the Raft index it reflects.
   */
  'state': (Buffer);
  'applied_index': (number);
}
