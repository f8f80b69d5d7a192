// Original file: proto/hektor/api/v1/points.proto

import type { PointId as _hektor_api_v1_PointId, PointId__Output as _hektor_api_v1_PointId__Output } from '../../../hektor/api/v1/PointId.js';

export interface Point {
  'id'?: (_hektor_api_v1_PointId | null);
  'vector'?: (number | string)[];
  /**
   * The payload as a JSON object text.
   */
  'payload_json'?: (string);
}

export interface Point__Output {
  'id': (_hektor_api_v1_PointId__Output | null);
  'vector': (number)[];
  /**
   * The payload as a JSON object text.
   */
  'payload_json': (string);
}
