/**
 * Scripted interaction tests, one per rule of the Raft paper (section numbers from the extended
 * paper and Ongaro's dissertation), plus the Ready contract and the bounds.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../src/base/prng.js';
import { RaftNode } from '../../src/consensus/raft.js';
import { MemoryStorage } from '../../src/consensus/storage.js';
import type { Message } from '../../src/consensus/types.js';
import { appliedTexts, bytes, Cluster } from './harness.js';

const IDS = ['a', 'b', 'c'];

function electedCluster(ids: readonly string[] = IDS, options: ConstructorParameters<typeof Cluster>[1] = {}): Cluster {
  const cluster = new Cluster(ids, options);
  cluster.elect(ids[0]!);
  assert.deepEqual(cluster.leaders(), [ids[0]]);
  return cluster;
}

test('§5.2 leader election: a candidate that wins votes from a majority becomes leader and others follow it', () => {
  const cluster = electedCluster();
  const s = cluster.raft('a').status();
  assert.equal(s.term, 1);
  for (const id of ['b', 'c']) {
    assert.equal(cluster.raft(id).status().role, 'follower');
    assert.equal(cluster.raft(id).status().leaderId, 'a');
  }
});

test('§5.2 election safety: a node grants at most one vote per term', () => {
  const cluster = new Cluster(IDS);
  const c = cluster.raft('c');
  const vote = (from: string): Message => ({ type: 'vote', from, to: 'c', term: 1, lastIndex: 0, lastTerm: 0, force: false });
  c.step(vote('a'));
  c.step(vote('b'));
  const rd = c.ready();
  const answers = rd.messages.filter((m) => m.type === 'voteResp');
  assert.deepEqual(answers.map((m) => [m.to, m.type === 'voteResp' && m.reject]), [['a', false], ['b', true]]);
  assert.equal(rd.hardState?.vote, 'a', 'the vote is in the hard state, persisted before the answer is sent');
  c.advance(rd);
});

test('§5.4.1 election restriction: a candidate with a stale log gets no vote', () => {
  const cluster = electedCluster();
  cluster.raft('a').propose(bytes('x'));
  cluster.stabilize();
  const c = cluster.raft('c');
  const { term } = c.status();
  cluster.isolate('c');
  cluster.tick(20, ['c']); // let c's lease on the leader expire so the request is considered
  c.step({ type: 'vote', from: 'b', to: 'c', term: term + 5, lastIndex: 1, lastTerm: 1, force: false });
  const rd = c.ready();
  const answer = rd.messages.find((m) => m.type === 'voteResp');
  assert.ok(answer?.type === 'voteResp' && answer.reject, 'stale candidate must be rejected');
  c.advance(rd);
});

test('§5.3 log replication: a proposal commits on a majority and every node applies it in order', () => {
  const cluster = electedCluster();
  for (const text of ['one', 'two', 'three']) assert.ok(cluster.raft('a').propose(bytes(text)).ok);
  cluster.stabilize();
  cluster.tick(2);
  for (const id of IDS) assert.deepEqual(appliedTexts(cluster.get(id)), ['one', 'two', 'three'], id);
});

test('§5.3 a follower refuses a proposal; only the leader appends', () => {
  const cluster = electedCluster();
  const result = cluster.raft('b').propose(bytes('x'));
  assert.deepEqual(result, { ok: false, reason: 'notLeader' });
});

test('§5.3 log matching: a follower rejects an append whose previous entry does not match, with a conflict hint', () => {
  const cluster = electedCluster();
  const b = cluster.raft('b');
  const { term, lastIndex } = b.status();
  b.step({ type: 'append', from: 'a', to: 'b', term, prevIndex: lastIndex + 10, prevTerm: term, entries: [], commit: 0 });
  const rd = b.ready();
  const resp = rd.messages.find((m) => m.type === 'appendResp');
  assert.ok(resp?.type === 'appendResp' && resp.reject);
  assert.equal(resp.hintIndex, lastIndex, 'hint points at the follower\'s last index');
  b.advance(rd);
});

test('§5.3 conflicting entries of a deposed leader are overwritten by the new leader\'s log', () => {
  const cluster = electedCluster();
  cluster.isolate('a');
  assert.ok(cluster.raft('a').propose(bytes('lost-1')).ok);
  assert.ok(cluster.raft('a').propose(bytes('lost-2')).ok);
  cluster.stabilize();
  cluster.tick(25, ['b', 'c']);
  const newLeader = cluster.leaders().find((id) => id !== 'a');
  assert.ok(newLeader !== undefined, 'b or c must take over');
  assert.ok(cluster.raft(newLeader).propose(bytes('kept')).ok);
  cluster.stabilize();
  cluster.heal();
  cluster.tick(3);
  const a = cluster.raft('a');
  assert.equal(a.status().role, 'follower');
  assert.deepEqual(appliedTexts(cluster.get('a')), ['kept']);
  const last = a.status().lastIndex;
  assert.deepEqual(a.entriesIn(1, last + 1).map((e) => e.term), cluster.raft(newLeader).entriesIn(1, last + 1).map((e) => e.term));
});

test('§5.3 fast back-off: one round trip skips a whole term of conflicting entries', () => {
  const cluster = electedCluster();
  cluster.isolate('c');
  for (let i = 0; i < 30; i++) cluster.raft('a').propose(bytes(`e${i}`));
  cluster.stabilize();
  cluster.heal();
  let rejects = 0;
  for (let round = 0; round < 10; round++) {
    cluster.raft('a').tick();
    cluster.deliver((m) => {
      if (m.type === 'appendResp' && m.reject) rejects++;
      return true;
    });
  }
  cluster.stabilize();
  assert.ok(rejects <= 2, `expected at most 2 rejections to find the match point, saw ${rejects}`);
  assert.equal(cluster.raft('c').status().commitIndex, cluster.raft('a').status().commitIndex);
});

test('§5.4.2 Figure 8: an entry of a previous term is not committed by counting replicas', () => {
  for (const buggy of [false, true]) {
    const storage = new MemoryStorage({ voters: IDS, learners: [] });
    storage.append([{ term: 1, index: 1, type: 'normal', data: bytes('old') }]);
    storage.setHardState({ term: 1, vote: null, commit: 0 });
    const a = new RaftNode({ id: 'a', storage, random: new SeededRandom(1), testHooks: { commitPreviousTermByQuorum: buggy } });
    for (let i = 0; i < 30 && a.status().role === 'follower'; i++) a.tick();
    a.step({ type: 'preVoteResp', from: 'b', to: 'a', term: 2, reject: false });
    a.step({ type: 'voteResp', from: 'b', to: 'a', term: 2, reject: false });
    assert.equal(a.status().role, 'leader');
    assert.equal(a.status().term, 2);
    // b acknowledges only the term-1 entry: a majority (a, b) holds index 1, but not the no-op of term 2.
    a.step({ type: 'appendResp', from: 'b', to: 'a', term: 2, index: 1, reject: false, hintIndex: 0, hintTerm: 0 });
    assert.equal(a.status().commitIndex, buggy ? 1 : 0, buggy ? 'the injected bug commits by counting' : 'must wait for an entry of term 2');
    a.step({ type: 'appendResp', from: 'b', to: 'a', term: 2, index: 2, reject: false, hintIndex: 0, hintTerm: 0 });
    assert.equal(a.status().commitIndex, 2, 'committing the no-op of term 2 commits index 1 too');
  }
});

test('§9.6 pre-vote: a partitioned node does not inflate its term or disrupt the leader when it returns', () => {
  const cluster = electedCluster();
  const termBefore = cluster.raft('a').status().term;
  cluster.isolate('c');
  cluster.tick(60, ['c']);
  assert.equal(cluster.raft('c').status().term, termBefore, 'pre-vote failed, so no term was spent');
  cluster.heal();
  cluster.tick(3);
  assert.deepEqual(cluster.leaders(), ['a']);
  assert.equal(cluster.raft('a').status().term, termBefore);
});

test('§6.2 check-quorum: a leader that cannot hear a quorum steps down', () => {
  const cluster = electedCluster();
  cluster.isolate('a');
  // Within two election timeouts: the current period may have started with fresh replies.
  cluster.tick(21, ['a']);
  assert.equal(cluster.raft('a').status().role, 'follower');
});

test('§6.2 leases: a voter that heard from a leader recently ignores a disruptive vote request', () => {
  const cluster = electedCluster();
  const c = cluster.raft('c');
  const { term } = c.status();
  c.step({ type: 'vote', from: 'b', to: 'c', term: term + 1, lastIndex: 100, lastTerm: term, force: false });
  assert.equal(c.status().term, term, 'the request was ignored, term unchanged');
  assert.equal(c.status().leaderId, 'a');
});

test('§7 log compaction: a follower behind the leader\'s first index receives a snapshot', () => {
  const cluster = electedCluster();
  cluster.isolate('c');
  for (let i = 0; i < 20; i++) cluster.raft('a').propose(bytes(`e${i}`));
  cluster.stabilize();
  const a = cluster.get('a');
  const applied = a.raft.status().appliedIndex;
  a.storage.createSnapshot(applied, a.raft.status().config, bytes('state'));
  a.storage.compact(applied);
  cluster.heal();
  cluster.tick(3);
  const c = cluster.get('c');
  assert.equal(c.snapshotsApplied, 1);
  assert.equal(c.raft.status().commitIndex, a.raft.status().commitIndex);
  assert.equal(c.storage.snapshot().metadata.index, applied);
});

test('§4.2.1 learners: a learner replicates but does not vote, and can be promoted after catching up', () => {
  const cluster = electedCluster();
  cluster.add('d', new MemoryStorage({ voters: [], learners: [] }));
  cluster.tick(1);
  const leader = cluster.raft('a');
  assert.ok(leader.proposeConfigChange({ type: 'addLearner', nodeId: 'd' }).ok);
  cluster.tick(3);
  leader.propose(bytes('hello'));
  cluster.tick(2);
  assert.deepEqual(appliedTexts(cluster.get('d')), ['hello']);
  assert.deepEqual(cluster.raft('d').status().config.learners, ['d']);
  assert.equal(leader.matchIndexOf('d'), leader.status().lastIndex, 'caught up');
  cluster.tick(40, ['d']);
  assert.equal(cluster.raft('d').status().role, 'follower', 'a learner never campaigns');
  assert.ok(leader.proposeConfigChange({ type: 'addVoter', nodeId: 'd' }).ok);
  cluster.tick(2);
  assert.deepEqual([...cluster.raft('d').status().config.voters].sort(), ['a', 'b', 'c', 'd']);
});

test('§4.1 single-server changes: at most one uncommitted config change, and none before the leader commits in its term', () => {
  const cluster = new Cluster(IDS);
  const a = cluster.raft('a');
  for (let i = 0; i < 100 && a.status().role !== 'candidate'; i++) {
    a.tick();
    cluster.deliver((m) => m.type === 'preVote' || m.type === 'preVoteResp');
  }
  cluster.deliver((m) => m.type === 'vote');
  cluster.deliver((m) => m.type === 'voteResp');
  assert.equal(a.status().role, 'leader');
  assert.deepEqual(a.proposeConfigChange({ type: 'removeNode', nodeId: 'c' }), { ok: false, reason: 'configChangePending' }, 'no-op of the term not committed yet');
  cluster.stabilize();
  assert.ok(a.proposeConfigChange({ type: 'removeNode', nodeId: 'c' }).ok);
  assert.deepEqual(a.status().config.voters, ['a', 'b'], 'a config takes effect when appended');
  assert.deepEqual(a.proposeConfigChange({ type: 'addLearner', nodeId: 'c' }), { ok: false, reason: 'configChangePending' });
  cluster.stabilize();
  cluster.tick(1);
  assert.ok(a.proposeConfigChange({ type: 'addLearner', nodeId: 'c' }).ok);
});

test('§4.2.2 the leader refuses to remove itself (transfer leadership first)', () => {
  const cluster = electedCluster();
  cluster.tick(1);
  assert.deepEqual(cluster.raft('a').proposeConfigChange({ type: 'removeNode', nodeId: 'a' }), { ok: false, reason: 'configChangeInvalid' });
});

test('§4.1 a config entry truncated from a follower\'s log stops being in force', () => {
  const cluster = electedCluster();
  cluster.tick(1);
  cluster.isolate('a');
  assert.ok(cluster.raft('a').proposeConfigChange({ type: 'removeNode', nodeId: 'c' }).ok);
  cluster.stabilize();
  cluster.tick(25, ['b', 'c']);
  const other = cluster.leaders().find((id) => id !== 'a');
  assert.ok(other !== undefined);
  cluster.heal();
  cluster.tick(3);
  assert.deepEqual([...cluster.raft('a').status().config.voters].sort(), ['a', 'b', 'c'], 'the uncommitted removal was replaced');
});

test('§3.10 leadership transfer: TimeoutNow makes the caught-up target leader of the next term', () => {
  const cluster = electedCluster();
  const term = cluster.raft('a').status().term;
  assert.ok(cluster.raft('a').transferLeadership('b').ok);
  assert.deepEqual(cluster.raft('a').propose(bytes('x')), { ok: false, reason: 'transferring' });
  cluster.stabilize();
  assert.deepEqual(cluster.leaders(), ['b']);
  assert.equal(cluster.raft('b').status().term, term + 1);
});

test('§6.4 ReadIndex: a read is confirmed by a quorum heartbeat round and carries the commit index', () => {
  const cluster = electedCluster();
  cluster.raft('a').propose(bytes('w'));
  cluster.stabilize();
  const commit = cluster.raft('a').status().commitIndex;
  assert.ok(cluster.raft('a').readIndex('r1').ok);
  cluster.processReadies();
  assert.equal(cluster.get('a').readStates.length, 0, 'not before the heartbeat round');
  cluster.stabilize();
  assert.deepEqual(cluster.get('a').readStates, [{ requestId: 'r1', index: commit }]);
  assert.ok(cluster.raft('c').readIndex('r2').ok, 'followers forward to the leader');
  cluster.stabilize();
  assert.deepEqual(cluster.get('c').readStates, [{ requestId: 'r2', index: commit }]);
});

test('§6.4 ReadIndex: a leader cut off from its quorum confirms no read', () => {
  const cluster = electedCluster();
  cluster.isolate('a');
  assert.ok(cluster.raft('a').readIndex('r1').ok);
  cluster.tick(5, ['a']);
  assert.equal(cluster.get('a').readStates.length, 0);
});

test('§6.4 ReadIndex: a new leader serves no read before committing an entry of its term', () => {
  const cluster = new Cluster(IDS);
  const a = cluster.raft('a');
  for (let i = 0; i < 100 && a.status().role !== 'candidate'; i++) {
    a.tick();
    cluster.deliver((m) => m.type === 'preVote' || m.type === 'preVoteResp');
  }
  cluster.deliver((m) => m.type === 'vote');
  cluster.deliver((m) => m.type === 'voteResp');
  assert.deepEqual(a.readIndex('r'), { ok: false, reason: 'notReady' });
});

test('flow control: at most maxInflightMessages appends are in flight to a silent follower', () => {
  const cluster = electedCluster(IDS, { config: { maxInflightMessages: 3, maxEntriesPerMessage: 1 } });
  cluster.stabilize();
  const sentToC: Message[] = [];
  for (let i = 0; i < 10; i++) cluster.raft('a').propose(bytes(`e${i}`));
  cluster.deliver((m) => {
    if (m.to === 'c' && m.type === 'append') {
      sentToC.push(m);
      return false;
    }
    return true;
  });
  assert.equal(sentToC.length, 3);
});

test('bounds: oversized proposals and too many uncommitted entries are refused', () => {
  const cluster = electedCluster(IDS, { config: { maxUncommittedEntries: 4, maxProposalBytes: 16 } });
  cluster.isolate('b');
  cluster.isolate('c');
  const a = cluster.raft('a');
  assert.deepEqual(a.propose(new Uint8Array(17)), { ok: false, reason: 'tooLarge' });
  const results = Array.from({ length: 6 }, () => a.propose(bytes('x')).ok);
  assert.ok(results.includes(false), 'refused past the uncommitted bound');
  assert.ok(a.status().lastIndex - a.status().commitIndex <= 4);
});

test('Ready contract: ready() twice without advance() is a programming error', () => {
  const cluster = electedCluster();
  cluster.raft('a').propose(bytes('x'));
  cluster.raft('a').ready();
  assert.throws(() => cluster.raft('a').ready(), /before advance/);
});

test('restart: a node recovers term, vote and log from storage and re-applies committed entries', () => {
  const cluster = electedCluster();
  cluster.raft('a').propose(bytes('durable'));
  cluster.stabilize();
  cluster.tick(1);
  const before = cluster.raft('b').status();
  cluster.restart('b');
  const after = cluster.raft('b').status();
  assert.equal(after.term, before.term);
  assert.equal(after.vote, before.vote);
  assert.equal(after.lastIndex, before.lastIndex);
  cluster.processReadies();
  assert.deepEqual(appliedTexts(cluster.get('b')), ['durable']);
});
