/**
 * Qdrant-compatible filters: validation of the filter JSON a client sends, and evaluation of a
 * parsed filter against a point's id and payload.
 *
 * Semantics follow Qdrant (lib/segment condition_checker.rs, query_checker.rs):
 * - A key is a dotted path (`a.b`). When a value along the path is an array of objects, the path
 *   continues into every element (`a.b` and `a[].b` both reach `b` of each element of `a`);
 *   `a[2].b` picks one element; `"a.b"` quotes a name that holds a dot.
 * - A field condition holds if ANY value reached satisfies it; a value that is an array counts as
 *   each of its elements. A missing field satisfies no field condition (not even `except`).
 * - `match.value` compares strings, integers and booleans exactly; `match.any` is any-of;
 *   `match.except` is none-of and holds for values of another type (a boolean against a list of
 *   strings), but not for null or a missing field; `match.text` is a substring test on strings;
 *   `range` bounds numbers. A condition with both `match` and `range` holds if either does
 *   (Qdrant's behaviour).
 * - `is_empty` holds when the field is missing, null, or `[]`; `is_null` when the value is null
 *   (`[null]` is not null, and is not empty either).
 * - `must`: all hold; `should`: at least one holds (an empty `should` is no constraint);
 *   `must_not`: none holds. A condition may itself be a filter.
 */

import { HektorError } from '../base/errors.js';
import { parsePointId, pointIdKey, type PointId } from '../base/ids.js';
import { LIMITS } from '../base/limits.js';
import { unreachable } from '../base/assert.js';
import type { Condition, FieldCondition, Filter, JsonValue, MatchCondition, Payload, RangeCondition } from './types.js';

/** Longest payload key in a filter, in characters. */
export const FILTER_KEY_LENGTH_MAX = 1024;
/** Most segments (names and array steps) in one payload key. */
export const FILTER_KEY_SEGMENTS_MAX = 32;

/** One step of a parsed payload key. */
export type KeyStep = { kind: 'name'; name: string } | { kind: 'all' } | { kind: 'index'; index: number };

/** A filter evaluated against one point. */
export type CompiledFilter = (id: PointId, payload: Payload) => boolean;

/** The filter that matches every point. */
export function emptyFilter(): Filter {
  return { must: [], should: [], mustNot: [] };
}

/** True when the filter has no conditions (matches every point). */
export function isEmptyFilter(filter: Filter): boolean {
  return filter.must.length === 0 && filter.should.length === 0 && filter.mustNot.length === 0;
}

// ---------------------------------------------------------------------------------------------
// Parsing

interface ParseBudget {
  conditions: number;
}

function fail(path: string, message: string): never {
  throw new HektorError('invalid_filter', `${path}: ${message}`, { path });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value;
}

/**
 * Validates Qdrant filter JSON and returns the parsed filter, or throws invalid_filter with the
 * JSON path of the first problem (`filter.must[1].match.any[3]: ...`).
 */
export function parseFilter(raw: unknown, path = 'filter'): Filter {
  return parseFilterObject(raw, path, 1, { conditions: 0 });
}

/** Like parseFilter, but null and undefined (no filter) give undefined. */
export function parseOptionalFilter(raw: unknown, path = 'filter'): Filter | undefined {
  if (raw === null || raw === undefined) return undefined;
  return parseFilter(raw, path);
}

const FILTER_KEYS = new Set(['must', 'should', 'must_not']);

function parseFilterObject(raw: unknown, path: string, depth: number, budget: ParseBudget): Filter {
  if (!isPlainObject(raw)) fail(path, `a filter must be an object with must, should or must_not, got ${describe(raw)}`);
  if (depth > LIMITS.filterDepthMax) fail(path, `filters are nested more than ${LIMITS.filterDepthMax} deep; flatten the filter`);
  for (const key of Object.keys(raw)) {
    if (key === 'min_should') fail(`${path}.min_should`, 'min_should is not supported; use should');
    if (!FILTER_KEYS.has(key)) fail(`${path}.${key}`, 'unknown filter clause; a filter has only must, should and must_not');
  }
  return {
    must: parseClause(raw['must'], `${path}.must`, depth, budget),
    should: parseClause(raw['should'], `${path}.should`, depth, budget),
    mustNot: parseClause(raw['must_not'], `${path}.must_not`, depth, budget),
  };
}

function parseClause(raw: unknown, path: string, depth: number, budget: ParseBudget): Condition[] {
  if (raw === null || raw === undefined) return [];
  const items = Array.isArray(raw) ? raw : [raw];
  if (budget.conditions + items.length > LIMITS.filterConditionsMax) {
    fail(path, `a filter may hold at most ${LIMITS.filterConditionsMax} conditions in all`);
  }
  return items.map((item, i) => parseCondition(item, Array.isArray(raw) ? `${path}[${i}]` : path, depth, budget));
}

const UNSUPPORTED_CONDITIONS = new Map<string, string>([
  ['nested', 'nested conditions are not supported; use a dotted key such as "a[].b"'],
  ['geo_bounding_box', 'geo conditions are not supported'],
  ['geo_radius', 'geo conditions are not supported'],
  ['geo_polygon', 'geo conditions are not supported'],
  ['values_count', 'values_count conditions are not supported'],
]);

function parseCondition(raw: unknown, path: string, depth: number, budget: ParseBudget): Condition {
  budget.conditions++;
  if (budget.conditions > LIMITS.filterConditionsMax) fail(path, `a filter may hold at most ${LIMITS.filterConditionsMax} conditions in all`);
  if (!isPlainObject(raw)) fail(path, `a condition must be an object, got ${describe(raw)}`);
  const keys = Object.keys(raw);
  if (keys.length === 0) fail(path, 'empty condition; expected a field condition {key, match|range}, is_empty, is_null, has_id or a nested filter');
  for (const key of keys) {
    const unsupported = UNSUPPORTED_CONDITIONS.get(key);
    if (unsupported !== undefined) fail(`${path}.${key}`, unsupported);
  }
  if ('key' in raw) return { kind: 'field', field: parseFieldCondition(raw, path) };
  if ('is_empty' in raw || 'is_null' in raw) {
    const kind = 'is_empty' in raw ? 'is_empty' : 'is_null';
    expectOnlyKeys(raw, [kind], path);
    const inner = raw[kind];
    if (!isPlainObject(inner)) fail(`${path}.${kind}`, `expected {"key": "<payload key>"}, got ${describe(inner)}`);
    expectOnlyKeys(inner, ['key'], `${path}.${kind}`);
    const key = parseKeyString(inner['key'], `${path}.${kind}.key`);
    return kind === 'is_empty' ? { kind: 'is_empty', key } : { kind: 'is_null', key };
  }
  if ('has_id' in raw) {
    expectOnlyKeys(raw, ['has_id'], path);
    return { kind: 'has_id', ids: parseIds(raw['has_id'], `${path}.has_id`) };
  }
  if (keys.some((k) => FILTER_KEYS.has(k))) {
    return { kind: 'filter', filter: parseFilterObject(raw, path, depth + 1, budget) };
  }
  return fail(`${path}.${keys[0] ?? ''}`, 'unknown condition; expected key (with match or range), is_empty, is_null, has_id, must, should or must_not');
}

function expectOnlyKeys(raw: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) fail(`${path}.${key}`, `unexpected field; this object allows only ${allowed.join(', ')}`);
  }
}

function parseIds(raw: unknown, path: string): PointId[] {
  if (!Array.isArray(raw)) fail(path, `has_id must be an array of point ids, got ${describe(raw)}`);
  if (raw.length > LIMITS.matchValuesMax) fail(path, `has_id may list at most ${LIMITS.matchValuesMax} ids`);
  return raw.map((item, i) => {
    try {
      return parsePointId(item);
    } catch (e: unknown) {
      if (e instanceof HektorError) fail(`${path}[${i}]`, e.message);
      throw e;
    }
  });
}

function parseKeyString(raw: unknown, path: string): string {
  if (typeof raw !== 'string') fail(path, `a payload key must be a string, got ${describe(raw)}`);
  parseKeyAt(raw, path);
  return raw;
}

function parseFieldCondition(raw: Record<string, unknown>, path: string): FieldCondition {
  for (const key of Object.keys(raw)) {
    if (key !== 'key' && key !== 'match' && key !== 'range') {
      fail(`${path}.${key}`, 'unexpected field in a field condition; it allows key, match and range');
    }
  }
  const key = parseKeyString(raw['key'], `${path}.key`);
  const condition: FieldCondition = { key };
  const match = raw['match'];
  const range = raw['range'];
  if (match !== null && match !== undefined) condition.match = parseMatch(match, `${path}.match`);
  if (range !== null && range !== undefined) condition.range = parseRange(range, `${path}.range`);
  if (condition.match === undefined && condition.range === undefined) {
    fail(path, `the condition on "${key}" needs match or range`);
  }
  return condition;
}

function parseMatch(raw: unknown, path: string): MatchCondition {
  if (!isPlainObject(raw)) fail(path, `match must be an object such as {"value": "red"}, got ${describe(raw)}`);
  const keys = Object.keys(raw);
  if (keys.length !== 1) fail(path, 'match needs exactly one of value, any, except, text');
  const kind = keys[0] ?? '';
  const value = raw[kind];
  switch (kind) {
    case 'value':
      if (typeof value === 'string' || typeof value === 'boolean') return { value };
      if (typeof value === 'number' && Number.isSafeInteger(value)) return { value };
      return fail(`${path}.value`, `match.value must be a string, an integer or a boolean, got ${describe(value)}; use range for other numbers`);
    case 'any':
    case 'except': {
      const list = parseValueList(value, `${path}.${kind}`);
      return kind === 'any' ? { any: list } : { except: list };
    }
    case 'text':
      if (typeof value !== 'string') fail(`${path}.text`, `match.text must be a string, got ${describe(value)}`);
      return { text: value };
    default:
      return fail(`${path}.${kind}`, 'unknown match type; use value, any, except or text');
  }
}

function parseValueList(raw: unknown, path: string): string[] | number[] {
  if (!Array.isArray(raw)) fail(path, `expected an array of strings or of integers, got ${describe(raw)}`);
  if (raw.length > LIMITS.matchValuesMax) fail(path, `at most ${LIMITS.matchValuesMax} values are allowed`);
  if (raw.every((v): v is string => typeof v === 'string')) return raw;
  if (raw.every((v): v is number => typeof v === 'number' && Number.isSafeInteger(v))) return raw;
  const bad = raw.findIndex((v) => typeof v !== typeof raw[0] || (typeof v === 'number' && !Number.isSafeInteger(v)) || (typeof v !== 'number' && typeof v !== 'string'));
  return fail(`${path}[${Math.max(bad, 0)}]`, 'the values must be all strings or all integers');
}

const RANGE_KEYS = ['gt', 'gte', 'lt', 'lte'] as const;

function parseRange(raw: unknown, path: string): RangeCondition {
  if (!isPlainObject(raw)) fail(path, `range must be an object with gt, gte, lt or lte, got ${describe(raw)}`);
  const range: RangeCondition = {};
  for (const key of Object.keys(raw)) {
    if (!(RANGE_KEYS as readonly string[]).includes(key)) fail(`${path}.${key}`, 'unknown range bound; use gt, gte, lt or lte');
  }
  for (const key of RANGE_KEYS) {
    const bound = raw[key];
    if (bound === null || bound === undefined) continue;
    if (typeof bound === 'string') fail(`${path}.${key}`, 'datetime ranges are not supported; store and compare numbers (for example Unix seconds)');
    if (typeof bound !== 'number' || !Number.isFinite(bound)) fail(`${path}.${key}`, `a range bound must be a finite number, got ${describe(bound)}`);
    range[key] = bound;
  }
  return range;
}

// ---------------------------------------------------------------------------------------------
// Keys

const keyCache = new Map<string, KeyStep[]>();
/** Parsed keys kept for reuse; bounded so that clients cannot grow it without limit. */
const KEY_CACHE_ENTRIES_MAX = 4096;

/** Parses a payload key (`a.b`, `a[].b`, `a[0]`, `"a.b".c`) or throws invalid_filter. */
export function parseKey(key: string): KeyStep[] {
  const cached = keyCache.get(key);
  if (cached !== undefined) return cached;
  const steps = parseKeyAt(key, 'key');
  if (keyCache.size >= KEY_CACHE_ENTRIES_MAX) keyCache.clear();
  keyCache.set(key, steps);
  return steps;
}

function parseKeyAt(key: string, path: string): KeyStep[] {
  if (key.length === 0) fail(path, 'a payload key must not be empty');
  if (key.length > FILTER_KEY_LENGTH_MAX) fail(path, `a payload key may be at most ${FILTER_KEY_LENGTH_MAX} characters`);
  const steps: KeyStep[] = [];
  let i = 0;
  for (;;) {
    // A name: quoted ("a.b") or bare (up to '.', '[').
    let name: string;
    if (key[i] === '"') {
      const close = key.indexOf('"', i + 1);
      if (close < 0) fail(path, `unterminated quote in key "${key}"`);
      name = key.slice(i + 1, close);
      i = close + 1;
    } else {
      let j = i;
      while (j < key.length && key[j] !== '.' && key[j] !== '[') {
        if (key[j] === ']' || key[j] === '"') fail(path, `unexpected "${key[j] ?? ''}" in key "${key}"`);
        j++;
      }
      name = key.slice(i, j);
      i = j;
    }
    if (name.length === 0) fail(path, `empty name in key "${key}"; write a.b, a[].b or a[0].b`);
    steps.push({ kind: 'name', name });
    while (key[i] === '[') {
      const close = key.indexOf(']', i);
      if (close < 0) fail(path, `unclosed [ in key "${key}"`);
      const inner = key.slice(i + 1, close);
      if (inner === '') steps.push({ kind: 'all' });
      else if (/^\d{1,9}$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else fail(path, `"[${inner}]" in key "${key}" must be [] or an array index such as [0]`);
      i = close + 1;
    }
    if (steps.length > FILTER_KEY_SEGMENTS_MAX) fail(path, `a payload key may have at most ${FILTER_KEY_SEGMENTS_MAX} segments`);
    if (i === key.length) return steps;
    if (key[i] !== '.') fail(path, `expected "." after "${key.slice(0, i)}" in key "${key}"`);
    i++;
  }
}

function isJsonObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The values a key reaches in a payload (see the module comment for array traversal). A value
 * that is itself an array is returned as one value; conditions look inside it.
 */
export function valuesAtKey(payload: Payload, key: string | readonly KeyStep[]): JsonValue[] {
  const steps = typeof key === 'string' ? parseKey(key) : key;
  let current: JsonValue[] = [payload];
  for (const step of steps) {
    const next: JsonValue[] = [];
    for (const value of current) {
      switch (step.kind) {
        case 'name':
          if (isJsonObject(value)) {
            if (Object.hasOwn(value, step.name)) next.push(value[step.name] ?? null);
          } else if (Array.isArray(value)) {
            for (const element of value) {
              if (isJsonObject(element) && Object.hasOwn(element, step.name)) next.push(element[step.name] ?? null);
            }
          }
          break;
        case 'all':
          if (Array.isArray(value)) for (const element of value) next.push(element);
          break;
        case 'index':
          if (Array.isArray(value) && step.index < value.length) next.push(value[step.index] ?? null);
          break;
        default:
          unreachable(step, 'unknown key step');
      }
    }
    current = next;
    if (current.length === 0) break;
  }
  return current;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

type ValueCheck = (value: JsonValue) => boolean;

function matchCheck(match: MatchCondition): ValueCheck {
  if ('value' in match) {
    const expected = match.value;
    return (v) => v === expected;
  }
  if ('any' in match) {
    const set = new Set<string | number>(match.any);
    // A list is all strings or all integers (parseFilter checks), so one typeof test suffices.
    const strings = match.any.length === 0 || typeof match.any[0] === 'string';
    return strings
      ? (v) => typeof v === 'string' && set.has(v)
      : (v) => typeof v === 'number' && Number.isInteger(v) && set.has(v);
  }
  if ('except' in match) {
    const set = new Set<string | number>(match.except);
    const strings = match.except.length === 0 || typeof match.except[0] === 'string';
    return (v) => {
      if (v === null) return false;
      if (strings) return typeof v !== 'string' || !set.has(v);
      return typeof v !== 'number' || !Number.isInteger(v) || !set.has(v);
    };
  }
  const text = match.text;
  return (v) => typeof v === 'string' && v.includes(text);
}

/** A numeric test for a range condition (no bound means no constraint). */
export function rangeCheck(range: RangeCondition): (n: number) => boolean {
  const { gt, gte, lt, lte } = range;
  return (n) =>
    (gt === undefined || n > gt) && (gte === undefined || n >= gte) && (lt === undefined || n < lt) && (lte === undefined || n <= lte);
}

function fieldCheck(field: FieldCondition): (payload: Payload) => boolean {
  const steps = parseKey(field.key);
  const onMatch = field.match === undefined ? undefined : matchCheck(field.match);
  const inRange = field.range === undefined ? undefined : rangeCheck(field.range);
  // Qdrant: a condition with both match and range holds if either holds for the same value.
  const one: ValueCheck = (v) => (onMatch !== undefined && onMatch(v)) || (inRange !== undefined && typeof v === 'number' && inRange(v));
  return (payload) => {
    for (const value of valuesAtKey(payload, steps)) {
      if (Array.isArray(value)) {
        for (const element of value) if (one(element)) return true;
      } else if (one(value)) {
        return true;
      }
    }
    return false;
  };
}

function isEmptyValue(value: JsonValue): boolean {
  return value === null || (Array.isArray(value) && value.length === 0);
}

function compileCondition(condition: Condition): CompiledFilter {
  switch (condition.kind) {
    case 'field': {
      const check = fieldCheck(condition.field);
      return (_id, payload) => check(payload);
    }
    case 'is_empty': {
      const steps = parseKey(condition.key);
      return (_id, payload) => valuesAtKey(payload, steps).every(isEmptyValue);
    }
    case 'is_null': {
      const steps = parseKey(condition.key);
      return (_id, payload) => valuesAtKey(payload, steps).some((v) => v === null);
    }
    case 'has_id': {
      const ids = new Set(condition.ids.map(pointIdKey));
      return (id) => ids.has(pointIdKey(id));
    }
    case 'filter':
      return compileFilter(condition.filter);
    default:
      return unreachable(condition, 'unknown condition kind');
  }
}

/** Compiles a filter into one closure, so per-point evaluation does no parsing or dispatch on JSON. */
export function compileFilter(filter: Filter): CompiledFilter {
  const must = filter.must.map(compileCondition);
  const should = filter.should.map(compileCondition);
  const mustNot = filter.mustNot.map(compileCondition);
  if (must.length === 0 && should.length === 0 && mustNot.length === 0) return () => true;
  return (id, payload) => {
    for (const check of must) if (!check(id, payload)) return false;
    for (const check of mustNot) if (check(id, payload)) return false;
    if (should.length === 0) return true;
    for (const check of should) if (check(id, payload)) return true;
    return false;
  };
}

/** Evaluates `filter` for one point (compile once with compileFilter when testing many points). */
export function matchesFilter(filter: Filter, id: PointId, payload: Payload): boolean {
  return compileFilter(filter)(id, payload);
}
