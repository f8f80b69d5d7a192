import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '../base/prng.js';
import { LocalShard, type ShardConfig } from './local-shard.js';

const config: ShardConfig = { dim: 8, distance: 'Euclid', hnswM: 8, hnswEfConstruct: 64, onDiskPayload: false };

function vector(rng: SeededRandom): Float32Array {
  return Float32Array.from({ length: 8 }, () => rng.gaussian());
}

function nearestIds(shard: LocalShard, q: Float32Array, k: number, exact: boolean): (number | string)[] {
  return shard.search({ vector: q, top: k, exact, ef: 200, withPayload: false, withVector: false }).map((h) => h.id);
}

test('a shard reopens from its saved graph, and a stale saved graph is reconciled with the store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hektor-shard-'));
  const rng = new SeededRandom(5);
  try {
    let shard = LocalShard.open(dir, config, {});
    await shard.write({ type: 'upsert', points: Array.from({ length: 500 }, (_, i) => ({ id: i, vector: vector(rng), payload: { i } })) });
    await shard.close();
    assert.ok(existsSync(join(dir, 'hnsw', 'graph.bin')), 'close saves the graph');
    const stale = join(dir, '..', `${dir.split('/').pop()!}-stale`);
    cpSync(join(dir, 'hnsw'), stale, { recursive: true });

    shard = LocalShard.open(dir, config, {});
    assert.equal(shard.pointCount, 500);
    assert.equal(shard.indexedVectorCount, 500);
    // Change the store: delete some points, move others, add new ones.
    await shard.write({ type: 'delete', target: { ids: Array.from({ length: 100 }, (_, i) => i) } });
    await shard.write({ type: 'upsert', points: Array.from({ length: 100 }, (_, i) => ({ id: 100 + i, vector: vector(rng), payload: null })) });
    await shard.write({ type: 'upsert', points: Array.from({ length: 50 }, (_, i) => ({ id: 1000 + i, vector: vector(rng), payload: null })) });
    await shard.close();

    // As if the process had crashed before saving: put the old graph back.
    rmSync(join(dir, 'hnsw'), { recursive: true, force: true });
    cpSync(stale, join(dir, 'hnsw'), { recursive: true });
    rmSync(stale, { recursive: true, force: true });

    shard = LocalShard.open(dir, config, {});
    assert.equal(shard.pointCount, 450);
    assert.equal(shard.indexedVectorCount, 450, 'deleted points must not survive in the index');
    for (let t = 0; t < 20; t++) {
      const q = vector(rng);
      assert.deepEqual(nearestIds(shard, q, 5, false), nearestIds(shard, q, 5, true));
    }
    const hits = shard.search({ vector: Float32Array.from({ length: 8 }, () => 0), top: 450, exact: false, ef: 500, withPayload: false, withVector: false });
    assert.ok(hits.every((h) => typeof h.id === 'number' && (h.id >= 100)), 'a deleted id came back from a stale graph');
    await shard.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a shard checkpoints its graph after enough point changes, without a shutdown', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hektor-shard-'));
  const rng = new SeededRandom(6);
  const small: ShardConfig = { ...config, dim: 2 };
  const shard = LocalShard.open(dir, small, {});
  try {
    for (let batch = 0; batch < 10 && !existsSync(join(dir, 'hnsw', 'graph.bin')); batch++) {
      const points = Array.from({ length: 10_000 }, (_, i) => ({ id: batch * 10_000 + i, vector: Float32Array.from([rng.gaussian(), rng.gaussian()]), payload: null }));
      await shard.write({ type: 'upsert', points });
    }
    assert.ok(existsSync(join(dir, 'hnsw', 'graph.bin')), 'no checkpoint after 100k point changes');
  } finally {
    await shard.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('indexing a large group hands the event loop back: searches are answered while it is indexed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hektor-shard-'));
  const rng = new SeededRandom(7);
  const wide: ShardConfig = { ...config, dim: 64 };
  const shard = LocalShard.open(dir, wide, {});
  try {
    const points = Array.from({ length: 4000 }, (_, i) => ({ id: i, vector: Float32Array.from({ length: 64 }, () => rng.gaussian()), payload: null }));
    let done = false;
    const write = shard.write({ type: 'upsert', points }).then(() => {
      done = true;
    });
    // Between event-loop turns, record what a reader sees until the write is acknowledged.
    const seen: number[] = [];
    while (!done) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const hits = shard.search({ vector: points[0]!.vector, top: 3, exact: false, withPayload: false, withVector: false });
      seen.push(shard.pointCount);
      assert.ok(hits.length <= Math.min(3, shard.pointCount), 'a search during the apply sees only applied points');
    }
    await write;
    // The points are stored first, then inserted into the graph in chunks between which the event
    // loop runs: turns that see every point stored before the write is acknowledged ran during
    // the graph insertions (a synchronous insertion would leave none).
    const duringIndexing = seen.filter((n) => n === points.length);
    assert.ok(duringIndexing.length >= 2, `the event loop did not run while the group was indexed (counts seen: ${seen.join(', ')})`);
    assert.equal(shard.pointCount, points.length);
  } finally {
    await shard.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
