import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/prng.js';
import { HektorError } from '../base/errors.js';
import { compileFilter, parseFilter } from './filter.js';
import { PAYLOAD_INDEXED_FIELDS_MAX, PayloadIndexes } from './payload-index.js';
import type { Filter, JsonValue, Payload } from './types.js';

const CITIES = ['Paris', 'Rome', 'Oslo', 'Lima', 'Kyiv', 'Pune', 'Nice', 'Bern'];
const TAGS = ['a', 'b', 'c', 'd', 'e', 'f'];

function uuidOf(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function randomPayload(rng: SeededRandom): Payload {
  const p: Payload = {};
  if (rng.chance(0.9)) p['city'] = CITIES[rng.int(CITIES.length)] ?? 'Paris';
  if (rng.chance(0.05)) p['city'] = 7; // wrong type: must not confuse a keyword index
  const n: JsonValue = rng.chance(0.2) ? [rng.int(100), rng.int(100)] : rng.int(100);
  if (rng.chance(0.9)) p['n'] = n;
  if (rng.chance(0.1)) p['n'] = rng.next() * 100; // floats in an integer-indexed field
  p['price'] = Math.round(rng.next() * 10000) / 100;
  if (rng.chance(0.8)) p['ok'] = rng.chance(0.3);
  p['tags'] = TAGS.filter(() => rng.chance(0.3));
  p['nested'] = { x: rng.int(50), items: [{ k: TAGS[rng.int(TAGS.length)] ?? 'a' }, { k: TAGS[rng.int(TAGS.length)] ?? 'a' }] };
  p['u'] = uuidOf(rng.int(30));
  return p;
}

function randomIndexedCondition(rng: SeededRandom): unknown {
  switch (rng.int(9)) {
    case 0:
      return { key: 'city', match: { value: CITIES[rng.int(CITIES.length)] } };
    case 1:
      return { key: 'city', match: { any: [CITIES[rng.int(CITIES.length)], CITIES[rng.int(CITIES.length)]] } };
    case 2:
      return { key: 'n', match: { value: rng.int(100) } };
    case 3: {
      const lo = rng.int(100);
      return { key: 'n', range: { gte: lo, lt: lo + rng.int(40) } };
    }
    case 4: {
      const lo = rng.next() * 100;
      return { key: 'price', range: rng.chance(0.5) ? { gt: lo } : { lte: lo } };
    }
    case 5:
      return { key: 'ok', match: { value: rng.chance(0.5) } };
    case 6:
      return { key: 'tags', match: { any: [TAGS[rng.int(TAGS.length)]] } };
    case 7:
      return { key: 'nested.items[].k', match: { value: TAGS[rng.int(TAGS.length)] } };
    default:
      return { key: 'u', match: { value: uuidOf(rng.int(30)) } };
  }
}

function randomFilter(rng: SeededRandom, indexedOnly: boolean): Filter {
  const must = Array.from({ length: rng.int(3) + (indexedOnly ? 1 : 0) }, () => randomIndexedCondition(rng));
  const should = rng.chance(0.4) ? Array.from({ length: 1 + rng.int(3) }, () => randomIndexedCondition(rng)) : [];
  if (rng.chance(0.3)) must.push({ should: [randomIndexedCondition(rng), randomIndexedCondition(rng)] });
  const raw: Record<string, unknown> = { must, should };
  if (!indexedOnly) {
    raw['must_not'] = [randomIndexedCondition(rng)];
    must.push({ key: 'city', match: { except: ['Rome'] } });
    if (rng.chance(0.5)) should.push({ is_empty: { key: 'ok' } });
  }
  return parseFilter(raw);
}

function makeIndexes(): PayloadIndexes {
  const indexes = new PayloadIndexes();
  indexes.createIndex('city', 'keyword');
  indexes.createIndex('n', 'integer');
  indexes.createIndex('price', 'float');
  indexes.createIndex('ok', 'bool');
  indexes.createIndex('tags', 'keyword');
  indexes.createIndex('nested.items[].k', 'keyword');
  indexes.createIndex('u', 'uuid');
  return indexes;
}

function bruteForce(filter: Filter, payloads: Map<number, Payload>): Set<number> {
  const check = compileFilter(filter);
  const out = new Set<number>();
  for (const [slot, payload] of payloads) if (check(slot, payload)) out.add(slot);
  return out;
}

function sorted(set: Iterable<number> | undefined): number[] {
  return [...(set ?? [])].sort((a, b) => a - b);
}

test('payload indexes: candidates equal brute-force evaluation for indexed filters, through updates and deletes', () => {
  const rng = new SeededRandom(77);
  const indexes = makeIndexes();
  const payloads = new Map<number, Payload>();
  for (let slot = 0; slot < 3000; slot++) {
    const p = randomPayload(rng);
    payloads.set(slot, p);
    indexes.add(slot, p);
  }
  const check = (round: string): void => {
    for (let i = 0; i < 150; i++) {
      const filter = randomFilter(rng, true);
      const want = bruteForce(filter, payloads);
      const got = indexes.candidates(filter);
      assert.deepEqual(sorted(got?.slots), sorted(want), `${round} filter ${JSON.stringify(filter)}`);
      if (got !== undefined && !got.exact) inexact++;
      // Under a size bound some sets may be skipped; whatever is called exact must still be.
      const bounded = indexes.candidates(filter, 300);
      if (bounded?.exact === true) assert.deepEqual(sorted(bounded.slots), sorted(want), `${round} bounded ${JSON.stringify(filter)}`);
      else if (bounded !== undefined) for (const slot of want) assert.ok(bounded.slots.has(slot), `${round} bounded superset`);
      const estimate = indexes.estimate(filter);
      assert.ok(estimate !== undefined && estimate >= want.size, `${round}: the estimate ${estimate} bounds ${want.size} matches`);
    }
  };
  let inexact = 0;
  check('fresh');
  // Overwrite a third of the points and delete a sixth, feeding old payloads to remove().
  for (let slot = 0; slot < 3000; slot += 3) {
    const old = payloads.get(slot);
    assert.ok(old);
    indexes.remove(slot, old);
    if (slot % 2 === 0) {
      payloads.delete(slot);
    } else {
      const p = randomPayload(rng);
      payloads.set(slot, p);
      indexes.add(slot, p);
    }
  }
  check('after updates');
  assert.ok(inexact > 0 && inexact < 200, `uuid conditions make some candidate sets inexact (got ${inexact} of 300)`);
});

test('payload indexes: candidates are a superset when the filter has conditions no index answers', () => {
  const rng = new SeededRandom(78);
  const indexes = makeIndexes();
  const payloads = new Map<number, Payload>();
  for (let slot = 0; slot < 2000; slot++) {
    const p = randomPayload(rng);
    payloads.set(slot, p);
    indexes.add(slot, p);
  }
  for (let i = 0; i < 150; i++) {
    const filter = randomFilter(rng, false);
    const want = bruteForce(filter, payloads);
    const got = indexes.candidates(filter, rng.chance(0.5) ? 300 : Number.POSITIVE_INFINITY);
    if (got === undefined) continue;
    for (const slot of want) assert.ok(got.slots.has(slot), `slot ${slot} matches but is not a candidate: ${JSON.stringify(filter)}`);
    // These filters all have a must_not and an unindexed condition: never exact.
    assert.equal(got.exact, false, JSON.stringify(filter));
  }
  assert.equal(indexes.candidates(parseFilter({ must: [{ key: 'unindexed', match: { value: 1 } }] })), undefined);
  assert.equal(indexes.candidates(parseFilter({ must: [{ key: 'city', match: { text: 'Pa' } }] })), undefined);
  assert.equal(indexes.candidates(parseFilter({ must: [{ key: 'city', match: { value: 7 } }] })), undefined, 'an integer match on a keyword index is not used');
  assert.equal(indexes.candidates(parseFilter({ must_not: [{ key: 'city', match: { value: 'Rome' } }] })), undefined);
  assert.equal(indexes.estimate(parseFilter({ must: [{ has_id: [1] }] })), undefined);
  // A uuid index canonicalises, so a differently written UUID is still a candidate (a superset;
  // the filter itself compares strings exactly).
  indexes.add(5000, { u: uuidOf(3).toUpperCase() });
  const byUuid = indexes.candidates(parseFilter({ must: [{ key: 'u', match: { value: uuidOf(3) } }] }));
  assert.ok(byUuid?.slots.has(5000));
  assert.equal(byUuid?.exact, false, 'uuid candidates are a superset, not exact');
  const big = parseFilter({ must: [{ key: 'price', range: { gte: 0 } }] });
  assert.equal(indexes.candidates(big, 100), undefined, 'a candidate set larger than sizeMax is not built');
  assert.equal(indexes.candidates(big)?.slots.size, 2000);
  assert.equal(indexes.candidates(big)?.exact, true);
  // A must condition skipped because its set is far larger than the bound makes the result inexact.
  const skipped = indexes.candidates(parseFilter({ must: [{ key: 'price', range: { gte: 0 } }, { key: 'n', match: { value: 3 } }] }), 50);
  if (skipped !== undefined) assert.equal(skipped.exact, false);
});

test('payload indexes: list, create, drop and their bounds', () => {
  const indexes = new PayloadIndexes();
  assert.equal(indexes.createIndex('city', 'keyword'), true);
  assert.equal(indexes.createIndex('city', 'keyword'), false, 'same index twice is a no-op');
  indexes.add(1, { city: 'Paris' });
  indexes.add(2, { city: ['Rome', 'Oslo'] });
  indexes.add(3, { other: 1 });
  assert.deepEqual(indexes.list(), new Map([['city', { type: 'keyword', points: 2 }]]));
  indexes.remove(2, { city: ['Rome', 'Oslo'] });
  assert.equal(indexes.list().get('city')?.points, 1);
  assert.equal(indexes.createIndex('city', 'integer'), true, 'another type replaces the index');
  assert.equal(indexes.list().get('city')?.points, 0);
  assert.ok(indexes.dropIndex('city'));
  assert.ok(!indexes.dropIndex('city'));
  assert.deepEqual(indexes.list(), new Map());
  assert.throws(
    () => indexes.createIndex('a..b', 'keyword'),
    (e: unknown) => e instanceof HektorError && e.code === 'invalid_request',
  );
  for (let i = 0; i < PAYLOAD_INDEXED_FIELDS_MAX; i++) indexes.createIndex(`f${i}`, 'bool');
  assert.throws(
    () => indexes.createIndex('one_more', 'bool'),
    (e: unknown) => e instanceof HektorError && e.code === 'invalid_request',
  );
});

test('payload indexes: numeric ranges stay right across many distinct values, merges and stale values', () => {
  const rng = new SeededRandom(79);
  const indexes = new PayloadIndexes();
  indexes.createIndex('x', 'float');
  const values = new Map<number, number>();
  for (let step = 0; step < 20000; step++) {
    const slot = rng.int(2000);
    const old = values.get(slot);
    if (old !== undefined) indexes.remove(slot, { x: old });
    if (rng.chance(0.8)) {
      const x = rng.int(5000) / 7;
      values.set(slot, x);
      indexes.add(slot, { x });
    } else {
      values.delete(slot);
    }
    if (step % 500 === 0) {
      const lo = rng.next() * 700;
      const hi = lo + rng.next() * 200;
      const filter = parseFilter({ must: [{ key: 'x', range: { gt: lo, lte: hi } }] });
      const want = [...values].filter(([, x]) => x > lo && x <= hi).map(([s]) => s);
      assert.deepEqual(sorted(indexes.candidates(filter)?.slots), want.sort((a, b) => a - b));
    }
  }
});
