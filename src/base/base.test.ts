import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparePointIds, decodePointKey, encodePointKey, parsePointId } from './ids.js';
import { HektorError } from './errors.js';
import { SeededRandom } from './prng.js';

test('point ids: integers and UUIDs are canonicalised and round-trip through storage keys', () => {
  assert.equal(parsePointId(42), 42);
  assert.equal(parsePointId('550E8400E29B41D4A716446655440000'), '550e8400-e29b-41d4-a716-446655440000');
  for (const id of [0, 1, 255, 2 ** 40, Number.MAX_SAFE_INTEGER, '550e8400-e29b-41d4-a716-446655440000']) {
    assert.equal(decodePointKey(encodePointKey(id)), id);
  }
});

test('point ids: key byte order equals id order (integers before UUIDs)', () => {
  const ids = [7, 300, 2 ** 33, 'ffffffff-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000001', 0];
  const byKey = [...ids].sort((a, b) => Buffer.compare(encodePointKey(a), encodePointKey(b)));
  const byId = [...ids].sort(comparePointIds);
  assert.deepEqual(byKey, byId);
  assert.equal(byId[0], 0);
});

test('point ids: bad ids are refused with invalid_point_id', () => {
  for (const bad of [-1, 1.5, 2 ** 60, 'abc', null, {}, true]) {
    assert.throws(() => parsePointId(bad), (e: unknown) => e instanceof HektorError && e.code === 'invalid_point_id');
  }
});

test('seeded random: the same seed replays the same sequence', () => {
  const a = new SeededRandom(7);
  const b = new SeededRandom(7);
  const c = new SeededRandom(8);
  const seqA = Array.from({ length: 5 }, () => a.nextUint32());
  assert.deepEqual(seqA, Array.from({ length: 5 }, () => b.nextUint32()));
  assert.notDeepEqual(seqA, Array.from({ length: 5 }, () => c.nextUint32()));
});
