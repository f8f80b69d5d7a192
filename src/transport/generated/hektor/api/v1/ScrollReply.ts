// Original file: proto/hektor/api/v1/points.proto

import type { Point as _hektor_api_v1_Point, Point__Output as _hektor_api_v1_Point__Output } from '../../../hektor/api/v1/Point.js';
import type { PointId as _hektor_api_v1_PointId, PointId__Output as _hektor_api_v1_PointId__Output } from '../../../hektor/api/v1/PointId.js';

export interface ScrollReply {
  'points'?: (_hektor_api_v1_Point)[];
  'next_page_offset'?: (_hektor_api_v1_PointId | null);
}

export interface ScrollReply__Output {
  'points': (_hektor_api_v1_Point__Output)[];
  'next_page_offset': (_hektor_api_v1_PointId__Output | null);
}
