// Original file: proto/hektor/api/v1/points.proto

import type { ScoredPoint as _hektor_api_v1_ScoredPoint, ScoredPoint__Output as _hektor_api_v1_ScoredPoint__Output } from '../../../hektor/api/v1/ScoredPoint.js';

export interface SearchReply {
  'points'?: (_hektor_api_v1_ScoredPoint)[];
}

export interface SearchReply__Output {
  'points': (_hektor_api_v1_ScoredPoint__Output)[];
}
