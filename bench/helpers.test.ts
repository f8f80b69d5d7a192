/**
 * Quick checks of the bench's own arithmetic (ground truth, recall, flags, quantiles). Not part of
 * `npm test`'s roots; run with `node --test dist/bench/helpers.test.js`.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlags, flagIntList } from './args.js';
import { bruteForce } from './brute-force.js';
import { exactDistance, syntheticDataset, type Dataset } from './datasets.js';
import { recallAt, type GroundTruth } from './ground-truth.js';
import { medianBy, quantile } from './stats.js';
import { parseWrkReport } from './wrk.js';

function naiveTopK(dataset: Dataset, q: number, k: number): number[] {
  const all = Array.from({ length: dataset.baseCount }, (_, j) => ({ j, d: exactDistance(dataset, q, j) }));
  all.sort((a, b) => a.d - b.d || a.j - b.j);
  return all.slice(0, k).map((e) => e.j);
}

function truthOf(dataset: Dataset, k: number): GroundTruth {
  const ids = new Int32Array(dataset.queryCount * k);
  const distances = new Float64Array(dataset.queryCount * k);
  bruteForce({ base: dataset.base, queries: dataset.queries, dim: dataset.dim, distance: dataset.distance, k, queryStart: 0, queryEnd: dataset.queryCount, ids, distances });
  return { k, ids, distances };
}

test('brute force matches a sort of all distances (cosine, blocked and tail queries)', () => {
  const dataset = syntheticDataset({ baseCount: 600, queryCount: 11, dim: 16, clusterCount: 20, seed: 7 });
  const truth = truthOf(dataset, 10);
  for (let q = 0; q < dataset.queryCount; q++) assert.deepEqual([...truth.ids.subarray(q * 10, q * 10 + 10)], naiveTopK(dataset, q, 10));
});

test('brute force on Euclid integer data equals the direct squared distance', () => {
  const dim = 12;
  const base = Float32Array.from({ length: 300 * dim }, (_, i) => (i * 37) % 256);
  const queries = Float32Array.from({ length: 9 * dim }, (_, i) => (i * 91) % 256);
  const dataset: Dataset = { name: 't', cacheKey: 't', dim, distance: 'Euclid', base, baseCount: 300, queries, queryCount: 9 };
  const truth = truthOf(dataset, 5);
  for (let q = 0; q < 9; q++) {
    for (let i = 0; i < 5; i++) assert.equal(truth.distances[q * 5 + i], exactDistance(dataset, q, truth.ids[q * 5 + i]!));
  }
});

test('recall counts ties at the k-th distance and ignores duplicates and bad ids', () => {
  const dim = 2;
  // Base points 1 and 2 are at the same distance from the query: either one is a correct 2nd hit.
  const base = Float32Array.from([0, 0, 1, 0, 0, 1, 5, 5]);
  const dataset: Dataset = { name: 't', cacheKey: 't', dim, distance: 'Euclid', base, baseCount: 4, queries: Float32Array.from([0, 0]), queryCount: 1 };
  const truth = truthOf(dataset, 2);
  assert.equal(recallAt(dataset, truth, 0, [0, 2], 2), 1);
  assert.equal(recallAt(dataset, truth, 0, [0, 1], 2), 1);
  assert.equal(recallAt(dataset, truth, 0, [0, 0], 2), 0.5);
  assert.equal(recallAt(dataset, truth, 0, [3, 99], 2), 0);
});

test('synthetic set is seeded, unit length, and queries differ from base points', () => {
  const a = syntheticDataset({ baseCount: 50, queryCount: 5, dim: 8, clusterCount: 4, seed: 1 });
  const b = syntheticDataset({ baseCount: 50, queryCount: 5, dim: 8, clusterCount: 4, seed: 1 });
  assert.deepEqual(a.base, b.base);
  assert.deepEqual(a.queries, b.queries);
  let norm = 0;
  for (let d = 0; d < 8; d++) norm += a.base[d]! ** 2;
  assert.ok(Math.abs(norm - 1) < 1e-5);
  assert.notDeepEqual(a.queries.subarray(0, 8), a.base.subarray(0, 8));
});

test('flags and quantiles', () => {
  const flags = parseFlags(['--efs', '16,32', '--quick', '--size=1_000']);
  assert.deepEqual(flagIntList(flags, 'efs', []), [16, 32]);
  assert.equal(flags.get('quick'), 'true');
  assert.equal(flags.get('size'), '1_000');
  assert.equal(quantile([5, 1, 3, 2, 4], 0.5), 3);
  assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99), 10);
});

test('raw-socket client: GET and POST over kept-alive connections, server closes, chunked replies refused', async () => {
  const { createServer } = await import('node:http');
  const { createClient } = await import('./rest-client.js');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.url === '/chunked') {
        res.write('a');
        res.end('b');
        return;
      }
      const text = JSON.stringify({ method: req.method, url: req.url, body, port: req.socket.remotePort });
      const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
      if (req.url === '/close') headers.connection = 'close';
      res.writeHead(req.url === '/missing' ? 404 : 200, headers);
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const client = createClient('raw-socket', `http://127.0.0.1:${address.port}`, 2);
  try {
    const get = await client.send('GET', '/readyz');
    assert.equal(get.status, 200);
    assert.deepEqual({ ...(JSON.parse(get.text) as Record<string, unknown>), port: 0 }, { method: 'GET', url: '/readyz', body: '', port: 0 });
    const post = await client.send('POST', '/search', '{"vector":[1,2],"name":"é"}');
    assert.equal((JSON.parse(post.text) as { body: string }).body, '{"vector":[1,2],"name":"é"}');
    assert.equal((await client.send('GET', '/missing')).status, 404);
    // Eight requests over at most two connections, each answered in full.
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => client.send('POST', `/r${i}`, String(i))));
    assert.deepEqual(replies.map((r) => (JSON.parse(r.text) as { url: string }).url), Array.from({ length: 8 }, (_, i) => `/r${i}`));
    assert.ok(new Set(replies.map((r) => (JSON.parse(r.text) as { port: number }).port)).size <= 2);
    // A reply that closes its connection; the next request opens another.
    assert.equal((await client.send('GET', '/close')).status, 200);
    assert.equal((await client.send('GET', '/after')).status, 200);
    await assert.rejects(client.send('GET', '/chunked'), /transfer-encoding/);
    assert.equal((await client.send('GET', '/again')).status, 200);
  } finally {
    client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('a wrk report is read in milliseconds, and one with failed replies is refused', () => {
  const ok = [
    'Running 1s test @ http://127.0.0.1:44345/readyz',
    '  1 threads and 2 connections',
    '  Latency Distribution',
    '     50%  121.00us',
    '     75%  177.00us',
    '     90%  294.00us',
    '     99%    1.82ms',
    '  14112 requests in 1.10s, 2.49MB read',
    'Requests/sec:  12822.87',
  ].join('\n');
  assert.deepEqual(parseWrkReport(ok), { requests: 14112, qps: 12822.87, p50Ms: 0.121, p99Ms: 1.82 });
  assert.throws(() => parseWrkReport(`${ok}\n  Non-2xx or 3xx responses: 8790`), /non-2xx/);
  assert.throws(() => parseWrkReport(`${ok}\n  Socket errors: connect 0, read 1, write 0, timeout 0`), /socket errors/);
  assert.throws(() => parseWrkReport('Running 1s test'), /unreadable/);
});

test('the median round: the middle item by value, the lower middle one for an even count', () => {
  const rounds = [{ qps: 30 }, { qps: 10 }, { qps: 20 }];
  assert.equal(medianBy(rounds, (r) => r.qps), rounds[2]);
  assert.equal(medianBy([...rounds, { qps: 40 }], (r) => r.qps)?.qps, 20);
  assert.equal(medianBy([{ qps: 5 }], (r) => r.qps)?.qps, 5);
  assert.equal(medianBy([], (r: { qps: number }) => r.qps), undefined);
});
