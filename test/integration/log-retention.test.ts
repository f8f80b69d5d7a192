// A shard with a single replica keeps no replication log behind its commit point (its entries
// would only hold vectors in memory: no follower can ask for them), while its points stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ShardStore } from '../../src/storage/shard-store.js';
import { http, startNode, tempDir } from '../helpers/node.js';

/** Compaction looks once a second; two rounds and some slack for a loaded machine. */
const COMPACTION_WAIT_MS = 3000;

test('a single-replica shard compacts its log through the commit point and keeps every point', async () => {
  const dir = tempDir();
  const { node, url } = await startNode(dir.path);
  try {
    assert.equal((await http(url, 'PUT', '/collections/c', { vectors: { size: 4, distance: 'Euclid' } })).status, 200);
    for (let batch = 0; batch < 3; batch++) {
      const points = Array.from({ length: 50 }, (_, i) => ({ id: batch * 50 + i, vector: [batch, i, 1, 2] }));
      assert.equal((await http(url, 'PUT', '/collections/c/points?wait=true', { points })).status, 200);
    }
    await sleep(COMPACTION_WAIT_MS);
  } finally {
    await node.stop();
  }
  const store = ShardStore.open(join(dir.path, 'collections', 'c', 'shards', '0'));
  try {
    const meta = store.meta;
    assert.ok(meta.lastSeq >= 3, `expected at least 3 logged writes, lastSeq is ${meta.lastSeq}`);
    assert.equal(meta.firstLogSeq, meta.lastSeq + 1, 'entries behind the commit point were kept');
    assert.deepEqual([...store.entriesFrom(1)], []);
    let points = 0;
    store.forEachPoint(() => points++);
    assert.equal(points, 150);
  } finally {
    await store.close();
    dir.remove();
  }
});
