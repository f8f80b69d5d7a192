/**
 * The replication simulator's profile run by `npm test`: 320 seeds (RF 3 and 5, every write mode)
 * under faults keep every invariant, the workload really exercises failover, in-sync changes,
 * snapshots and truncation, and the checkers catch deliberately injected bugs. A failure prints
 * the seed and the replay command.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReplicationFailure, runReplicationSimulation } from './sim.js';
import type { ReplicationSimOptions, WorkloadMode } from './sim.js';

const MODES: readonly WorkloadMode[] = ['mixed', 'sync', 'semi_sync', 'async'];
const SEEDS_PER_MODE = 80;

for (const mode of MODES) {
  test(`replication simulation: ${SEEDS_PER_MODE} seeds in ${mode} mode (RF 3 and 5) keep every invariant`, () => {
    let failovers = 0;
    let acked = 0;
    for (let seed = 1; seed <= SEEDS_PER_MODE; seed++) {
      const options: ReplicationSimOptions = { seed, replicationFactor: seed % 2 === 0 ? 3 : 5, mode };
      const result = runReplicationSimulation(options);
      if (!result.ok) assert.fail(formatReplicationFailure(result, options));
      failovers += result.stats.failovers;
      acked += result.stats.writesAcked.async + result.stats.writesAcked.sync + result.stats.writesAcked.semi_sync;
    }
    assert.ok(failovers > SEEDS_PER_MODE / 2, `only ${failovers} failovers`);
    assert.ok(acked > SEEDS_PER_MODE * 100, `only ${acked} writes acknowledged`);
  });
}

test(`replication simulation: primaries streaming before durability (the runtime's mode), ${SEEDS_PER_MODE} mixed seeds keep every invariant`, () => {
  for (let seed = 1; seed <= SEEDS_PER_MODE; seed++) {
    const options: ReplicationSimOptions = { seed, replicationFactor: seed % 2 === 0 ? 3 : 5, mode: 'mixed', streamBeforeDurable: true };
    const result = runReplicationSimulation(options);
    if (!result.ok) assert.fail(formatReplicationFailure(result, options));
  }
});

test('replication simulation: the workload exercises shrink, expand, snapshots and listed truncation', () => {
  const totals = { shrinks: 0, expands: 0, snapshotsSent: 0, truncatedEntries: 0, lostAsyncWrites: 0 };
  for (let seed = 1; seed <= 30; seed++) {
    const result = runReplicationSimulation({ seed, replicationFactor: 3, mode: 'async' });
    assert.ok(result.ok, `seed ${seed} failed`);
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += result.stats[key];
  }
  for (const [key, value] of Object.entries(totals)) assert.ok(value > 0, `${key} never happened: ${JSON.stringify(totals)}`);
});

test('replication simulation: semi_sync with minAcks N loses no acknowledged write while at most N replicas fail', () => {
  let failovers = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const replicationFactor = seed % 2 === 0 ? 3 : 5;
    // The simulator's minAcks is 1 at RF 3 and 2 at RF 5; faults hit at most that many replicas.
    const options: ReplicationSimOptions = { seed, replicationFactor, mode: 'semi_sync', faultyNodesMax: replicationFactor === 3 ? 1 : 2 };
    const result = runReplicationSimulation(options);
    if (!result.ok) assert.fail(formatReplicationFailure(result, options));
    failovers += result.stats.failovers;
  }
  assert.ok(failovers > 5, `only ${failovers} failovers`);
});

/** Runs seeds until the first failure; returns its text (seed included). */
function firstViolation(bug: Partial<ReplicationSimOptions>, bugName: string, seedsMax: number): string | undefined {
  for (let seed = 1; seed <= seedsMax; seed++) {
    const options: ReplicationSimOptions = { seed, replicationFactor: 3, mode: 'mixed', ...bug };
    const result = runReplicationSimulation(options);
    if (!result.ok) return formatReplicationFailure(result, options, ` --bug ${bugName}`).split('\n').slice(0, 3).join('\n');
  }
  return undefined;
}

test('checkers can fail: acknowledging sync writes before the shrink commits loses them', () => {
  const violation = firstViolation({ primaryHooks: { ackBeforeShrinkCommits: true } }, 'ackBeforeShrinkCommits', 300);
  assert.ok(violation !== undefined, 'the injected early-ack bug went unnoticed');
  process.stdout.write(`# caught: ${violation.replaceAll('\n', ' | ')}\n`);
  assert.match(violation, /seed=\d+/);
  assert.match(violation, /sync write .* (missing|lost)/);
});

test('checkers can fail: promoting a replica outside the in-sync set loses acknowledged writes', () => {
  const violation = firstViolation({ controllerHooks: { promoteOutOfSync: true } }, 'promoteOutOfSync', 300);
  assert.ok(violation !== undefined, 'the injected out-of-sync promotion went unnoticed');
  process.stdout.write(`# caught: ${violation.replaceAll('\n', ' | ')}\n`);
  assert.match(violation, /seed=\d+/);
  assert.match(violation, /write .* (missing|lost)/);
});

test('checkers can fail: a primary streaming before durability that restarts without a new epoch diverges', () => {
  // Entries it streamed and then lost in the crash stay on followers under the old epoch; writing
  // new entries at the same seqs in the same epoch breaks log matching.
  let violation: string | undefined;
  for (let seed = 1; seed <= 400 && violation === undefined; seed++) {
    const options: ReplicationSimOptions = { seed, replicationFactor: seed % 2 === 0 ? 3 : 5, mode: 'mixed', streamBeforeDurable: true, restartWithoutNewEpoch: true };
    const result = runReplicationSimulation(options);
    if (!result.ok) violation = formatReplicationFailure(result, options).split('\n').slice(0, 2).join(' | ');
  }
  assert.ok(violation !== undefined, 'restarting in the same epoch went unnoticed');
  process.stdout.write(`# caught: ${violation}\n`);
  assert.match(violation, /diverge|lost|missing/);
});

test('checkers can fail: acknowledging sync writes without a follower whose in-sync expand is pending (seed 4346)', () => {
  // The simulator found this bug (first at seed 1771, RF 5, before the compaction clamp changed
  // the event order; now at seed 4346, RF 3): an expand committed after sync writes the joiner
  // lacked were acknowledged, and the joiner was then promoted. The fixed primary passes the seed.
  // Any change to the simulator's event order may move the failing seed: re-find it with
  // `cli.js --seeds 6000 --bug ackIgnoringPendingExpand`.
  const options: ReplicationSimOptions = { seed: 4346, replicationFactor: 3, mode: 'mixed' };
  const buggy = runReplicationSimulation({ ...options, primaryHooks: { ackIgnoringPendingExpand: true } });
  assert.ok(!buggy.ok, 'the injected pending-expand bug went unnoticed');
  process.stdout.write(`# caught: seed ${buggy.seed}: ${buggy.violation}\n`);
  assert.match(buggy.violation, /sync write .* missing/);
  const fixed = runReplicationSimulation(options);
  if (!fixed.ok) assert.fail(formatReplicationFailure(fixed, options));
});
