/**
 * Metadata log compaction at runtime: with snapshots every 8 entries, a follower that was down
 * while the leader compacted its log catches up by an installed snapshot over gRPC, and then
 * follows new entries. The restarted follower also recovers from its own snapshot on disk.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster, clusterInfo, collectionNames, createCollection, waitFor } from '../helpers/cluster.js';

let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.start({ ids: ['s1', 's2', 's3'], extraArgs: () => ['--raft-snapshot-entries', '8'] });
});
after(async () => {
  await cluster.close();
});

test('a follower that missed compacted entries catches up from a snapshot', { timeout: 120_000 }, async () => {
  const leader = await cluster.waitLeader(30_000);
  const follower = cluster.running().find((n) => n.id !== leader.id)!;
  await follower.kill9();
  const names: string[] = [];
  for (let i = 0; i < 24; i++) {
    const name = `snap-${i}`;
    const r = await createCollection(leader.url, name);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    names.push(name);
  }
  await follower.start();
  const expected = names.sort();
  await waitFor(`${follower.id} catches up`, 30_000, async () => {
    const seen = (await collectionNames(follower.url)).sort();
    return JSON.stringify(seen) === JSON.stringify(expected) ? true : undefined;
  });
  assert.ok(follower.logs.some((line) => line.includes('"msg":"installed metadata snapshot"')), `no snapshot was installed:\n${follower.tail()}`);
  const leaderInfo = await clusterInfo(leader.url);
  const followerInfo = await clusterInfo(follower.url);
  assert.ok(followerInfo.commit >= leaderInfo.commit - 2, `follower commit ${followerInfo.commit} vs leader ${leaderInfo.commit}`);
  // New entries keep flowing to it after the snapshot.
  assert.equal((await createCollection(leader.url, 'after-snapshot')).status, 200);
  await waitFor('the entry after the snapshot', 20_000, async () => ((await collectionNames(follower.url)).includes('after-snapshot') ? true : undefined));
});
