import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HektorError } from '../base/errors.js';
import { LIMITS } from '../base/limits.js';
import { compileFilter, matchesFilter, parseFilter, parseKey, parseOptionalFilter, valuesAtKey } from './filter.js';
import type { Payload } from './types.js';

function rejects(raw: unknown, pathPart: string): void {
  assert.throws(
    () => parseFilter(raw),
    (e: unknown) => {
      assert.ok(e instanceof HektorError, `expected HektorError, got ${String(e)}`);
      assert.equal(e.code, 'invalid_filter');
      assert.ok(e.message.includes(pathPart), `message "${e.message}" should name ${pathPart}`);
      return true;
    },
    JSON.stringify(raw).slice(0, 200),
  );
}

function nest(depth: number): unknown {
  let f: unknown = { must: [{ key: 'a', match: { value: 1 } }] };
  for (let i = 1; i < depth; i++) f = { must: [f] };
  return f;
}

test('filter parse: malformed filters are refused with invalid_filter and the JSON path', () => {
  rejects(null, 'filter');
  rejects([], 'filter');
  rejects('x', 'filter');
  rejects({ must: [], foo: 1 }, 'filter.foo');
  rejects({ min_should: { conditions: [], min_count: 1 } }, 'filter.min_should');
  rejects({ must: [1] }, 'filter.must[0]');
  rejects({ must: [{}] }, 'filter.must[0]');
  rejects({ must: [{ key: 'a' }] }, 'filter.must[0]');
  rejects({ must: [{ key: 'a', match: null, range: null }] }, 'filter.must[0]');
  rejects({ must: [{ key: 'a', match: { value: 1 }, extra: true }] }, 'filter.must[0].extra');
  rejects({ must: [{ key: 5, match: { value: 1 } }] }, 'filter.must[0].key');
  rejects({ must: [{ key: '', match: { value: 1 } }] }, 'filter.must[0].key');
  rejects({ must: [{ key: 'a..b', match: { value: 1 } }] }, 'filter.must[0].key');
  rejects({ must: [{ key: 'a[x]', match: { value: 1 } }] }, 'filter.must[0].key');
  rejects({ must: [{ key: 'a[', match: { value: 1 } }] }, 'filter.must[0].key');
  rejects({ must: [{ key: 'x'.repeat(2000), match: { value: 1 } }] }, 'filter.must[0].key');
  rejects({ must: [{ key: 'a', match: { value: 1.5 } }] }, 'filter.must[0].match.value');
  rejects({ must: [{ key: 'a', match: { value: null } }] }, 'filter.must[0].match.value');
  rejects({ must: [{ key: 'a', match: { value: [1] } }] }, 'filter.must[0].match.value');
  rejects({ must: [{ key: 'a', match: { value: 1, any: [1] } }] }, 'filter.must[0].match');
  rejects({ must: [{ key: 'a', match: {} }] }, 'filter.must[0].match');
  rejects({ must: [{ key: 'a', match: 'red' }] }, 'filter.must[0].match');
  rejects({ must: [{ key: 'a', match: { keyword: 'red' } }] }, 'filter.must[0].match.keyword');
  rejects({ must: [{ key: 'a', match: { any: 'red' } }] }, 'filter.must[0].match.any');
  rejects({ must: [{ key: 'a', match: { any: ['a', 1] } }] }, 'filter.must[0].match.any');
  rejects({ must: [{ key: 'a', match: { except: [1.5] } }] }, 'filter.must[0].match.except');
  rejects({ must: [{ key: 'a', match: { any: new Array(LIMITS.matchValuesMax + 1).fill('v') } }] }, 'match.any');
  rejects({ must: [{ key: 'a', match: { text: 3 } }] }, 'filter.must[0].match.text');
  rejects({ must: [{ key: 'a', range: { gt: 'x' } }] }, 'filter.must[0].range.gt');
  rejects({ must: [{ key: 'a', range: { gte: '2024-01-01T00:00:00Z' } }] }, 'filter.must[0].range.gte');
  rejects({ must: [{ key: 'a', range: { lt: Number.POSITIVE_INFINITY } }] }, 'filter.must[0].range.lt');
  rejects({ must: [{ key: 'a', range: { lt: Number.NaN } }] }, 'filter.must[0].range.lt');
  rejects({ must: [{ key: 'a', range: { between: 1 } }] }, 'filter.must[0].range.between');
  rejects({ must: [{ key: 'a', range: [1, 2] }] }, 'filter.must[0].range');
  rejects({ should: { is_empty: 'a' } }, 'filter.should.is_empty');
  rejects({ should: { is_empty: { key: 'a', extra: 1 } } }, 'filter.should.is_empty.extra');
  rejects({ should: { is_null: { key: 7 } } }, 'filter.should.is_null.key');
  rejects({ should: { is_null: { key: 'a' }, is_empty: { key: 'a' } } }, 'filter.should');
  rejects({ must_not: [{ has_id: 5 }] }, 'filter.must_not[0].has_id');
  rejects({ must_not: [{ has_id: [1, -2] }] }, 'filter.must_not[0].has_id[1]');
  rejects({ must_not: [{ has_id: ['not-a-uuid'] }] }, 'filter.must_not[0].has_id[0]');
  rejects({ must: [{ nested: { key: 'a', filter: {} } }] }, 'filter.must[0].nested');
  rejects({ must: [{ key: 'loc', geo_radius: { center: { lat: 0, lon: 0 }, radius: 1 } }] }, 'geo_radius');
  rejects({ must: [{ must: [{ key: 'a', match: { value: 'x' } }], bogus: 1 }] }, 'filter.must[0].bogus');
  rejects({ must: [{ must: { should: [{ key: 'a', match: { value: 1 }, range: 5 }] } }] }, 'filter.must[0].must.should[0].range');
  rejects(nest(LIMITS.filterDepthMax + 1), 'nested more than');
  rejects({ must: new Array(LIMITS.filterConditionsMax + 1).fill({ is_null: { key: 'a' } }) }, 'at most');
  rejects(
    { must: new Array(600).fill({ is_null: { key: 'a' } }), should: new Array(600).fill({ is_null: { key: 'a' } }) },
    'at most',
  );
});

test('filter parse: well-formed filters are accepted, null clauses are absent', () => {
  assert.deepEqual(parseFilter({}), { must: [], should: [], mustNot: [] });
  assert.deepEqual(parseFilter({ must: null, should: undefined, must_not: [] }), { must: [], should: [], mustNot: [] });
  assert.equal(parseOptionalFilter(null), undefined);
  assert.equal(parseOptionalFilter(undefined), undefined);
  assert.ok(parseFilter(nest(LIMITS.filterDepthMax)));
  const f = parseFilter({
    must: { key: 'city', match: { value: 'Paris' } },
    should: [
      { key: 'n', range: { gte: 1, lt: null } },
      { is_empty: { key: 'tags' } },
      { must_not: [{ has_id: [1, '550E8400E29B41D4A716446655440000'] }] },
    ],
    must_not: [{ key: 'a[].b', match: { any: [] } }],
  });
  assert.deepEqual(f.must, [{ kind: 'field', field: { key: 'city', match: { value: 'Paris' } } }]);
  assert.deepEqual(f.should[0], { kind: 'field', field: { key: 'n', range: { gte: 1 } } });
  assert.deepEqual(f.should[2], {
    kind: 'filter',
    filter: { must: [], should: [], mustNot: [{ kind: 'has_id', ids: [1, '550e8400-e29b-41d4-a716-446655440000'] }] },
  });
});

test('filter keys: dotted paths, explicit array steps, indexes and quoted names', () => {
  assert.deepEqual(parseKey('a.b'), [
    { kind: 'name', name: 'a' },
    { kind: 'name', name: 'b' },
  ]);
  assert.deepEqual(parseKey('a[].b[2]'), [
    { kind: 'name', name: 'a' },
    { kind: 'all' },
    { kind: 'name', name: 'b' },
    { kind: 'index', index: 2 },
  ]);
  assert.deepEqual(parseKey('"a.b".c'), [
    { kind: 'name', name: 'a.b' },
    { kind: 'name', name: 'c' },
  ]);
  const payload: Payload = { a: [{ b: 1 }, { b: [2, 3] }, { c: 4 }, 5], 'a.b': { c: 'q' }, x: { y: { z: null } } };
  assert.deepEqual(valuesAtKey(payload, 'a.b'), [1, [2, 3]]);
  assert.deepEqual(valuesAtKey(payload, 'a[].b'), [1, [2, 3]]);
  assert.deepEqual(valuesAtKey(payload, 'a[1].b'), [[2, 3]]);
  assert.deepEqual(valuesAtKey(payload, 'a[9].b'), []);
  assert.deepEqual(valuesAtKey(payload, '"a.b".c'), ['q']);
  assert.deepEqual(valuesAtKey(payload, 'x.y.z'), [null]);
  assert.deepEqual(valuesAtKey(payload, 'x.y.z.w'), []);
  assert.deepEqual(valuesAtKey(payload, 'constructor'), []);
  assert.deepEqual(valuesAtKey(payload, 'missing.path'), []);
});

const PAYLOAD: Payload = {
  city: 'Paris',
  count: 10,
  price: 9.5,
  ok: true,
  tags: ['red', 'green'],
  nums: [1, 5, 9],
  empty: [],
  nothing: null,
  onlyNull: [null],
  nested: { inner: { deep: 'yes', n: 3 } },
  items: [
    { name: 'a', qty: 1 },
    { name: 'b', qty: 7 },
  ],
  description: 'a quick brown fox',
  mixed: [true, 'x', 3],
};

function holds(condition: unknown, payload: Payload = PAYLOAD, id: number | string = 1): boolean {
  return matchesFilter(parseFilter({ must: [condition] }), id, payload);
}

test('filter semantics: match.value on strings, integers, booleans, arrays and nested keys', () => {
  assert.ok(holds({ key: 'city', match: { value: 'Paris' } }));
  assert.ok(!holds({ key: 'city', match: { value: 'paris' } }));
  assert.ok(holds({ key: 'count', match: { value: 10 } }));
  assert.ok(!holds({ key: 'count', match: { value: '10' } }));
  assert.ok(!holds({ key: 'price', match: { value: 9 } }));
  assert.ok(holds({ key: 'ok', match: { value: true } }));
  assert.ok(!holds({ key: 'ok', match: { value: false } }));
  assert.ok(holds({ key: 'tags', match: { value: 'green' } }), 'an array matches if any element does');
  assert.ok(holds({ key: 'nums', match: { value: 9 } }));
  assert.ok(holds({ key: 'nested.inner.deep', match: { value: 'yes' } }));
  assert.ok(holds({ key: 'items.name', match: { value: 'b' } }), 'implicit traversal of arrays of objects');
  assert.ok(holds({ key: 'items[].name', match: { value: 'b' } }));
  assert.ok(!holds({ key: 'items[0].name', match: { value: 'b' } }));
  assert.ok(!holds({ key: 'missing', match: { value: 'x' } }));
  assert.ok(!holds({ key: 'nothing', match: { value: 'x' } }));
});

test('filter semantics: any, except, text and range', () => {
  assert.ok(holds({ key: 'city', match: { any: ['Rome', 'Paris'] } }));
  assert.ok(!holds({ key: 'city', match: { any: ['Rome'] } }));
  assert.ok(!holds({ key: 'city', match: { any: [] } }), 'any of nothing matches nothing');
  assert.ok(holds({ key: 'nums', match: { any: [4, 5] } }));
  assert.ok(!holds({ key: 'count', match: { any: ['10'] } }));
  assert.ok(!holds({ key: 'city', match: { except: ['Paris'] } }));
  assert.ok(holds({ key: 'city', match: { except: ['Rome'] } }));
  assert.ok(holds({ key: 'tags', match: { except: ['red'] } }), 'an array passes except if some element is not excluded');
  assert.ok(!holds({ key: 'tags', match: { except: ['red', 'green'] } }));
  assert.ok(!holds({ key: 'missing', match: { except: ['x'] } }), 'Qdrant: a missing field does not match except');
  assert.ok(!holds({ key: 'nothing', match: { except: ['x'] } }), 'Qdrant: null does not match except');
  assert.ok(!holds({ key: 'empty', match: { except: ['x'] } }));
  assert.ok(holds({ key: 'ok', match: { except: ['x'] } }), 'a value of another type passes except');
  assert.ok(holds({ key: 'count', match: { except: [1, 2] } }));
  assert.ok(!holds({ key: 'count', match: { except: [10] } }));
  assert.ok(holds({ key: 'description', match: { text: 'brown' } }));
  assert.ok(!holds({ key: 'description', match: { text: 'Brown' } }));
  assert.ok(!holds({ key: 'count', match: { text: '1' } }));
  assert.ok(holds({ key: 'count', range: { gte: 10, lte: 10 } }));
  assert.ok(!holds({ key: 'count', range: { gt: 10 } }));
  assert.ok(!holds({ key: 'count', range: { lt: 10 } }));
  assert.ok(holds({ key: 'price', range: { gt: 9, lt: 10 } }));
  assert.ok(holds({ key: 'nums', range: { gt: 8 } }), 'any element in range');
  assert.ok(!holds({ key: 'nums', range: { gt: 9 } }));
  assert.ok(holds({ key: 'items.qty', range: { gte: 5 } }));
  assert.ok(!holds({ key: 'city', range: { gte: 0 } }));
  assert.ok(holds({ key: 'count', range: {} }), 'a range without bounds matches any number');
  assert.ok(holds({ key: 'count', match: { value: 3 }, range: { gte: 5 } }), 'match or range (Qdrant)');
});

test('filter semantics: is_empty, is_null and has_id', () => {
  assert.ok(holds({ is_empty: { key: 'missing' } }));
  assert.ok(holds({ is_empty: { key: 'empty' } }));
  assert.ok(holds({ is_empty: { key: 'nothing' } }));
  assert.ok(!holds({ is_empty: { key: 'onlyNull' } }));
  assert.ok(!holds({ is_empty: { key: 'city' } }));
  assert.ok(!holds({ is_empty: { key: 'tags' } }));
  assert.ok(holds({ is_null: { key: 'nothing' } }));
  assert.ok(!holds({ is_null: { key: 'missing' } }));
  assert.ok(!holds({ is_null: { key: 'empty' } }));
  assert.ok(!holds({ is_null: { key: 'onlyNull' } }));
  assert.ok(!holds({ is_null: { key: 'city' } }));
  assert.ok(holds({ has_id: [3, 1] }, PAYLOAD, 1));
  assert.ok(!holds({ has_id: [3, '1'.padStart(32, '0')] }, PAYLOAD, 1), 'integer 1 is not the UUID ...0001');
  assert.ok(holds({ has_id: ['550E8400E29B41D4A716446655440000'] }, PAYLOAD, '550e8400-e29b-41d4-a716-446655440000'));
});

test('filter semantics: must, should, must_not and nesting', () => {
  const f = (raw: unknown): boolean => matchesFilter(parseFilter(raw), 1, PAYLOAD);
  const yes = { key: 'city', match: { value: 'Paris' } };
  const no = { key: 'city', match: { value: 'Rome' } };
  assert.ok(f({}));
  assert.ok(f({ should: [] }), 'an empty should is no constraint');
  assert.ok(f({ must: [yes], should: [no, yes] }));
  assert.ok(!f({ must: [yes], should: [no] }));
  assert.ok(!f({ must: [yes, no] }));
  assert.ok(f({ must_not: [no] }));
  assert.ok(!f({ must_not: [no, yes] }));
  assert.ok(f({ must: [{ should: [no, { must_not: [no] }] }] }));
  assert.ok(!f({ must_not: [{ must: [yes, { should: [yes] }] }] }));
  assert.ok(f({ should: { must_not: { must: [yes, no] } } }));
  const compiled = compileFilter(parseFilter({ must: [{ key: 'n', range: { gte: 5 } }], must_not: [{ has_id: [7] }] }));
  const results = [1, 5, 7, 9].map((n) => compiled(n, { n }));
  assert.deepEqual(results, [false, true, false, true]);
});
