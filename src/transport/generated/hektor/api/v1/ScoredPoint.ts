// Original file: proto/hektor/api/v1/points.proto

import type { PointId as _hektor_api_v1_PointId, PointId__Output as _hektor_api_v1_PointId__Output } from '../../../hektor/api/v1/PointId.js';

export interface ScoredPoint {
  'id'?: (_hektor_api_v1_PointId | null);
  'score'?: (number | string);
  'vector'?: (number | string)[];
  'payload_json'?: (string);
}

export interface ScoredPoint__Output {
  'id': (_hektor_api_v1_PointId__Output | null);
  'score': (number);
  'vector': (number)[];
  'payload_json': (string);
}
