/**
 * The simulator driving the metadata state machine (issue 4): seeds of 3 and 5 nodes whose client
 * writes are encoded metadata commands, applied on every node through MetadataStateMachine under
 * faults, with identical states and results at every index and sound shard maps; plus proof that
 * the checkers fire on deliberately broken state machines. A failure prints the seed and replay.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeId } from '../../src/consensus/types.js';
import { MetadataStateMachine } from '../../src/cluster/metadata.js';
import { GhostInSyncStateMachine, LossySnapshotStateMachine, SelfPreferringStateMachine } from './metadata-sim.js';
import { formatFailure, runSimulation } from './sim.js';
import type { SimResult } from './sim.js';

const SEEDS_PER_SIZE = 110;

for (const nodeCount of [3, 5]) {
  test(`metadata simulation: ${SEEDS_PER_SIZE} seeds of ${nodeCount} nodes agree on every metadata state and result`, () => {
    let ok = 0;
    let errors = 0;
    let restores = 0;
    let comparisons = 0;
    const okByType: Record<string, number> = {};
    for (let seed = 1; seed <= SEEDS_PER_SIZE; seed++) {
      const result = runSimulation({ seed, nodeCount, metadata: {} });
      if (!result.ok) assert.fail(formatFailure(result, nodeCount, ' --metadata'));
      const m = result.stats.metadata;
      assert.ok(m !== null, `seed ${seed}: no metadata stats`);
      ok += m.ok;
      errors += m.errors;
      restores += m.restores;
      comparisons += m.comparisons;
      for (const [type, n] of Object.entries(m.okByType)) okByType[type] = (okByType[type] ?? 0) + n;
    }
    // The workload must have exercised every command, failures, and the snapshot/restore path.
    for (const type of ['upsert_member', 'remove_member', 'set_node_state', 'create_collection', 'delete_collection', 'create_payload_index', 'delete_payload_index']) {
      assert.ok((okByType[type] ?? 0) > 0, `no successful ${type}: ${JSON.stringify(okByType)}`);
    }
    assert.ok(errors > 0 && restores > 0 && comparisons > ok, JSON.stringify({ ok, errors, restores, comparisons }));
  });
}

test('metadata simulation: ids and names that collide with Object.prototype keep every node in agreement', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const nodeCount = seed % 2 === 0 ? 3 : 5;
    const result = runSimulation({ seed, nodeCount, metadata: { hostileNames: true } });
    if (!result.ok) assert.fail(formatFailure(result, nodeCount, ' --hostile-names'));
  }
  assert.equal((Object.prototype as { state?: unknown }).state, undefined, 'Object.prototype was written to');
});

test('metadata state machine: a member named "__proto__" is a member, and survives snapshot and restore', () => {
  const upsert = (id: string) => ({ type: 'upsert_member' as const, member: { id, grpcAddress: 'g', httpAddress: 'h', zone: 'z' } });
  const applier = new MetadataStateMachine();
  assert.deepEqual(applier.apply(upsert('__proto__'), 1), { ok: true });
  assert.deepEqual(Object.keys(applier.current.members), ['__proto__']);
  const restored = new MetadataStateMachine();
  restored.restore(applier.snapshot(), 1);
  assert.deepEqual(Object.keys(restored.current.members), ['__proto__']);
  // Before the fix the applier threw here (members.zone was the prototype's "z") and the restored node did not.
  for (const sm of [applier, restored]) {
    assert.equal(sm.apply({ type: 'set_node_state', id: 'zone', state: 'dead' }, 2).ok, false);
    assert.equal(sm.apply({ type: 'set_node_state', id: 'toString', state: 'dead' }, 3).ok, false);
  }
  assert.equal(Buffer.from(applier.snapshot()).toString(), Buffer.from(restored.snapshot()).toString());
});

/** The first failing seed (alternating 3 and 5 nodes) with the given state machines. */
function firstFailure(stateMachineFor: (nodeId: NodeId) => MetadataStateMachine, seedsMax: number): { result: Extract<SimResult, { ok: false }>; nodeCount: number } | undefined {
  for (let seed = 1; seed <= seedsMax; seed++) {
    const nodeCount = seed % 2 === 0 ? 3 : 5;
    const result = runSimulation({ seed, nodeCount, metadata: { stateMachineFor } });
    if (!result.ok) return { result, nodeCount };
  }
  return undefined;
}

test('metadata checkers can fail: placement that depends on the applying node is reported as divergence with its seed', () => {
  const broken = (nodeId: NodeId): MetadataStateMachine => (nodeId === 'n1' ? new SelfPreferringStateMachine(nodeId) : new MetadataStateMachine());
  const failure = firstFailure(broken, 60);
  assert.ok(failure !== undefined, 'a node-dependent shard placement went unnoticed');
  const { result, nodeCount } = failure;
  assert.match(result.violation, /metadata state diverged at index \d+: .*first difference at \$\.collections\.\w+\.shards\.\d+\.primary/);
  const report = formatFailure(result, nodeCount, ' --metadata');
  assert.match(report, new RegExp(`SIMULATION FAILED seed=${result.seed} nodes=${nodeCount}`));
  // The seed replays the failure exactly.
  const replay = runSimulation({ seed: result.seed, nodeCount, metadata: { stateMachineFor: broken } });
  assert.ok(!replay.ok);
  assert.equal(replay.violation, result.violation);
});

test('metadata checkers can fail: a snapshot that loses state is caught on the node that restores it', () => {
  const failure = firstFailure(() => new LossySnapshotStateMachine(), 60);
  assert.ok(failure !== undefined, 'a lossy snapshot went unnoticed');
  assert.match(failure.result.violation, /metadata state diverged at index \d+: n\d \(restoring a snapshot\).*payload_schema/);
});

test('metadata checkers can fail: a shard map that every node gets equally wrong breaks a structural invariant', () => {
  const failure = firstFailure(() => new GhostInSyncStateMachine(), 20);
  assert.ok(failure !== undefined, 'an in-sync node outside the replicas went unnoticed');
  assert.match(failure.result.violation, /metadata structure .*in-sync ghost is not a replica/);
});

test('metadata simulation: the same seed gives the same run', () => {
  const a = runSimulation({ seed: 7, nodeCount: 5, metadata: {} });
  const b = runSimulation({ seed: 7, nodeCount: 5, metadata: {} });
  assert.ok(a.ok && b.ok);
  assert.deepEqual(a.stats, b.stats);
});
