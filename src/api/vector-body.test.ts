// The search body's vector fast path: it reads exactly what JSON.parse and a Float32Array store
// read, and it steps aside (returns undefined) for every body it cannot be certain about.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../base/prng.js';
import { parseVectorBody } from './vector-body.js';

/** What the usual path makes of a body: JSON.parse, then the vector stored into float32. */
function usual(text: string): { rest: Record<string, unknown>; vector: Float32Array } {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const vector = Float32Array.from(parsed.vector as number[]);
  return { rest: { ...parsed, vector: null }, vector };
}

function fast(text: string): Record<string, unknown> | undefined {
  return parseVectorBody(Buffer.from(text, 'utf8'), 'vector');
}

function assertSame(text: string): void {
  const got = fast(text);
  assert.ok(got !== undefined, `fast path refused ${text.slice(0, 200)}`);
  const want = usual(text);
  assert.ok(got.vector instanceof Float32Array);
  assert.deepEqual(new Uint8Array(got.vector.buffer), new Uint8Array(want.vector.buffer), `bits differ for ${text.slice(0, 200)}`);
  assert.deepEqual({ ...got, vector: null }, want.rest);
}

test('numbers in every JSON form read bit for bit as JSON.parse and Float32Array read them', () => {
  const forms = ['0', '-0', '1', '-1', '0.5', '-0.125', '1e3', '1E-3', '2.5e+10', '-7.25E-5', '123456789012345678901234567890', '0.1', '3.4028234663852886e38', '1.401298464324817e-45', '7e-46', '1e-300'];
  assertSame(`{"vector":[${forms.join(',')}],"limit":10}`);
  assertSame(`{"vector":[ ${forms.join(' , ')} ],"limit":10}`);
  assertSame(`{"vector":[\n${forms.join(',\n\t')}\r\n],"limit":10}`);
});

test('random bodies, as clients write them, read as the usual path reads them', () => {
  const seed = 20261124;
  const random = new SeededRandom(seed);
  for (let n = 0; n < 300; n++) {
    const dim = 1 + Math.floor(random.next() * 300);
    const values: number[] = [];
    for (let i = 0; i < dim; i++) {
      const kind = Math.floor(random.next() * 4);
      if (kind === 0) values.push(Math.fround((random.next() - 0.5) * 2)); // a float32 printed as a double
      else if (kind === 1) values.push(Math.floor(random.next() * 256)); // a pixel
      else if (kind === 2) values.push((random.next() - 0.5) * 10 ** Math.floor(random.next() * 60 - 30));
      else values.push(Number((random.next() * 100).toFixed(3)));
    }
    const others = [`"limit":${1 + n}`, `"params":{"hnsw_ef":${16 + n}}`, `"with_payload":${n % 2 === 0}`, `"filter":{"must":[{"key":"a","match":{"value":"x[${n}]"}}]}`];
    const fields = [`"vector":${JSON.stringify(values)}`, ...others.slice(0, n % 5)];
    // The vector anywhere among the keys.
    const at = n % fields.length;
    [fields[0], fields[at]] = [fields[at] ?? '', fields[0] ?? ''];
    try {
      assertSame(`{${fields.join(',')}}`);
    } catch (e: unknown) {
      throw new Error(`seed ${seed}, body ${n}: ${String(e)}`);
    }
  }
});

test('bodies the fast path cannot be sure of are left to the usual path', () => {
  const refused = [
    // Not JSON numbers, or not finite float32 values: JSON.parse refuses them or the usual path does.
    '{"vector":[01],"limit":1}',
    '{"vector":[1.],"limit":1}',
    '{"vector":[.5],"limit":1}',
    '{"vector":[1e],"limit":1}',
    '{"vector":[+1],"limit":1}',
    '{"vector":[-],"limit":1}',
    '{"vector":[NaN],"limit":1}',
    '{"vector":[Infinity],"limit":1}',
    '{"vector":[1e39],"limit":1}',
    '{"vector":[1e400],"limit":1}',
    '{"vector":[1,,2],"limit":1}',
    '{"vector":[1,2,],"limit":1}',
    '{"vector":[1 2],"limit":1}',
    '{"vector":["1"],"limit":1}',
    '{"vector":[null],"limit":1}',
    '{"vector":[[1]],"limit":1}',
    // Not the body's own vector key, or not the only one.
    '{"filter":{"vector":[1,2]},"vector":{"name":"","vector":[1,2]}}',
    '{"params":{"vector":[1,2]},"limit":1}',
    '{"with_payload":["vector"],"vector":[1,2]}',
    '{"vector":[1,2],"vector":[3,4]}',
    '{"vector":[1,2],"vector":null}',
    '[{"vector":[1,2]}]',
    '{"vector":[1,2],"limit":1',
    '{"vector":[1,2],"limit":}',
    // Not ASCII.
    '{"vector":[1,2],"filter":{"must":[{"key":"é","match":{"value":"ü"}}]}}',
  ];
  for (const text of refused) assert.equal(fast(text), undefined, text);
});

test('a vector key spelled inside a string is not taken for the body\'s', () => {
  const text = '{"filter":{"must":[{"key":"k","match":{"text":"\\"vector\\":["}}]},"with_payload":["\\"vector\\":[1]"],"vector":[0.5,1],"limit":2}';
  assertSame(text);
});

test('an empty vector is read as one (the dimension check then refuses it as usual)', () => {
  const got = fast('{"vector":[],"limit":1}');
  assert.ok(got !== undefined && got.vector instanceof Float32Array);
  assert.equal(got.vector.length, 0);
});

test('a query body\'s "query" array is read the same way, and a "vector" key is not taken for it', () => {
  const text = '{"query":[0.25,-1,3e-2],"limit":3,"with_payload":true}';
  const got = parseVectorBody(Buffer.from(text), 'query');
  assert.ok(got !== undefined && got.query instanceof Float32Array);
  assert.deepEqual(Array.from(got.query), Array.from(Float32Array.from([0.25, -1, 3e-2])));
  assert.deepEqual({ ...got, query: null }, { query: null, limit: 3, with_payload: true });
  assert.equal(parseVectorBody(Buffer.from('{"vector":[1,2],"limit":1}'), 'query'), undefined);
  assert.equal(parseVectorBody(Buffer.from('{"query":{"nearest":[1,2]},"limit":1}'), 'query'), undefined);
  assert.equal(parseVectorBody(Buffer.from('{"query":[1,2],"prefetch":{"query":[3,4]}}'), 'query'), undefined);
});

test('mutated bodies: whatever the fast path accepts, JSON.parse accepts and reads the same (seeded differential check)', () => {
  const seed = 424242;
  const random = new SeededRandom(seed);
  const alphabet = '0123456789.-+eE, []{}":nulltrueINFa\\';
  const pick = (n: number) => Math.floor(random.next() * n);
  let accepted = 0;
  for (let n = 0; n < 5000; n++) {
    const values = Array.from({ length: 1 + pick(6) }, () => (random.next() < 0.5 ? pick(300) : Math.fround(random.next() * 2 - 1)));
    let text = `{"vector":${JSON.stringify(values)},"limit":${1 + pick(9)}}`;
    for (let edits = 1 + pick(3); edits > 0; edits--) {
      const at = pick(text.length + 1);
      const kind = pick(3);
      if (kind === 0) text = text.slice(0, at) + (alphabet[pick(alphabet.length)] ?? '') + text.slice(at);
      else if (kind === 1) text = text.slice(0, at) + text.slice(at + 1);
      else text = text.slice(0, at) + (alphabet[pick(alphabet.length)] ?? '') + text.slice(at + 1);
    }
    const got = fast(text);
    if (got === undefined) continue;
    accepted++;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      assert.fail(`seed ${seed}, case ${n}: the fast path accepted what JSON.parse refuses: ${text}`);
    }
    assert.ok(Array.isArray(parsed.vector) && parsed.vector.every((v) => typeof v === 'number'), `seed ${seed}, case ${n}: ${text}`);
    const want = Float32Array.from(parsed.vector);
    assert.ok(got.vector instanceof Float32Array);
    assert.deepEqual(new Uint8Array(got.vector.buffer, got.vector.byteOffset, got.vector.byteLength), new Uint8Array(want.buffer), `seed ${seed}, case ${n}: ${text}`);
    assert.deepEqual({ ...got, vector: null }, { ...parsed, vector: null }, `seed ${seed}, case ${n}: ${text}`);
  }
  // The mutations leave many bodies valid; the check must have compared some.
  assert.ok(accepted > 500, `only ${accepted} mutated bodies took the fast path`);
});
