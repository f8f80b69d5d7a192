/**
 * The search lane (src/api/search-lane.ts): which requests it takes and which it leaves to
 * Fastify, that it counts and releases every request it takes, and that a node answers every
 * search and query through it exactly as through the Fastify route.
 */

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HektorError } from '../../src/base/errors.js';
import { takeLane, type LaneDeps } from '../../src/api/search-lane.js';
import { http, startNode, tempDir } from '../helpers/node.js';
import type { HektorNode } from '../../src/server/node.js';

/** A raw HTTP exchange: the status and the body's text. */
interface Exchange {
  status: number;
  text: string;
}

/** Sends one request; a body without `length` goes chunked (no content-length). */
function send(port: number, method: string, path: string, body: string | undefined, headers: Record<string, string> = {}, chunked = false): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const allHeaders: Record<string, string | number> = { ...headers };
    if (body !== undefined && !chunked) allHeaders['content-length'] = Buffer.byteLength(body);
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: allHeaders }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('which requests the lane takes', () => {
  let server: Server;
  let port: number;
  const events: string[] = [];
  let inFlight = 0;
  let refuse = false;
  const deps: LaneDeps = {
    // A result that JSON cannot hold (a bigint) stands for a bug in a handler.
    search: { label: 'search-route', run: (name, body) => Promise.resolve(name === 'unserialisable' ? { big: 1n } : { route: 'search', name, body }) },
    query: {
      label: 'query-route',
      run: (name) => (name === 'missing' ? Promise.reject(new HektorError('collection_not_found', 'no collection "missing"')) : Promise.resolve({ route: 'query', name })),
    },
    admit: () => {
      inFlight++;
    },
    release: () => {
      inFlight--;
    },
    refusal: () => (refuse ? new HektorError('shutting_down', 'the node is shutting down') : undefined),
    parseJson: (_url, body, done) => {
      try {
        done(null, JSON.parse(body.toString('utf8')));
      } catch {
        done(new HektorError('invalid_json', 'not JSON'));
      }
    },
    observe: (method, route, status) => events.push(`${method} ${route} ${status}`),
    logFailure: () => undefined,
    paramLengthMax: 100,
  };

  before(async () => {
    server = createServer((req, res) => {
      if (takeLane(req, res, deps)) return;
      req.resume();
      req.on('end', () => res.end('fallback'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const json = { 'content-type': 'application/json' };

  test('searches and queries on the exact paths with a JSON body', async () => {
    const search = await send(port, 'POST', '/collections/c1/points/search', '{"vector":[1,2]}', json);
    assert.equal(search.status, 200);
    const answer = JSON.parse(search.text) as { result: unknown; status: string; time: number };
    assert.deepEqual(answer.result, { route: 'search', name: 'c1', body: { vector: [1, 2] } });
    assert.equal(answer.status, 'ok');
    assert.equal(typeof answer.time, 'number');
    const query = await send(port, 'POST', '/collections/c-2.x_y/points/query', '{}', { 'content-type': 'application/json; charset=utf-8' });
    assert.deepEqual((JSON.parse(query.text) as { result: unknown }).result, { route: 'query', name: 'c-2.x_y' });
    assert.deepEqual(events.splice(0), ['POST search-route 200', 'POST query-route 200']);
    assert.equal(inFlight, 0, 'every request taken is released');
  });

  test('anything else goes to the fallback untouched', async () => {
    const cases: [string, string, string | undefined, Record<string, string>, boolean][] = [
      ['GET', '/collections/c1/points/search', undefined, {}, false],
      ['POST', '/collections/c1/points/search?wait=true', '{}', json, false],
      ['POST', '/collections/c1/points/search/batch', '{}', json, false],
      ['POST', '/collections/c1/points/scroll', '{}', json, false],
      ['POST', '/collections/a%20b/points/search', '{}', json, false],
      ['POST', '/collections/a/b/points/search', '{}', json, false],
      ['POST', '/collections//points/search', '{}', json, false],
      ['POST', `/collections/${'n'.repeat(101)}/points/search`, '{}', json, false],
      ['POST', '/collections/c1/points/search', '{}', { 'content-type': 'text/plain' }, false],
      ['POST', '/collections/c1/points/search', '{}', { 'content-type': 'application/jsonx' }, false],
      ['POST', '/collections/c1/points/search', '{}', {}, false],
      ['POST', '/collections/c1/points/search', '{}', json, true],
    ];
    for (const [method, path, body, headers, chunked] of cases) {
      const reply = await send(port, method, path, body, headers, chunked);
      assert.equal(reply.text, 'fallback', `${method} ${path} ${JSON.stringify(headers)}${chunked ? ' chunked' : ''}`);
    }
    assert.deepEqual(events.splice(0), []);
    assert.equal(inFlight, 0);
  });

  test('errors are answered with their code and status, and released', async () => {
    const missing = await send(port, 'POST', '/collections/missing/points/query', '{}', json);
    assert.equal(missing.status, 404);
    assert.equal((JSON.parse(missing.text) as { status: { code: string } }).status.code, 'collection_not_found');
    const bad = await send(port, 'POST', '/collections/c1/points/search', '{"vector":', json);
    assert.equal(bad.status, 400);
    assert.equal((JSON.parse(bad.text) as { status: { code: string } }).status.code, 'invalid_json');
    refuse = true;
    const refused = await send(port, 'POST', '/collections/c1/points/search', '{"vector":[1]}', json);
    refuse = false;
    assert.equal(refused.status, 503);
    assert.equal((JSON.parse(refused.text) as { status: { code: string } }).status.code, 'shutting_down');
    const unserialisable = await send(port, 'POST', '/collections/unserialisable/points/search', '{}', json);
    assert.equal(unserialisable.status, 500);
    assert.equal((JSON.parse(unserialisable.text) as { status: { code: string } }).status.code, 'internal');
    assert.deepEqual(events.splice(0), ['POST query-route 404', 'POST search-route 400', 'POST search-route 503', 'POST search-route 500']);
    assert.equal(inFlight, 0);
    // The refused request's unread body did not break the connection's next request.
    const next = await send(port, 'POST', '/collections/c1/points/search', '{"vector":[3]}', json);
    assert.equal(next.status, 200);
    events.splice(0);
  });
});

describe('a node answers through the lane as through Fastify', () => {
  const dir = tempDir();
  let node: HektorNode;
  let url: string;
  let port: number;

  before(async () => {
    ({ node, url } = await startNode(dir.path));
    port = Number(new URL(url).port);
    const created = await http(url, 'PUT', '/collections/lane', { vectors: { size: 4, distance: 'Cosine' } });
    assert.equal(created.status, 200);
    const points = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, vector: [Math.cos(i), Math.sin(i), (i % 5) - 2, 1], payload: { group: i % 3, name: `p${i}` } }));
    const upserted = await http(url, 'PUT', '/collections/lane/points?wait=true', { points });
    assert.equal(upserted.status, 200);
  });
  after(async () => {
    await node.stop();
    dir.remove();
  });

  /** The answer without its `time`, which differs between any two requests. */
  function timeless(text: string): unknown {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    assert.equal(typeof parsed.time, 'number', text);
    delete parsed.time;
    return parsed;
  }

  test('same status and body for good and bad requests', async () => {
    const bodies: [string, string][] = [
      ['search', '{"vector":[0.1,0.2,0.3,0.4],"limit":5}'],
      ['search', '{"vector":[0.1,0.2,0.3,0.4],"limit":3,"with_payload":true,"filter":{"must":[{"key":"group","match":{"value":1}}]}}'],
      ['search', '{"vector":[1,0,0,0],"limit":4,"params":{"hnsw_ef":8},"with_vector":true,"score_threshold":0.1}'],
      ['search', '{"limit":3,"vector":[0.5,0.5,0.5,0.5],"offset":2,"with_payload":["name"]}'],
      ['search', '{"vector":[1,2,3],"limit":5}'],
      ['search', '{"vector":"abc","limit":5}'],
      ['search', '{"vector":[1,2,3,4],"limit":-1}'],
      ['search', '{"vector":[1,2,3,4],"limit":5,"filter":{"must":[{"key":"group","match":{}}]}}'],
      ['search', '{"vector":[1,2,3,4]'],
      ['search', ''],
      ['search', '{"__proto__":{"x":1},"vector":[1,2,3,4],"limit":5}'],
      ['search', '{"vector":[1,2,3,4],"limit":5,"vector":[4,3,2,1]}'],
      ['search', '[1,2,3]'],
      ['query', '{"query":[0.1,0.2,0.3,0.4],"limit":5}'],
      ['query', '{"query":{"nearest":[0.1,0.2,0.3,0.4]},"limit":2,"with_payload":true}'],
      ['query', '{"query":7,"limit":3}'],
      ['query', '{"query":9999,"limit":3}'],
      ['query', '{"limit":4,"filter":{"must":[{"key":"group","match":{"value":2}}]}}'],
      ['query', '{"query":[1,2],"limit":3}'],
    ];
    for (const collection of ['lane', 'absent']) {
      for (const [route, body] of bodies) {
        const path = `/collections/${collection}/points/${route}`;
        const viaLane = await send(port, 'POST', path, body, { 'content-type': 'application/json' });
        // A query string keeps a request out of the lane; `x` means nothing to the route.
        const viaFastify = await send(port, 'POST', `${path}?x=1`, body, { 'content-type': 'application/json' });
        const what = `${collection} ${route} ${body}`;
        assert.equal(viaLane.status, viaFastify.status, `${what}: ${viaLane.text} against ${viaFastify.text}`);
        assert.deepEqual(timeless(viaLane.text), timeless(viaFastify.text), what);
      }
    }
  });

  test('lane requests are counted in the metrics under the route', async () => {
    const before = await http(url, 'GET', '/metrics');
    const count = (text: unknown): number => {
      const line = String(text)
        .split('\n')
        .find((l) => l.startsWith('hektor_http_requests_total{') && l.includes('route="/collections/:name/points/search"') && l.includes('status="200"'));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };
    for (let i = 0; i < 3; i++) {
      const reply = await send(port, 'POST', '/collections/lane/points/search', '{"vector":[1,0,0,0],"limit":1}', { 'content-type': 'application/json' });
      assert.equal(reply.status, 200);
    }
    const afterwards = await http(url, 'GET', '/metrics');
    assert.equal(count(afterwards.json) - count(before.json), 3);
  });
});
