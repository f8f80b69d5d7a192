/**
 * Sends many malformed requests (seeded, so a failure replays) and checks that each one gets a
 * 4xx answer with a stable code, that nothing changes, and that the server stays up.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/base/prng.js';
import { ERROR_CODES } from '../../src/base/errors.js';
import { http, startNode, tempDir } from '../helpers/node.js';
import type { HektorNode } from '../../src/server/node.js';

const dir = tempDir();
let node: HektorNode;
let url: string;
const SEED = Number(process.env.HEKTOR_FUZZ_SEED ?? 20261124);

before(async () => {
  ({ node, url } = await startNode(dir.path));
  await http(url, 'PUT', '/collections/f', { vectors: { size: 4, distance: 'Cosine' } });
  await http(url, 'PUT', '/collections/f/points?wait=true', { points: [{ id: 1, vector: [1, 0, 0, 0], payload: { a: 1 } }] });
});
after(async () => {
  await node.stop();
  dir.remove();
});

const ENDPOINTS: [string, string][] = [
  ['PUT', '/collections/f/points?wait=true'],
  ['POST', '/collections/f/points/search'],
  ['POST', '/collections/f/points/search/batch'],
  ['POST', '/collections/f/points/query'],
  ['POST', '/collections/f/points/scroll'],
  ['POST', '/collections/f/points/count'],
  ['POST', '/collections/f/points/delete?wait=true'],
  ['POST', '/collections/f/points/payload?wait=true'],
  ['PUT', '/collections/f/points/payload?wait=true'],
  ['POST', '/collections/f/points/payload/delete?wait=true'],
  ['POST', '/collections/f/points'],
  ['PUT', '/collections/f/index'],
  ['PUT', '/collections/g'],
];

function junkValue(rng: SeededRandom, depth = 0): unknown {
  const pick = rng.int(depth > 2 ? 7 : 10);
  switch (pick) {
    case 0: return null;
    case 1: return rng.int(2) === 0 ? -1 : 1e308;
    case 2: return 'x'.repeat(rng.int(20));
    case 3: return rng.chance(0.5);
    case 4: return [1, 'a', null];
    case 5: return 'NaN';
    case 6: return rng.next();
    case 7: return Array.from({ length: rng.int(4) }, () => junkValue(rng, depth + 1));
    case 8: return { must: junkValue(rng, depth + 1), key: junkValue(rng, depth + 1) };
    default: return { [['vector', 'points', 'filter', 'limit', 'ids', 'payload', 'keys', 'query', 'vectors', 'offset'][rng.int(10)]!]: junkValue(rng, depth + 1) };
  }
}

function junkBody(rng: SeededRandom): string {
  const kind = rng.int(6);
  if (kind === 0) return '{"unterminated": [1, 2';
  if (kind === 1) return 'not json at all';
  if (kind === 2) return JSON.stringify(junkValue(rng));
  const body: Record<string, unknown> = {};
  const fields = ['vector', 'limit', 'filter', 'points', 'ids', 'payload', 'keys', 'query', 'offset', 'vectors', 'searches', 'field_name', 'field_schema', 'with_payload', 'params'];
  for (let i = 0; i < 1 + rng.int(4); i++) body[fields[rng.int(fields.length)]!] = junkValue(rng);
  return JSON.stringify(body);
}

test(`malformed requests get 4xx with a stable code and change nothing (seed ${SEED})`, async () => {
  const rng = new SeededRandom(SEED);
  let errors = 0;
  for (let i = 0; i < 600; i++) {
    const [method, path] = ENDPOINTS[rng.int(ENDPOINTS.length)]!;
    const body = junkBody(rng);
    const r = await http(url, method, path, undefined, body);
    if (r.status >= 400) {
      errors++;
      assert.ok(r.status < 500, `seed ${SEED} request ${i}: ${method} ${path} ${body} -> ${r.status} ${JSON.stringify(r.json)}`);
      const code = (r.json as { status?: { code?: string } }).status?.code;
      assert.ok(code !== undefined && code in ERROR_CODES, `seed ${SEED} request ${i}: no stable code in ${JSON.stringify(r.json)}`);
    }
  }
  assert.ok(errors > 500, `expected most junk to be refused, got ${errors}`);
  const count = await http(url, 'POST', '/collections/f/points/count', {});
  assert.equal(count.status, 200);
  const list = await http(url, 'GET', '/collections');
  assert.deepEqual((list.json as { result: { collections: { name: string }[] } }).result.collections.map((c) => c.name), ['f']);
  const point = await http(url, 'POST', '/collections/f/points', { ids: [1], with_vector: true });
  assert.deepEqual((point.json as { result: { payload: unknown }[] }).result[0]!.payload, { a: 1 });
});
