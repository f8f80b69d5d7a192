/**
 * Scripted interactions with the pure replication core: fencing, divergence repair with listed
 * truncation, snapshot catch-up, acknowledgement by mode, in-sync changes that wait for the
 * controller, and the controller's decisions. The simulator in test/replication-sim covers the
 * same rules under random faults.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { applyExpand, applyShrink, chooseNewPrimary, onNodeDead } from './controller.js';
import { FollowerReplica } from './follower.js';
import { DEFAULT_REPLICATION_LIMITS } from './limits.js';
import type { ReplicationLimits } from './limits.js';
import { ReplicaLog } from './log.js';
import { PrimaryReplica } from './primary.js';
import type { ReplicaEntry, ReplicationMessage, ShardView, WriteCompletion } from './types.js';

const LIMITS: ReplicationLimits = { ...DEFAULT_REPLICATION_LIMITS, followerTimeoutMs: 100, heartbeatMs: 20, retransmitMs: 50 };
const SYNC = { mode: 'sync', timeoutMs: 10_000 } as const;
const ASYNC = { mode: 'async', timeoutMs: 10_000 } as const;
const SEMI = { mode: 'semi_sync', minAcks: 1, timeoutMs: 10_000 } as const;

function view(overrides: Partial<ShardView> = {}): ShardView {
  return { shard: 's', epoch: 1, version: 1, primary: 'p', replicas: ['a', 'b', 'p'], inSync: ['a', 'b', 'p'], ...overrides };
}

function entries(spec: readonly [number, number][]): ReplicaEntry<string>[] {
  return spec.map(([seq, epoch]) => ({ seq, epoch, op: `${seq}@${epoch}` }));
}

/** A primary plus followers wired by hand: messages are delivered in order, none lost. */
class Harness {
  readonly primary: PrimaryReplica<string>;
  readonly followers = new Map<string, FollowerReplica<string>>();
  readonly completions: WriteCompletion[] = [];
  readonly requests: string[] = [];
  readonly truncated: string[] = [];
  private inbox: ReplicationMessage<string>[] = [];
  nowMs = 0;
  /** Followers whose messages are dropped both ways. */
  readonly silent = new Set<string>();

  constructor(shardView: ShardView, primaryLog: ReplicaLog<string>, followerLogs: Record<string, ReplicaLog<string>>) {
    this.primary = new PrimaryReplica('p', primaryLog, shardView, LIMITS, (op) => op.length, 0);
    this.primary.renewLease(1_000_000);
    for (const [id, log] of Object.entries(followerLogs)) this.followers.set(id, new FollowerReplica(id, 's', log, shardView.epoch));
  }

  /** Runs until no message is left: the primary's outputs are persisted at once. */
  pump(): void {
    for (let round = 0; round < 1000; round++) {
      const out = this.primary.takeOutput();
      const last = out.entries.at(-1);
      this.completions.push(...out.completions);
      this.requests.push(...out.controllerRequests.map((r) => `${r.type} ${r.follower}`));
      this.inbox.push(...out.messages);
      if (last !== undefined) {
        this.primary.persisted(last.seq, this.nowMs);
        continue;
      }
      const message = this.inbox.shift();
      if (message === undefined) return;
      if (this.silent.has(message.to) || this.silent.has(message.from)) continue;
      if (message.to === 'p') {
        this.primary.step(message, this.nowMs);
        continue;
      }
      const follower = this.followers.get(message.to);
      assert.ok(follower !== undefined);
      const output = follower.step(message);
      this.truncated.push(...(output.persist?.truncated ?? []).map((t) => t.op));
      this.inbox.push(...output.messages);
    }
    assert.fail('pump did not quiesce');
  }

  advance(ms: number): void {
    for (let t = 0; t < ms; t += 10) {
      this.nowMs += 10;
      this.primary.tick(this.nowMs);
      this.pump();
    }
  }
}

function seqsOf(log: ReplicaLog<string>): string[] {
  const out: string[] = [];
  for (let seq = log.baseSeq + 1; seq <= log.lastSeq; seq++) out.push(log.entry(seq)?.op ?? '?');
  return out;
}

test('a follower fences appends from an older epoch', () => {
  const follower = new FollowerReplica<string>('a', 's', new ReplicaLog<string>(), 2);
  const output = follower.step({ type: 'append', from: 'old', to: 'a', shard: 's', epoch: 1, prevSeq: 0, prevEpoch: 0, entries: entries([[1, 1]]), primaryCommitSeq: 0 });
  assert.equal(output.persist, null);
  const reply = output.messages[0];
  assert.ok(reply?.type === 'appendReject');
  assert.equal(reply.reason, 'stale_epoch');
  assert.equal(follower.log.lastSeq, 0);
});

test('a sync write is acknowledged after every in-sync follower, async after the primary alone', () => {
  const h = new Harness(view(), new ReplicaLog(), { a: new ReplicaLog(), b: new ReplicaLog() });
  h.silent.add('b');
  const sync = h.primary.propose('w1', SYNC, 0);
  const async = h.primary.propose('w2', ASYNC, 0);
  assert.ok(sync.ok && async.ok);
  h.pump();
  assert.deepEqual(h.completions, [{ seq: 2, ok: true }], 'only the async write is acknowledged while b is silent');
  h.silent.delete('b');
  h.advance(20);
  assert.deepEqual(h.completions.map((c) => c.seq).sort(), [1, 2]);
});

test('a lagging follower is shrunk through the controller before a write it lacks is acknowledged', () => {
  const h = new Harness(view(), new ReplicaLog(), { a: new ReplicaLog(), b: new ReplicaLog() });
  h.silent.add('b');
  assert.ok(h.primary.propose('w1', SYNC, 0).ok);
  h.advance(150);
  assert.ok(h.requests.includes('shrink_isr b'), 'the primary asked the controller to remove b');
  assert.equal(h.completions.length, 0, 'the write waits until the shrink commits');
  const shrunk = applyShrink(view(), { type: 'shrink_isr', shard: 's', from: 'p', follower: 'b', epoch: 1, viewVersion: 1 });
  assert.ok(shrunk.ok);
  h.primary.updateView(shrunk.view, h.nowMs);
  h.pump();
  assert.deepEqual(h.completions, [{ seq: 1, ok: true }]);
  // b comes back, catches up, and the primary asks to add it back.
  h.silent.delete('b');
  h.advance(60);
  assert.ok(h.requests.includes('expand_isr b'));
  const lag = h.primary.lag(h.nowMs).find((l) => l.follower === 'b');
  assert.equal(lag?.lagOps, 0);
});

test('while a follower is being added to the in-sync set, sync writes wait for it too', () => {
  const h = new Harness(view({ inSync: ['a', 'p'] }), new ReplicaLog(), { a: new ReplicaLog(), b: new ReplicaLog() });
  h.advance(20);
  assert.ok(h.requests.includes('expand_isr b'), 'b is caught up and asked for');
  h.silent.add('b');
  assert.ok(h.primary.propose('w1', SYNC, h.nowMs).ok);
  assert.ok(h.primary.propose('w2', SEMI, h.nowMs).ok);
  h.pump();
  assert.deepEqual(h.completions, [{ seq: 2, ok: true }], 'semi_sync counts committed members; sync waits for the joining b');
  // The expand commits; b is now in sync and still lacks w1, so w1 keeps waiting for it.
  const expanded = applyExpand(view({ inSync: ['a', 'p'] }), { type: 'expand_isr', shard: 's', from: 'p', follower: 'b', epoch: 1, viewVersion: 1 });
  assert.ok(expanded.ok);
  h.primary.updateView(expanded.view, h.nowMs);
  h.pump();
  assert.equal(h.completions.length, 1);
  h.silent.delete('b');
  h.advance(60);
  assert.deepEqual(h.completions.map((c) => c.seq), [2, 1]);
});

test('writes are refused with not_enough_in_sync when the in-sync set cannot serve their mode', () => {
  const h = new Harness(view({ inSync: ['p'] }), new ReplicaLog(), { a: new ReplicaLog(), b: new ReplicaLog() });
  const sync = h.primary.propose('w', SYNC, 0);
  const semi = h.primary.propose('w', SEMI, 0);
  assert.equal(sync.ok ? '' : sync.code, 'not_enough_in_sync');
  assert.equal(semi.ok ? '' : semi.code, 'not_enough_in_sync');
  assert.ok(h.primary.propose('w', ASYNC, 0).ok);
  assert.equal(h.primary.log.lastSeq, 1, 'refused writes were not logged');
});

test('a primary without a lease refuses writes, and one that meets a newer epoch is deposed', () => {
  const p = new PrimaryReplica<string>('p', new ReplicaLog(), view(), LIMITS, (op) => op.length, 0);
  const refused = p.propose('w', ASYNC, 0);
  assert.equal(refused.ok ? '' : refused.code, 'no_lease');
  p.renewLease(100);
  assert.ok(p.propose('w', SYNC, 0).ok);
  p.step({ type: 'appendReject', from: 'a', to: 'p', shard: 's', epoch: 2, reason: 'stale_epoch', lastSeq: 0, lastEpoch: 0, baseSeq: 0 }, 1);
  assert.equal(p.active, false);
  const completions = p.takeOutput().completions;
  const first = completions[0];
  assert.ok(first !== undefined && !first.ok);
  assert.equal(first.code, 'not_primary');
});

test('a returning replica truncates after the divergence point and lists what it removed', () => {
  // Epoch 1 wrote 1..4; the old primary (now follower a) kept 3@1 and 4@1 that the new primary of epoch 2 never had.
  const primaryLog = new ReplicaLog<string>(0, 0, entries([[1, 1], [2, 1], [3, 2], [4, 2], [5, 2]]));
  const followerLog = new ReplicaLog<string>(0, 0, entries([[1, 1], [2, 1], [3, 1], [4, 1]]));
  const h = new Harness(view({ epoch: 2, replicas: ['a', 'p'], inSync: ['p'] }), primaryLog, { a: followerLog });
  h.advance(30);
  assert.deepEqual(seqsOf(followerLog), ['1@1', '2@1', '3@2', '4@2', '5@2']);
  assert.deepEqual(h.truncated, ['3@1', '4@1'], 'the obsolete epoch-1 entries are listed, not dropped');
  const follower = h.followers.get('a');
  assert.ok(follower !== undefined);
  assert.equal(follower.knownEpoch, 2);
});

test('truncated entries are handed to the runtime to keep', () => {
  const follower = new FollowerReplica<string>('a', 's', new ReplicaLog<string>(0, 0, entries([[1, 1], [2, 1], [3, 1]])), 1);
  const output = follower.step({ type: 'append', from: 'p', to: 'a', shard: 's', epoch: 2, prevSeq: 1, prevEpoch: 1, entries: entries([[2, 2]]), primaryCommitSeq: 0 });
  const persist = output.persist;
  assert.ok(persist !== null);
  assert.deepEqual(persist.truncated.map((t) => `${t.seq}@${t.epoch}>${t.truncatedInEpoch}`), ['2@1>2', '3@1>2']);
  assert.equal(persist.truncateAfterSeq, 1);
  assert.deepEqual(output.messages[0]?.type === 'appendAck' ? output.messages[0].durableSeq : -1, 2);
});

test('a follower behind the primary’s retained log catches up from a snapshot plus the tail', () => {
  const primaryLog = new ReplicaLog<string>(0, 0, entries([[1, 1], [2, 1], [3, 1], [4, 1], [5, 1]]));
  primaryLog.compactThrough(3);
  const followerLog = new ReplicaLog<string>();
  const h = new Harness(view({ replicas: ['a', 'p'], inSync: ['p'] }), primaryLog, { a: followerLog });
  h.advance(30);
  assert.equal(followerLog.baseSeq, 3);
  assert.deepEqual(seqsOf(followerLog), ['4@1', '5@1']);
});

test('the controller promotes only in-sync replicas, by (epoch, durable seq), then priority, then node id', () => {
  const v = view({ replicas: ['a', 'b', 'c', 'p'], inSync: ['a', 'b', 'p'] });
  assert.equal(chooseNewPrimary(v, [{ node: 'a', durableSeq: 5, epoch: 1 }, { node: 'b', durableSeq: 7, epoch: 1 }, { node: 'c', durableSeq: 9, epoch: 1 }]), 'b');
  assert.equal(chooseNewPrimary(v, [{ node: 'a', durableSeq: 5, epoch: 2 }, { node: 'b', durableSeq: 7, epoch: 1 }]), 'a');
  assert.equal(chooseNewPrimary(v, [{ node: 'a', durableSeq: 7, epoch: 1 }, { node: 'b', durableSeq: 7, epoch: 1 }]), 'a');
  assert.equal(chooseNewPrimary(v, [{ node: 'a', durableSeq: 7, epoch: 1 }, { node: 'b', durableSeq: 7, epoch: 1 }], (n) => (n === 'b' ? 1 : 0)), 'b');
  assert.equal(chooseNewPrimary(v, [{ node: 'c', durableSeq: 9, epoch: 1 }]), null);
  const dead = onNodeDead(v, 'p', [{ node: 'b', durableSeq: 7, epoch: 1 }]);
  assert.ok(dead.type === 'promote');
  assert.equal(dead.view.epoch, 2);
  assert.deepEqual(dead.view.inSync, ['a', 'b']);
  assert.equal(onNodeDead(v, 'p', [{ node: 'c', durableSeq: 9, epoch: 1 }]).type, 'unavailable');
  assert.equal(onNodeDead(v, 'a', []).type, 'remove_from_in_sync');
});

test('the controller refuses in-sync requests from a stale epoch or a non-primary', () => {
  const v = view({ epoch: 3 });
  const stale = applyShrink(v, { type: 'shrink_isr', shard: 's', from: 'p', follower: 'a', epoch: 2, viewVersion: 1 });
  assert.equal(stale.ok ? '' : stale.code, 'stale_epoch');
  const notPrimary = applyShrink(v, { type: 'shrink_isr', shard: 's', from: 'a', follower: 'b', epoch: 3, viewVersion: 1 });
  assert.equal(notPrimary.ok ? '' : notPrimary.code, 'not_primary');
  const expand = applyExpand(view({ epoch: 3, inSync: ['p'] }), { type: 'expand_isr', shard: 's', from: 'p', follower: 'a', epoch: 3, viewVersion: 1 });
  assert.ok(expand.ok);
  assert.deepEqual(expand.view.inSync, ['a', 'p']);
  assert.equal(expand.view.version, 2);
  const staleExpand = applyExpand(expand.view, { type: 'expand_isr', shard: 's', from: 'p', follower: 'b', epoch: 3, viewVersion: 1 });
  assert.equal(staleExpand.ok ? '' : staleExpand.code, 'stale_view', 'an expand made against an older view never commits');
});

test('docs/replication.md documents every replication limit', () => {
  const doc = readFileSync(new URL('../../../docs/replication.md', import.meta.url), 'utf8');
  for (const key of Object.keys(DEFAULT_REPLICATION_LIMITS)) assert.ok(doc.includes(`| \`${key}\` |`), `docs/replication.md is missing ${key}`);
});
