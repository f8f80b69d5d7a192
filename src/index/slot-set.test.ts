import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/prng.js';
import { SlotSet } from './slot-set.js';

function sortedOf(set: Set<number>): number[] {
  return [...set].sort((a, b) => a - b);
}

test('slot set: add, has, union, intersection and ascending iteration agree with a Set', () => {
  const rng = new SeededRandom(31);
  for (let round = 0; round < 40; round++) {
    const span = 1 + rng.int(5000);
    const a = new SlotSet(rng.chance(0.5) ? span : 0);
    const b = new SlotSet(rng.int(span));
    const wantA = new Set<number>();
    const wantB = new Set<number>();
    for (let i = rng.int(800); i > 0; i--) {
      const slot = rng.int(span);
      a.add(slot);
      wantA.add(slot);
    }
    for (let i = rng.int(800); i > 0; i--) {
      // Word boundaries and bit 31 (a negative int32 mask) included.
      const slot = rng.chance(0.2) ? 32 * rng.int(Math.ceil(span / 32)) + 31 : rng.int(span);
      b.add(slot);
      wantB.add(slot);
    }
    assert.equal(a.size, wantA.size);
    assert.deepEqual([...a], sortedOf(wantA), 'iteration is ascending');
    const visited: number[] = [];
    a.forEach((slot) => visited.push(slot));
    assert.deepEqual(visited, sortedOf(wantA));
    for (let slot = 0; slot < span + 40; slot++) assert.equal(a.has(slot), wantA.has(slot), `has(${slot})`);
    const both = a.intersect(b);
    const wantBoth = new Set([...wantA].filter((s) => wantB.has(s)));
    assert.equal(both.size, wantBoth.size);
    assert.deepEqual([...both], sortedOf(wantBoth));
    a.addAll(b);
    const union = new Set([...wantA, ...wantB]);
    assert.equal(a.size, union.size);
    assert.deepEqual([...a], sortedOf(union));
  }
  const far = new SlotSet();
  far.add(1_000_031);
  assert.ok(far.has(1_000_031) && !far.has(1_000_030) && far.size === 1, 'the set grows for a slot past its hint');
  assert.deepEqual([...far], [1_000_031]);
});
