import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CollectionConfig } from '../shard/collection.js';
import { MetadataStateMachine, type ShardPlacement } from './metadata.js';

const config: CollectionConfig = {
  name: 'c', vectors: { size: 4, distance: 'Dot' }, hnsw_config: { m: 16, ef_construct: 100 }, on_disk_payload: false,
  shard_number: 1, replication_factor: 3, write_consistency_factor: 1, payload_schema: {}, created_at_ms: 0,
};

function setup(): { sm: MetadataStateMachine; shard: () => ShardPlacement } {
  const sm = new MetadataStateMachine();
  let index = 1;
  for (const id of ['a', 'b', 'c']) sm.apply({ type: 'upsert_member', member: { id, grpcAddress: `${id}:1`, httpAddress: `${id}:2`, zone: 'z' } }, index++);
  assert.equal(sm.apply({ type: 'create_collection', config }, index).ok, true);
  return { sm, shard: () => sm.current.collections.c!.shards[0]! };
}

test('in-sync changes: only the primary of the current epoch may shrink; expands are compare-and-set on the view version', () => {
  const { sm, shard } = setup();
  const { primary, epoch, version } = shard();
  const follower = shard().replicas.find((r) => r !== primary)!;
  const request = { type: 'shrink_isr' as const, shard: 'c/0', from: primary, follower, epoch, viewVersion: version };
  assert.equal(sm.apply({ type: 'in_sync_change', collection: 'c', shard: 0, request: { ...request, from: follower } }, 10).ok, false, 'not the primary');
  assert.equal(sm.apply({ type: 'in_sync_change', collection: 'c', shard: 0, request: { ...request, epoch: epoch - 1 } }, 11).ok, false, 'stale epoch');
  assert.deepEqual(sm.apply({ type: 'in_sync_change', collection: 'c', shard: 0, request }, 12), { ok: true });
  assert.equal(shard().inSync.includes(follower), false);
  assert.equal(shard().version, version + 1);
  const expand = { ...request, type: 'expand_isr' as const };
  assert.equal(sm.apply({ type: 'in_sync_change', collection: 'c', shard: 0, request: expand }, 13).ok, false, 'expand against an old view version');
  assert.equal(sm.apply({ type: 'in_sync_change', collection: 'c', shard: 0, request: { ...expand, viewVersion: version + 1 } }, 14).ok, true);
  assert.equal(shard().inSync.includes(follower), true);
});

test('promotion: only an in-sync replica, only against the current epoch; the epoch rises and the old primary leaves the in-sync set', () => {
  const { sm, shard } = setup();
  const { primary, epoch } = shard();
  const [f1, f2] = shard().replicas.filter((r) => r !== primary) as [string, string];
  sm.apply({ type: 'in_sync_change', collection: 'c', shard: 0, request: { type: 'shrink_isr', shard: 'c/0', from: primary, follower: f2, epoch, viewVersion: shard().version } }, 10);
  assert.equal(sm.apply({ type: 'promote_primary', collection: 'c', shard: 0, epoch, newPrimary: f2 }, 11).ok, false, 'out of sync');
  assert.equal(sm.apply({ type: 'promote_primary', collection: 'c', shard: 0, epoch: epoch - 1, newPrimary: f1 }, 12).ok, false, 'stale epoch');
  assert.equal(sm.apply({ type: 'promote_primary', collection: 'c', shard: 0, epoch, newPrimary: f1 }, 13).ok, true);
  assert.equal(shard().primary, f1);
  assert.equal(shard().epoch, epoch + 1);
  assert.deepEqual(shard().inSync, [f1]);
  // The deposed primary's requests are fenced by the new epoch.
  const stale = { type: 'expand_isr' as const, shard: 'c/0', from: primary, follower: f2, epoch, viewVersion: shard().version };
  assert.equal(sm.apply({ type: 'in_sync_change', collection: 'c', shard: 0, request: stale }, 14).ok, false);
  // Snapshots carry the view.
  const copy = new MetadataStateMachine();
  copy.restore(sm.snapshot(), 14);
  assert.deepEqual(copy.current.collections.c!.shards[0], shard());
});
