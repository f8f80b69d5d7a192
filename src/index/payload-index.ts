/**
 * In-memory payload indexes: for chosen payload fields, the slots that hold each value. They turn
 * a filter's indexed conditions into a candidate set or a cheap cardinality estimate, which the
 * planner uses to pick an exact scan over few candidates instead of a filtered graph walk.
 *
 * Candidates are always a superset of the slots that satisfy the whole filter: the caller still
 * evaluates the full filter on each candidate. To keep that promise an index holds every value
 * a condition could match: numeric indexes (integer and float alike) hold all finite numbers, a
 * keyword index all strings, and a uuid index all strings too (UUIDs canonicalised, other
 * strings as they are). A condition whose value type an index does not hold (an integer match on
 * a keyword index) is simply not used.
 *
 * The owner keeps the indexes in step with the points: `add` after a point is written, `remove`
 * with the old payload before it is overwritten or deleted.
 */

import { HektorError } from '../base/errors.js';
import { parsePointId } from '../base/ids.js';
import { assert } from '../base/assert.js';
import { parseKey, rangeCheck, valuesAtKey, type KeyStep } from './filter.js';
import { SlotSet } from './slot-set.js';
import type { Condition, FieldCondition, Filter, JsonValue, Payload, PayloadIndexType, RangeCondition } from './types.js';

/** Most indexed payload fields per collection shard. */
export const PAYLOAD_INDEXED_FIELDS_MAX = 64;

/** What `list()` reports per indexed field. */
export interface PayloadIndexInfo {
  /** Index type as created. */
  type: PayloadIndexType;
  /** Number of points that hold at least one indexed value in the field. */
  points: number;
}

/** Payload-index candidates of a filter. */
export interface Candidates {
  /** A superset of the matching slots, or exactly them when `exact`. */
  slots: SlotSet;
  /** True when `slots` are exactly the slots the filter matches (no need to evaluate it). */
  exact: boolean;
}

/** One field's index. */
interface FieldIndex {
  readonly type: PayloadIndexType;
  /** Points holding at least one indexed value. */
  points: number;
  /** Indexes the values of one point (already flattened, any type); returns how many were indexed. */
  add(slot: number, values: readonly JsonValue[]): number;
  /** Unindexes the values of one point; returns how many were indexed. */
  remove(slot: number, values: readonly JsonValue[]): number;
  /**
   * Adds the slots matching the condition to `out` and returns true, or returns false (adding
   * nothing) when this index cannot answer it.
   */
  collectInto(condition: FieldCondition, out: SlotSet): boolean;
  /**
   * True when the slots `collectInto` gives for an answerable condition are exactly the points the
   * filter evaluator matches, not a superset (a uuid index canonicalises, the filter does not).
   */
  readonly exact: boolean;
  /** Number of slots matching the condition (counting stops past `cap`), or undefined. */
  estimate(condition: FieldCondition, cap: number): number | undefined;
}

function addToSet<K>(map: Map<K, Set<number>>, key: K, slot: number): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(slot);
}

/** Removes slot from the value's set; returns true when the set became empty (and was dropped). */
function removeFromSet<K>(map: Map<K, Set<number>>, key: K, slot: number): boolean {
  const set = map.get(key);
  if (set === undefined) return false;
  set.delete(slot);
  if (set.size > 0) return false;
  map.delete(key);
  return true;
}

function unionInto(target: SlotSet, source: Set<number> | undefined): void {
  if (source !== undefined) for (const slot of source) target.add(slot);
}

/** Keyword and uuid indexes: exact string value → slots. */
class StringFieldIndex implements FieldIndex {
  points = 0;
  private readonly slotsByValue = new Map<string, Set<number>>();

  readonly exact: boolean;

  constructor(readonly type: 'keyword' | 'uuid') {
    this.exact = type === 'keyword';
  }

  private canonical(value: string): string {
    if (this.type === 'keyword') return value;
    try {
      const id = parsePointId(value);
      return typeof id === 'string' ? id : value;
    } catch {
      // Not a UUID: kept as it is, so an exact-string filter on it still finds the point.
      return value;
    }
  }

  add(slot: number, values: readonly JsonValue[]): number {
    let indexed = 0;
    for (const v of values) {
      if (typeof v !== 'string') continue;
      addToSet(this.slotsByValue, this.canonical(v), slot);
      indexed++;
    }
    return indexed;
  }

  remove(slot: number, values: readonly JsonValue[]): number {
    let indexed = 0;
    for (const v of values) {
      if (typeof v !== 'string') continue;
      removeFromSet(this.slotsByValue, this.canonical(v), slot);
      indexed++;
    }
    return indexed;
  }

  private keys(condition: FieldCondition): string[] | undefined {
    const match = condition.match;
    if (match === undefined || condition.range !== undefined) return undefined;
    if ('value' in match) return typeof match.value === 'string' ? [this.canonical(match.value)] : undefined;
    if ('any' in match) {
      const list: (string | number)[] = match.any;
      if (!list.every((v): v is string => typeof v === 'string')) return undefined;
      return list.map((v) => this.canonical(v));
    }
    return undefined;
  }

  collectInto(condition: FieldCondition, out: SlotSet): boolean {
    const keys = this.keys(condition);
    if (keys === undefined) return false;
    for (const key of keys) unionInto(out, this.slotsByValue.get(key));
    return true;
  }

  estimate(condition: FieldCondition, cap: number): number | undefined {
    const keys = this.keys(condition);
    if (keys === undefined) return undefined;
    let total = 0;
    for (const key of keys) {
      total += this.slotsByValue.get(key)?.size ?? 0;
      if (total > cap) break;
    }
    return total;
  }
}

/** Boolean index: true → slots, false → slots. */
class BoolFieldIndex implements FieldIndex {
  readonly type = 'bool';
  readonly exact = true;
  points = 0;
  private readonly slotsByValue = new Map<boolean, Set<number>>();

  add(slot: number, values: readonly JsonValue[]): number {
    let indexed = 0;
    for (const v of values) {
      if (typeof v !== 'boolean') continue;
      addToSet(this.slotsByValue, v, slot);
      indexed++;
    }
    return indexed;
  }

  remove(slot: number, values: readonly JsonValue[]): number {
    let indexed = 0;
    for (const v of values) {
      if (typeof v !== 'boolean') continue;
      removeFromSet(this.slotsByValue, v, slot);
      indexed++;
    }
    return indexed;
  }

  collectInto(condition: FieldCondition, out: SlotSet): boolean {
    const match = condition.match;
    if (match === undefined || condition.range !== undefined || !('value' in match) || typeof match.value !== 'boolean') return false;
    unionInto(out, this.slotsByValue.get(match.value));
    return true;
  }

  estimate(condition: FieldCondition): number | undefined {
    const match = condition.match;
    if (match === undefined || condition.range !== undefined || !('value' in match) || typeof match.value !== 'boolean') return undefined;
    return this.slotsByValue.get(match.value)?.size ?? 0;
  }
}

/**
 * Integer and float indexes: value → slots, plus the distinct values in order for range queries.
 * New distinct values wait in a small unsorted `pending` list that is merged into `sorted` once it
 * outgrows √(distinct values), so inserts cost O(√n) amortised and a range query O(log n + √n + matches).
 * Values whose last slot left stay in `sorted` as stale entries until the next merge.
 */
class NumericFieldIndex implements FieldIndex {
  /** Every finite number is indexed, and JSON numbers are finite: ranges and matches are exact. */
  readonly exact = true;
  points = 0;
  private readonly slotsByValue = new Map<number, Set<number>>();
  private sorted: number[] = [];
  private pending: number[] = [];
  /** Values present in `sorted` or `pending` (stale ones included). */
  private readonly listed = new Set<number>();

  constructor(readonly type: 'integer' | 'float') {}

  add(slot: number, values: readonly JsonValue[]): number {
    let indexed = 0;
    for (const v of values) {
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      addToSet(this.slotsByValue, v, slot);
      if (!this.listed.has(v)) {
        this.listed.add(v);
        this.pending.push(v);
        if (this.pending.length > Math.max(32, Math.sqrt(this.sorted.length))) this.merge();
      }
      indexed++;
    }
    return indexed;
  }

  remove(slot: number, values: readonly JsonValue[]): number {
    let indexed = 0;
    for (const v of values) {
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      removeFromSet(this.slotsByValue, v, slot);
      indexed++;
    }
    // Compact when at least half the listed values are stale, so dead values cannot pile up.
    if (this.listed.size > 64 && this.slotsByValue.size * 2 < this.listed.size) this.merge();
    return indexed;
  }

  /** Sorts pending values into `sorted` and drops stale values. */
  private merge(): void {
    const all = this.sorted.concat(this.pending).filter((v) => {
      if (this.slotsByValue.has(v)) return true;
      this.listed.delete(v);
      return false;
    });
    all.sort((a, b) => a - b);
    this.sorted = all;
    this.pending = [];
  }

  /** Calls `visit` with the slot set of every value in range until it returns false. */
  private forEachInRange(range: RangeCondition, visit: (slots: Set<number>) => boolean): void {
    const inRange = rangeCheck(range);
    const low = range.gte ?? range.gt ?? Number.NEGATIVE_INFINITY;
    // First index whose value is >= low (binary search).
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.sorted[mid] ?? 0) < low) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.sorted.length; i++) {
      const value = this.sorted[i] ?? 0;
      if (!inRange(value)) {
        if ((range.lt !== undefined && value >= range.lt) || (range.lte !== undefined && value > range.lte)) break;
        continue;
      }
      const slots = this.slotsByValue.get(value);
      if (slots !== undefined && !visit(slots)) return;
    }
    for (const value of this.pending) {
      if (!inRange(value)) continue;
      const slots = this.slotsByValue.get(value);
      if (slots !== undefined && !visit(slots)) return;
    }
  }

  private exactValues(condition: FieldCondition): number[] | undefined {
    const match = condition.match;
    if (match === undefined) return undefined;
    if ('value' in match) return typeof match.value === 'number' ? [match.value] : undefined;
    if ('any' in match) {
      const list: (string | number)[] = match.any;
      return list.every((v): v is number => typeof v === 'number') ? list : undefined;
    }
    return undefined;
  }

  /** True when every clause of the condition can be answered here (match OR range, as Qdrant). */
  private answerable(condition: FieldCondition): boolean {
    return condition.match === undefined || this.exactValues(condition) !== undefined;
  }

  collectInto(condition: FieldCondition, out: SlotSet): boolean {
    if (!this.answerable(condition)) return false;
    for (const v of this.exactValues(condition) ?? []) unionInto(out, this.slotsByValue.get(v));
    if (condition.range !== undefined) {
      this.forEachInRange(condition.range, (slots) => {
        unionInto(out, slots);
        return true;
      });
    }
    return true;
  }

  estimate(condition: FieldCondition, cap: number): number | undefined {
    if (!this.answerable(condition)) return undefined;
    let total = 0;
    for (const v of this.exactValues(condition) ?? []) total += this.slotsByValue.get(v)?.size ?? 0;
    if (condition.range !== undefined) {
      this.forEachInRange(condition.range, (slots) => {
        total += slots.size;
        return total <= cap;
      });
    }
    return total;
  }
}

function newFieldIndex(type: PayloadIndexType): FieldIndex {
  switch (type) {
    case 'keyword':
    case 'uuid':
      return new StringFieldIndex(type);
    case 'integer':
    case 'float':
      return new NumericFieldIndex(type);
    case 'bool':
      return new BoolFieldIndex();
  }
}

/** The values a key reaches, with arrays opened one level (the values conditions compare). */
function flatValues(payload: Payload, steps: readonly KeyStep[]): JsonValue[] {
  const out: JsonValue[] = [];
  for (const value of valuesAtKey(payload, steps)) {
    if (Array.isArray(value)) out.push(...value);
    else out.push(value);
  }
  return out;
}

interface IndexedField {
  steps: KeyStep[];
  index: FieldIndex;
}

/** Every payload index of one shard, keyed by the field's key string. */
export class PayloadIndexes {
  private readonly fields = new Map<string, IndexedField>();

  /**
   * Creates an index on `field`; returns true if the caller must now `add` every existing point to
   * it, false if an index of that type already existed (nothing changes). An index of another type
   * on the same field is replaced. Throws invalid_request on a malformed key or too many indexes.
   */
  createIndex(field: string, type: PayloadIndexType): boolean {
    const existing = this.fields.get(field);
    if (existing?.index.type === type) return false;
    if (existing === undefined && this.fields.size >= PAYLOAD_INDEXED_FIELDS_MAX) {
      throw new HektorError('invalid_request', `a collection may index at most ${PAYLOAD_INDEXED_FIELDS_MAX} payload fields; drop one first`);
    }
    let steps: KeyStep[];
    try {
      steps = parseKey(field);
    } catch (e: unknown) {
      if (e instanceof HektorError) throw new HektorError('invalid_request', `field_name: ${e.message}`, { field }, { cause: e });
      throw e;
    }
    this.fields.set(field, { steps, index: newFieldIndex(type) });
    return true;
  }

  /** Drops the index on `field`; returns false if there was none. */
  dropIndex(field: string): boolean {
    return this.fields.delete(field);
  }

  /** True if `field` is indexed. */
  has(field: string): boolean {
    return this.fields.has(field);
  }

  /** The indexed fields with their type and number of indexed points, by field name. */
  list(): Map<string, PayloadIndexInfo> {
    const out = new Map<string, PayloadIndexInfo>();
    for (const [field, { index }] of [...this.fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      out.set(field, { type: index.type, points: index.points });
    }
    return out;
  }

  /** Indexes a point's payload under every indexed field (call after the point is written). */
  add(slot: number, payload: Payload): void {
    for (const { steps, index } of this.fields.values()) {
      if (index.add(slot, flatValues(payload, steps)) > 0) index.points++;
    }
  }

  /** Unindexes a point; `payload` must be the payload that was added for this slot. */
  remove(slot: number, payload: Payload): void {
    for (const { steps, index } of this.fields.values()) {
      if (index.remove(slot, flatValues(payload, steps)) > 0) {
        index.points--;
        assert(index.points >= 0, 'payload index point count went negative: remove without add');
      }
    }
  }

  /**
   * Candidate slots for `filter` from its indexed conditions: the intersection over the indexed
   * `must` conditions (and nested filters in `must`), intersected with the union of `should` when
   * every `should` condition is indexed. `must_not` and `has_id` are left to the full filter.
   * Undefined when no condition is indexed or the estimate exceeds `sizeMax`. With an unbounded
   * `sizeMax` the result holds exactly the slots satisfying those conditions; with a bound, the
   * larger sets may be skipped, giving a superset. `exact` says whether the slots are exactly the
   * filter's matches (every condition answered exactly by an index, nothing skipped); otherwise
   * the caller applies the full filter. `slotEndHint` sizes the set's bitset.
   */
  candidates(filter: Filter, sizeMax = Number.POSITIVE_INFINITY, slotEndHint = 0): Candidates | undefined {
    const estimate = this.estimate(filter, sizeMax);
    if (estimate === undefined || estimate > sizeMax) return undefined;
    return this.collectFilter(filter, sizeMax, slotEndHint);
  }

  /**
   * An upper bound on the number of points matching `filter`, from its indexed conditions (the
   * smallest indexed `must`, the sum of an all-indexed `should`), or undefined when no condition is
   * indexed. Counting stops early once it passes `cap`.
   */
  estimate(filter: Filter, cap = Number.POSITIVE_INFINITY): number | undefined {
    let best: number | undefined;
    for (const condition of filter.must) {
      const e = this.estimateCondition(condition, cap);
      if (e !== undefined && (best === undefined || e < best)) best = e;
    }
    if (filter.should.length > 0) {
      let sum = 0;
      for (const condition of filter.should) {
        const e = this.estimateCondition(condition, cap);
        if (e === undefined) return best;
        sum += e;
        if (sum > cap) break;
      }
      if (best === undefined || sum < best) best = sum;
    }
    return best;
  }

  private estimateCondition(condition: Condition, cap: number): number | undefined {
    if (condition.kind === 'filter') return this.estimate(condition.filter, cap);
    if (condition.kind !== 'field') return undefined;
    return this.fields.get(condition.field.key)?.index.estimate(condition.field, cap);
  }

  private collectCondition(condition: Condition, sizeMax: number, slotEndHint: number): Candidates | undefined {
    if (condition.kind === 'filter') return this.collectFilter(condition.filter, sizeMax, slotEndHint);
    if (condition.kind !== 'field') return undefined;
    const field = this.fields.get(condition.field.key);
    if (field === undefined) return undefined;
    const slots = new SlotSet(slotEndHint);
    if (!field.index.collectInto(condition.field, slots)) return undefined;
    return { slots, exact: field.index.exact };
  }

  /** Sets are built smallest first; a set whose estimate is far above sizeMax is skipped (superset). */
  private collectFilter(filter: Filter, sizeMax: number, slotEndHint: number): Candidates | undefined {
    const parts: { estimate: number; build: () => Candidates | undefined }[] = [];
    const buildLimit = Number.isFinite(sizeMax) ? 4 * sizeMax : Number.POSITIVE_INFINITY;
    // Exact only while every condition is answered exactly by an index and none is skipped.
    let exact = filter.mustNot.length === 0;
    for (const condition of filter.must) {
      const e = this.estimateCondition(condition, buildLimit);
      if (e === undefined) exact = false;
      else parts.push({ estimate: e, build: () => this.collectCondition(condition, sizeMax, slotEndHint) });
    }
    if (filter.should.length > 0) {
      let sum: number | undefined = 0;
      for (const condition of filter.should) {
        const e = this.estimateCondition(condition, buildLimit);
        if (e === undefined) {
          sum = undefined;
          break;
        }
        sum += e;
      }
      if (sum === undefined) {
        exact = false;
      } else {
        parts.push({
          estimate: sum,
          build: () => {
            const union = new SlotSet(slotEndHint);
            let unionExact = true;
            for (const condition of filter.should) {
              const part = this.collectCondition(condition, sizeMax, slotEndHint);
              if (part === undefined) return undefined;
              union.addAll(part.slots);
              unionExact &&= part.exact;
            }
            return { slots: union, exact: unionExact };
          },
        });
      }
    }
    parts.sort((a, b) => a.estimate - b.estimate);
    let result: SlotSet | undefined;
    for (const part of parts) {
      if (result !== undefined && part.estimate > buildLimit) {
        exact = false;
        break;
      }
      const built = part.build();
      if (built === undefined) {
        exact = false;
        continue;
      }
      exact &&= built.exact;
      result = result === undefined ? built.slots : result.intersect(built.slots);
    }
    return result === undefined ? undefined : { slots: result, exact };
  }
}
