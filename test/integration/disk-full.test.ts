/**
 * A full disk: the data directory sits on a small tmpfs. Writes that do not fit fail with
 * 500 storage_error and change nothing; every acknowledged write stays readable, the server stays
 * up, and it accepts writes again once space is freed. Mounting needs root (CI runs as root).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { HektorApiError, HektorClient } from '../../src/client/index.js';
import { startNode, tempDir } from '../helpers/node.js';

function tryMount(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('a full disk fails writes with storage_error, loses no acknowledged write, and the node stays up', { timeout: 60_000 }, async (t) => {
  const dir = tempDir();
  if (!tryMount(dir.path)) {
    dir.remove();
    t.skip('mounting a small tmpfs needs root; CI runs as root');
    return;
  }
  try {
    let { node, url } = await startNode(dir.path);
    let client = new HektorClient({ url });
    await client.createCollection('full', { vectors: { size: 32, distance: 'Dot' } });
    const acknowledged: number[] = [];
    let failure: HektorApiError | undefined;
    for (let batch = 0; batch < 200 && failure === undefined; batch++) {
      const points = Array.from({ length: 20 }, (_, i) => ({ id: batch * 20 + i, vector: Array.from({ length: 32 }, () => batch), payload: { blob: 'y'.repeat(3000) } }));
      try {
        await client.upsert('full', points);
        acknowledged.push(...points.map((p) => p.id));
      } catch (e: unknown) {
        if (!(e instanceof HektorApiError)) throw e;
        failure = e;
      }
    }
    assert.ok(failure !== undefined, 'the disk never filled up');
    assert.equal(failure.code, 'storage_error');
    assert.equal(failure.status, 500);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal(await client.count('full'), acknowledged.length);
    const got = await client.retrieve('full', acknowledged.slice(-20));
    assert.equal(got.length, 20);

    // Free space, then writes succeed again.
    await client.delete('full', { points: acknowledged.slice(0, acknowledged.length / 2) });
    await client.upsert('full', [{ id: 999_999, vector: Array.from({ length: 32 }, () => 1) }]);

    await node.stop();
    ({ node, url } = await startNode(dir.path));
    client = new HektorClient({ url });
    assert.equal(await client.count('full'), acknowledged.length - acknowledged.length / 2 + 1);
    await node.stop();
  } finally {
    execFileSync('umount', [dir.path]);
    dir.remove();
  }
});
