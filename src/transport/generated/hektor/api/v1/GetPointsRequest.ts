// Original file: proto/hektor/api/v1/points.proto

import type { PointId as _hektor_api_v1_PointId, PointId__Output as _hektor_api_v1_PointId__Output } from '../../../hektor/api/v1/PointId.js';

export interface GetPointsRequest {
  'collection'?: (string);
  'ids'?: (_hektor_api_v1_PointId)[];
  'with_payload'?: (boolean);
  'with_vector'?: (boolean);
}

export interface GetPointsRequest__Output {
  'collection': (string);
  'ids': (_hektor_api_v1_PointId__Output)[];
  'with_payload': (boolean);
  'with_vector': (boolean);
}
