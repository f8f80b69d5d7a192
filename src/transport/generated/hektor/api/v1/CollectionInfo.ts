// Original file: proto/hektor/api/v1/points.proto

import type { Long } from '@grpc/proto-loader';

export interface CollectionInfo {
  'name'?: (string);
  'points_count'?: (number | string | Long);
  'size'?: (number);
  'distance'?: (string);
  'shard_number'?: (number);
}

export interface CollectionInfo__Output {
  'name': (string);
  'points_count': (number);
  'size': (number);
  'distance': (string);
  'shard_number': (number);
}
