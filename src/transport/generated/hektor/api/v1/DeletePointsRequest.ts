// Original file: proto/hektor/api/v1/points.proto

import type { PointId as _hektor_api_v1_PointId, PointId__Output as _hektor_api_v1_PointId__Output } from '../../../hektor/api/v1/PointId.js';

export interface DeletePointsRequest {
  'collection'?: (string);
  'ids'?: (_hektor_api_v1_PointId)[];
  /**
   * A filter as JSON text (docs/api.md); used when ids is empty.
   */
  'filter_json'?: (string);
}

export interface DeletePointsRequest__Output {
  'collection': (string);
  'ids': (_hektor_api_v1_PointId__Output)[];
  /**
   * A filter as JSON text (docs/api.md); used when ids is empty.
   */
  'filter_json': (string);
}
