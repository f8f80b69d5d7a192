/**
 * The short simulation profile run by `npm test`: 1000 seeds (500 with 3 nodes, 500 with 5)
 * under the default faults, plus proof that the checkers fire on deliberately injected bugs.
 * A failure prints the seed and the replay command.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFailure, runSimulation } from './sim.js';

const SEEDS_PER_SIZE = 500;

for (const nodeCount of [3, 5]) {
  test(`simulation: ${SEEDS_PER_SIZE} seeds of ${nodeCount} nodes under faults keep every invariant`, () => {
    for (let seed = 1; seed <= SEEDS_PER_SIZE; seed++) {
      const result = runSimulation({ seed, nodeCount });
      if (!result.ok) assert.fail(formatFailure(result, nodeCount));
      assert.ok(result.stats.committedEntries > 0, `seed ${seed}: nothing committed`);
    }
  });
}

test('simulation: the workload exercises snapshots, membership changes, transfers and reads', () => {
  let snapshots = 0;
  let configChanges = 0;
  let transfers = 0;
  let reads = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const result = runSimulation({ seed, nodeCount: 5 });
    assert.ok(result.ok, `seed ${seed} failed`);
    snapshots += result.stats.snapshotsInstalled;
    configChanges += result.stats.configChanges;
    transfers += result.stats.transfers;
    reads += result.stats.readsServed;
  }
  assert.ok(snapshots > 0 && configChanges > 0 && transfers > 0 && reads > 0, JSON.stringify({ snapshots, configChanges, transfers, reads }));
});

test('simulation: servers that start outside the cluster are added as learners, caught up and promoted', () => {
  let promoted = 0;
  for (let seed = 3; seed <= 60; seed += 3) {
    const result = runSimulation({ seed, nodeCount: 5 });
    if (!result.ok) assert.fail(formatFailure(result, 5));
    if (result.stats.finalConfig.voters.some((v) => v === 'n3' || v === 'n4')) promoted++;
  }
  assert.ok(promoted > 0, 'no joiner ever became a voter');
});

/** Runs seeds until the first failure; returns its violation text. */
function firstViolation(hooks: Parameters<typeof runSimulation>[0]['testHooks'], seedsMax: number): string | undefined {
  for (let seed = 1; seed <= seedsMax; seed++) {
    const result = runSimulation({ seed, nodeCount: seed % 2 === 0 ? 3 : 5, ...(hooks === undefined ? {} : { testHooks: hooks }) });
    if (!result.ok) return `seed ${seed}: ${result.violation}`;
  }
  return undefined;
}

test('checkers can fail: a core that counts each vote twice elects two leaders in one term', () => {
  const violation = firstViolation({ doubleCountVotes: true }, 200);
  assert.ok(violation !== undefined, 'the injected double-vote bug went unnoticed');
  assert.match(violation, /two leaders in term/);
});

test('checkers can fail: a core that skips the §5.4.1 up-to-date check loses committed entries', () => {
  const violation = firstViolation({ grantVoteToStaleLog: true }, 200);
  assert.ok(violation !== undefined, 'the injected stale-vote bug went unnoticed');
  assert.match(violation, /leader completeness|committed entry changed|diverged|log matching/);
});

test('checkers can fail: a leader that serves ReadIndex without a quorum round returns stale reads', () => {
  const violation = firstViolation({ skipReadConfirmation: true }, 500);
  assert.ok(violation !== undefined, 'the injected stale-read bug went unnoticed');
  assert.match(violation, /stale read/);
});
