// Original file: proto/hektor/api/v1/points.proto

import type { Point as _hektor_api_v1_Point, Point__Output as _hektor_api_v1_Point__Output } from '../../../hektor/api/v1/Point.js';

export interface UpsertRequest {
  'collection'?: (string);
  'points'?: (_hektor_api_v1_Point)[];
}

export interface UpsertRequest__Output {
  'collection': (string);
  'points': (_hektor_api_v1_Point__Output)[];
}
