/**
 * Durability under kill -9: writers upsert with wait=true while the node is killed at a random
 * moment; after a restart every acknowledged point must be readable with the acknowledged
 * payload and vector, and searchable. Repeated over several rounds on the same data directory.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/base/prng.js';
import { HektorClient } from '../../src/client/index.js';
import { spawnNode, tempDir } from '../helpers/node.js';

const SEED = Number(process.env.HEKTOR_CRASH_SEED ?? 777);
const DIM = 16;

function vectorFor(id: number): number[] {
  const rng = new SeededRandom(id + 1);
  return Array.from({ length: DIM }, () => rng.next() * 2 - 1);
}

test(`kill -9 during concurrent writes loses no acknowledged write (seed ${SEED})`, { timeout: 180_000 }, async () => {
  const dir = tempDir();
  const rng = new SeededRandom(SEED);
  const acknowledged = new Map<number, number>();
  let nextId = 0;
  try {
    for (let round = 0; round < 3; round++) {
      const child = await spawnNode(dir.path);
      try {
        const client = new HektorClient({ url: child.url, timeoutMs: 10_000 });
        if (round === 0) await client.createCollection('durable', { vectors: { size: DIM, distance: 'Euclid' } });
        let stop = false;
        const writer = async () => {
          while (!stop) {
            const ids = Array.from({ length: 1 + rng.int(20) }, () => nextId++);
            try {
              await client.upsert('durable', ids.map((id) => ({ id, vector: vectorFor(id), payload: { round, id } })));
              for (const id of ids) acknowledged.set(id, round);
            } catch {
              return; // the node died under us: this batch was never acknowledged
            }
          }
        };
        const writers = Array.from({ length: 4 }, writer);
        await new Promise((r) => setTimeout(r, 300 + rng.int(900)));
        await child.kill9();
        stop = true;
        await Promise.all(writers);
      } finally {
        if (child.process.exitCode === null && child.process.signalCode === null) await child.kill9();
      }
      const restarted = await spawnNode(dir.path);
      try {
        const client = new HektorClient({ url: restarted.url, timeoutMs: 30_000 });
        const ids = [...acknowledged.keys()];
        assert.ok(ids.length > 0, 'no write was acknowledged before the kill');
        for (let i = 0; i < ids.length; i += 1000) {
          const chunk = ids.slice(i, i + 1000);
          const got = await client.retrieve('durable', chunk, { with_payload: true, with_vector: true });
          assert.equal(got.length, chunk.length, `seed ${SEED} round ${round}: ${chunk.length - got.length} acknowledged points lost`);
          for (const p of got) {
            const id = p.id as number;
            assert.deepEqual(p.payload, { round: acknowledged.get(id), id }, `seed ${SEED}: payload of ${id}`);
            const expected = vectorFor(id);
            assert.ok(p.vector!.every((v, j) => Math.abs(v - expected[j]!) < 1e-6), `seed ${SEED}: vector of ${id}`);
          }
        }
        const sample = ids[rng.int(ids.length)]!;
        const hits = await client.search('durable', { vector: vectorFor(sample), limit: 1 });
        assert.equal(hits[0]?.id, sample, `seed ${SEED}: point ${sample} not found by search after restart`);
      } finally {
        await restarted.kill9();
      }
    }
  } finally {
    dir.remove();
  }
});

test('SIGTERM shuts down gracefully and the data is there after restart', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  try {
    const child = await spawnNode(dir.path);
    const client = new HektorClient({ url: child.url });
    await client.createCollection('g', { vectors: { size: 2, distance: 'Dot' } });
    await client.upsert('g', [{ id: 1, vector: [1, 2] }]);
    assert.equal(await child.terminate(), 0);
    const again = await spawnNode(dir.path);
    try {
      assert.equal(await new HektorClient({ url: again.url }).count('g'), 1);
    } finally {
      await again.kill9();
    }
  } finally {
    dir.remove();
  }
});
