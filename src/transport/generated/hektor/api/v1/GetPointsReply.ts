// Original file: proto/hektor/api/v1/points.proto

import type { Point as _hektor_api_v1_Point, Point__Output as _hektor_api_v1_Point__Output } from '../../../hektor/api/v1/Point.js';

export interface GetPointsReply {
  'points'?: (_hektor_api_v1_Point)[];
}

export interface GetPointsReply__Output {
  'points': (_hektor_api_v1_Point__Output)[];
}
