// Original file: proto/hektor/api/v1/points.proto

import type { PointId as _hektor_api_v1_PointId, PointId__Output as _hektor_api_v1_PointId__Output } from '../../../hektor/api/v1/PointId.js';

export interface ScrollRequest {
  'collection'?: (string);
  'offset'?: (_hektor_api_v1_PointId | null);
  'limit'?: (number);
  'filter_json'?: (string);
  'with_payload'?: (boolean);
  'with_vector'?: (boolean);
}

export interface ScrollRequest__Output {
  'collection': (string);
  'offset': (_hektor_api_v1_PointId__Output | null);
  'limit': (number);
  'filter_json': (string);
  'with_payload': (boolean);
  'with_vector': (boolean);
}
