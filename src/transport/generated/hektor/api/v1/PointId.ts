// Original file: proto/hektor/api/v1/points.proto

import type { Long } from '@grpc/proto-loader';

/**
 * An id is an unsigned integer or a UUID string.
 */
export interface PointId {
  'num'?: (number | string | Long);
  'uuid'?: (string);
  'kind'?: "num"|"uuid";
}

/**
 * An id is an unsigned integer or a UUID string.
 */
export interface PointId__Output {
  'num'?: (number);
  'uuid'?: (string);
  'kind'?: "num"|"uuid";
}
