/**
 * Shared vocabulary of the index layer: distances, payloads, filters and search hits. The filter
 * types mirror Qdrant's filter JSON so that the REST layer can hand a parsed filter straight down.
 */

import type { PointId } from '../base/ids.js';

/** Distance function of a collection. */
export type Distance = 'Cosine' | 'Euclid' | 'Dot';

/** A JSON value as stored in payloads. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A point's payload: a JSON object. */
export type Payload = { [key: string]: JsonValue };

/** One search result inside a shard: the internal slot and its score. */
export interface SlotHit {
  /** Internal dense slot number of the point. */
  slot: number;
  /**
   * The score as users see it: cosine similarity (Cosine), dot product (Dot), both higher-better;
   * Euclidean distance (Euclid), lower-better.
   */
  score: number;
}

/** A `match` clause of a field condition. */
export type MatchCondition =
  | { value: string | number | boolean }
  | { any: (string | number)[] }
  | { except: (string | number)[] }
  | { text: string };

/** A `range` clause of a field condition; any subset of bounds. */
export interface RangeCondition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** A condition on a payload field, addressed by a dotted key (`a.b`, `a[].b`). */
export interface FieldCondition {
  key: string;
  match?: MatchCondition;
  range?: RangeCondition;
}

/** One condition of a filter clause. */
export type Condition =
  | { kind: 'field'; field: FieldCondition }
  | { kind: 'is_empty'; key: string }
  | { kind: 'is_null'; key: string }
  | { kind: 'has_id'; ids: PointId[] }
  | { kind: 'filter'; filter: Filter };

/** A parsed filter: every `must` holds, at least one `should` holds (if any), no `must_not` holds. */
export interface Filter {
  must: Condition[];
  should: Condition[];
  mustNot: Condition[];
}

/** Payload index types accepted by `PUT /collections/{name}/index`. */
export type PayloadIndexType = 'keyword' | 'integer' | 'float' | 'bool' | 'uuid';
