/**
 * The "bare HTTP ceiling" of the search bench: a child process that wraps the same hnswlib-node
 * index as the raw baseline (saved by the bench, loaded here with `readIndexSync`) in the
 * plainest Node HTTP server there is — `node:http` `createServer`, one `JSON.parse` per request,
 * `setEf` + `searchKnn`, one `JSON.stringify` per reply — and answers only
 * `POST /collections/bench/points/search` (Hektor's path and reply shape) and `GET /readyz`.
 *
 * It is a ceiling, not a product: no validation beyond not crashing, no collections, no payloads,
 * no filters, no logging, no metrics, no cluster. Whatever QPS it reaches with the bench's client
 * is about the best any Node HTTP server over this library can reach on the machine, so it tells
 * readers whether the bar set against the raw in-process QPS is reachable over HTTP at all.
 *
 *   node dist/bench/bare-http-server.js --index FILE --space cosine|l2 --dim D
 *
 * Prints `{"port":N,"rss_before_load":B,"rss_after_load":A}` on stdout once listening on
 * 127.0.0.1: the port, then its own resident set in bytes just before the index is created and
 * just after `readIndexSync` returns (no forced GC in between: the load allocates natively, out
 * of V8's heap), for the search bench's memory line. Exits when its stdin closes, so it never
 * outlives the bench that spawned it, however that one ends.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import hnswlib from 'hnswlib-node';
import { flagInt, flagString, parseFlags } from './args.js';
import { processRssBytes } from './stats.js';

const { HierarchicalNSW } = hnswlib;

/** The one search path answered (the bench collection's). */
const SEARCH_PATH = '/collections/bench/points/search';
/** Keep-alive timeout of idle connections, in milliseconds. */
const KEEP_ALIVE_TIMEOUT_MS = 60_000;

const flags = parseFlags(process.argv.slice(2));
const indexFile = flagString(flags, 'index');
const space = flagString(flags, 'space');
const dim = flagInt(flags, 'dim', 0);
if (indexFile === undefined || (space !== 'cosine' && space !== 'l2') || dim <= 0) {
  throw new Error('usage: bare-http-server --index FILE --space cosine|l2 --dim D');
}
/** This process's resident bytes (VmRSS, or Node's own figure where /proc is unreadable). */
const rssBytes = (): number => {
  const bytes = processRssBytes(process.pid);
  return Number.isNaN(bytes) ? process.memoryUsage.rss() : bytes;
};
const rssBeforeLoad = rssBytes();
const index = new HierarchicalNSW(space, dim);
index.readIndexSync(indexFile);
const rssAfterLoad = rssBytes();
// hnswlib's cosine space returns 1 − cos and its l2 space the squared distance; Hektor's scores
// are the cosine similarity and the Euclidean distance.
const score = space === 'cosine' ? (d: number) => 1 - d : (d: number) => Math.sqrt(d);

/** The body fields read; anything else in the body is ignored. */
interface SearchBody {
  vector?: unknown;
  limit?: unknown;
  params?: { hnsw_ef?: unknown };
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function search(text: string): string {
  const body = JSON.parse(text) as SearchBody;
  const limit = typeof body.limit === 'number' ? body.limit : 10;
  const ef = body.params?.hnsw_ef;
  if (typeof ef === 'number') index.setEf(ef);
  const { neighbors, distances } = index.searchKnn(body.vector as number[], limit);
  const hits = new Array<string>(neighbors.length);
  for (let i = 0; i < neighbors.length; i++) hits[i] = `{"id":${neighbors[i]!},"version":0,"score":${score(distances[i]!)}}`;
  return `{"result":[${hits.join(',')}],"status":"ok","time":0}`;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && req.url === '/readyz') {
    reply(res, 200, '{"status":"ok"}');
    return;
  }
  if (req.method !== 'POST' || req.url !== SEARCH_PATH) {
    req.resume();
    reply(res, 404, '{"status":{"error":"not found"}}');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      reply(res, 200, search(Buffer.concat(chunks).toString('utf8')));
    } catch (e: unknown) {
      reply(res, 400, JSON.stringify({ status: { error: String(e) } }));
    }
  });
}

const server = createServer(handle);
server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  process.stdout.write(`${JSON.stringify({ port: address.port, rss_before_load: rssBeforeLoad, rss_after_load: rssAfterLoad })}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
