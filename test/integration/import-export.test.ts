/** `hektor import` (JSONL and .fvecs) and `hektor export` through the real CLI against a running node. */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HektorClient } from '../../src/client/index.js';
import { startNode, tempDir } from '../helpers/node.js';
import type { HektorNode } from '../../src/server/node.js';

const run = promisify(execFile);
const BIN = new URL('../../../bin/hektor.js', import.meta.url).pathname;
const dir = tempDir();
let node: HektorNode;
let url: string;
let client: HektorClient;

before(async () => {
  ({ node, url } = await startNode(dir.path));
  client = new HektorClient({ url });
});
after(async () => {
  await node.stop();
  dir.remove();
});

test('import JSONL with progress and throughput, then export it back unchanged', { timeout: 60_000 }, async () => {
  await client.createCollection('imp', { vectors: { size: 3, distance: 'Dot' } });
  const file = join(dir.path, 'in.jsonl');
  const lines = Array.from({ length: 1234 }, (_, i) => JSON.stringify({ id: i, vector: [i, -i, 0.5], payload: { n: i } }));
  writeFileSync(file, `${lines.join('\n')}\n`);
  const imported = await run(process.execPath, [BIN, 'import', '--collection', 'imp', '--file', file, '--url', url, '--batch-size', '100']);
  const summary = JSON.parse(imported.stdout) as { imported: number; points_per_second: number };
  assert.equal(summary.imported, 1234);
  assert.ok(summary.points_per_second > 0);
  assert.match(imported.stderr, /100\.0% 1234 points .* points\/s ETA/);
  assert.equal(await client.count('imp'), 1234);

  const out = join(dir.path, 'out.jsonl');
  const exported = await run(process.execPath, [BIN, 'export', '--collection', 'imp', '--file', out, '--url', url]);
  assert.equal((JSON.parse(exported.stdout) as { exported: number }).exported, 1234);
  const back = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: number; vector: number[]; payload: { n: number } });
  assert.equal(back.length, 1234);
  assert.deepEqual(back[7], { id: 7, vector: [7, -7, 0.5], payload: { n: 7 } });
});

test('import .fvecs (ids are row numbers); bad lines fail with a message naming the line', { timeout: 60_000 }, async () => {
  await client.createCollection('fv', { vectors: { size: 4, distance: 'Euclid' } });
  const rows = 50;
  const buf = Buffer.alloc(rows * (4 + 16));
  for (let r = 0; r < rows; r++) {
    buf.writeInt32LE(4, r * 20);
    for (let j = 0; j < 4; j++) buf.writeFloatLE(r + j / 10, r * 20 + 4 + j * 4);
  }
  const file = join(dir.path, 'in.fvecs');
  writeFileSync(file, buf);
  await run(process.execPath, [BIN, 'import', '--collection', 'fv', '--file', file, '--url', url]);
  const [p] = await client.retrieve('fv', [42], { with_vector: true });
  assert.ok(p!.vector!.every((v, j) => Math.abs(v - (42 + j / 10)) < 1e-5));

  // Several requests in flight: every batch lands, and a batch the node refuses fails the import.
  await client.createCollection('par', { vectors: { size: 4, distance: 'Euclid' } });
  await run(process.execPath, [BIN, 'import', '--collection', 'par', '--file', file, '--url', url, '--batch-size', '7', '--parallel', '3']);
  assert.equal(await client.count('par'), rows);
  const wrongSize = join(dir.path, 'wrong-size.jsonl');
  writeFileSync(wrongSize, Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: 1000 + i, vector: i === 33 ? [1, 2, 3] : [1, 2, 3, 4] })).join('\n'));
  await assert.rejects(run(process.execPath, [BIN, 'import', '--collection', 'par', '--file', wrongSize, '--url', url, '--batch-size', '5', '--parallel', '2']), (e: { code?: number; stderr?: string }) => {
    assert.notEqual(e.code, 0);
    assert.match(e.stderr ?? '', /vector/i);
    return true;
  });

  const bad = join(dir.path, 'bad.jsonl');
  writeFileSync(bad, '{"id": 1, "vector": [1,2,3,4]}\nnot json\n');
  await assert.rejects(run(process.execPath, [BIN, 'import', '--collection', 'fv', '--file', bad, '--url', url]), (e: { code?: number; stderr?: string }) => {
    assert.equal(e.code, 2);
    assert.match(e.stderr ?? '', /bad\.jsonl:2: not valid JSON/);
    return true;
  });
});
