import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShardStore, decodeRecord, encodeRecord, type StoredPoint } from './shard-store.js';
import type { LogEntry } from './ops.js';

function withDir(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hektor-store-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function point(id: number, slot: number, payload: StoredPoint['payload'] = { id }): StoredPoint {
  return { id, slot, version: 0, vector: new Float32Array([id, -id, 0.5]), payload };
}

test('records round-trip: slot, version, vector bytes, payload (and null payload)', () => {
  const p = { ...point(7, 3, { a: [1, 'x', null], b: { c: true } }), version: 42 };
  assert.deepEqual(decodeRecord(7, encodeRecord(p)), p);
  const empty = point(8, 0, null);
  assert.deepEqual(decodeRecord(8, encodeRecord(empty)), empty);
});

test('commit persists log entries and points atomically; reopen sees them', withDir(async (dir) => {
  const store = ShardStore.open(dir);
  const entries: LogEntry[] = [
    { seq: 1, epoch: 0, op: { type: 'upsert', points: [{ id: 1, vector: new Float32Array([1, 2, 3]), payload: null }] } },
    { seq: 2, epoch: 0, op: { type: 'delete', ids: [5] } },
  ];
  await store.commit(entries, [{ id: 1, point: point(1, 0) }, { id: 2, point: point(2, 1) }]);
  await store.commit([{ seq: 3, epoch: 0, op: { type: 'clear_payload', ids: [2] } }], [{ id: 2, point: point(2, 1, null) }]);
  await store.close();

  const again = ShardStore.open(dir);
  assert.equal(again.meta.lastSeq, 3);
  const seen: StoredPoint[] = [];
  again.forEachPoint((p) => seen.push(p));
  assert.deepEqual(seen.map((p) => [p.id, p.payload]), [[1, { id: 1 }], [2, null]]);
  const log = [...again.entriesFrom(1)];
  assert.deepEqual(log.map((e) => e.seq), [1, 2, 3]);
  const first = log[0]!.op;
  assert.ok(first.type === 'upsert');
  assert.deepEqual(Array.from(first.points[0]!.vector), [1, 2, 3]);
  await again.compactLogBefore(3);
  assert.deepEqual([...again.entriesFrom(1)].map((e) => e.seq), [3]);
  await again.close();
}));
