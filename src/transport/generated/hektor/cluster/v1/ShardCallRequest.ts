// Original file: proto/hektor/cluster/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface ShardCallRequest {
  'collection'?: (string);
  /**
   * The incarnation (creating Raft index) the coordinator routed by; a mismatch is refused.
   */
  'incarnation'?: (number | string | Long);
  'shards'?: (number)[];
  /**
   * upsert, delete, edit_payload, retrieve, search, scroll, count.
   */
  'op'?: (string);
  /**
   * The operation's arguments as JSON (vectors as arrays of numbers).
   */
  'body'?: (Buffer | Uint8Array | string);
}

export interface ShardCallRequest__Output {
  'collection': (string);
  /**
   * The incarnation (creating Raft index) the coordinator routed by; a mismatch is refused.
   */
  'incarnation': (number);
  'shards': (number)[];
  /**
   * upsert, delete, edit_payload, retrieve, search, scroll, count.
   */
  'op': (string);
  /**
   * The operation's arguments as JSON (vectors as arrays of numbers).
   */
  'body': (Buffer);
}
