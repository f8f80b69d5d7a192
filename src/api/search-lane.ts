/**
 * The search lane: `POST /collections/{name}/points/search` and `/points/query` served straight
 * from node:http, past Fastify's request and reply objects, router, hook runner and body parser
 * machinery. On this 2-core machine a search's event-loop time is what limits the node under
 * concurrent clients, and Fastify's share of it is about 25 µs of a ~60 µs request.
 *
 * The lane shares everything that decides an answer with the Fastify routes: admission (the
 * in-flight count, its limit, readiness), the JSON body parser, the route's own handler, the
 * error mapping and the metrics. It takes only requests whose answer cannot differ from
 * Fastify's: the exact path with no query string, a plain collection name, an `application/json`
 * body with a `content-length` within the body limit. Any other request, including every
 * malformed one of these kinds, goes to Fastify as before.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { HektorError } from '../base/errors.js';
import { LIMITS } from '../base/limits.js';
import { errorReply, toHektorError } from './http-errors.js';

/** Parses a JSON request body for `url`, answering through `done` as a Fastify body parser does. */
export type JsonBodyParser = (url: string, body: Buffer, done: (error: Error | null, value?: unknown) => void) => void;

/** One route the lane serves. */
export interface LaneRoute {
  /** The route's label in the metrics (its Fastify pattern). */
  label: string;
  /** The route's handler: the collection name and the parsed body to the `result` it answers. */
  run: (name: string, body: unknown) => Promise<unknown>;
}

/** What the lane shares with the Fastify routes. */
export interface LaneDeps {
  /** The handler of `/points/search`. */
  search: LaneRoute;
  /** The handler of `/points/query`. */
  query: LaneRoute;
  /** Counts a request in flight until `release`, or until its connection closes. */
  admit: (request: object, socket: Socket) => void;
  /** Ends a request's count (a no-op after its connection closed). */
  release: (request: object, socket: Socket) => void;
  /** Why a request that just arrived is refused (too many in flight, shutting down), if it is. */
  refusal: (url: string) => HektorError | undefined;
  /** The JSON body parser of every route. */
  parseJson: JsonBodyParser;
  /** Records an answered request in the metrics. */
  observe: (method: string, route: string, status: number, seconds: number) => void;
  /** Logs a failure that is the node's fault. */
  logFailure: (error: unknown, herr: HektorError, url: string | undefined) => void;
  /** Fastify's `maxParamLength`: a longer collection name is left to its router. */
  paramLengthMax: number;
}

const PREFIX = '/collections/';
const SEARCH_SUFFIX = '/points/search';
const QUERY_SUFFIX = '/points/query';
const JSON_TYPE = 'application/json';
const REPLY_HEADERS = 'application/json; charset=utf-8';

/**
 * Serves `request` in the lane and returns true when it is a search or query the lane takes;
 * returns false, having touched nothing, for any other request.
 */
export function takeLane(request: IncomingMessage, response: ServerResponse, deps: LaneDeps): boolean {
  if (request.method !== 'POST') return false;
  const url = request.url ?? '';
  if (!url.startsWith(PREFIX) || url.includes('?')) return false;
  let route: LaneRoute;
  let nameEnd: number;
  if (url.endsWith(SEARCH_SUFFIX)) {
    route = deps.search;
    nameEnd = url.length - SEARCH_SUFFIX.length;
  } else if (url.endsWith(QUERY_SUFFIX)) {
    route = deps.query;
    nameEnd = url.length - QUERY_SUFFIX.length;
  } else {
    return false;
  }
  const name = url.slice(PREFIX.length, nameEnd);
  // An escaped or odd name is decoded and checked by Fastify's router.
  if (name.length === 0 || name.length > deps.paramLengthMax || name.includes('/') || name.includes('%')) return false;
  const type = request.headers['content-type'];
  if (type !== JSON_TYPE && !(type !== undefined && type.startsWith(`${JSON_TYPE};`))) return false;
  const declared = request.headers['content-length'];
  if (declared === undefined || request.headers['transfer-encoding'] !== undefined) return false;
  const length = Number(declared);
  if (!Number.isSafeInteger(length) || length > LIMITS.requestBodyBytesMax) return false;
  serve(request, response, deps, route, url, name);
  return true;
}

function serve(request: IncomingMessage, response: ServerResponse, deps: LaneDeps, route: LaneRoute, url: string, name: string): void {
  const startNs = process.hrtime.bigint();
  const socket = request.socket;
  const seconds = (): number => Number(process.hrtime.bigint() - startNs) / 1e9;
  const send = (status: number, text: string): void => {
    response.writeHead(status, { 'content-type': REPLY_HEADERS, 'content-length': Buffer.byteLength(text) });
    response.end(text);
    deps.release(request, socket);
    deps.observe('POST', route.label, status, seconds());
  };
  const fail = (error: unknown): void => {
    const herr = toHektorError(error);
    deps.logFailure(error, herr, url);
    const { httpStatus, body } = errorReply(herr, seconds());
    send(httpStatus, JSON.stringify(body));
  };
  const succeed = (result: unknown): void => {
    let text: string;
    try {
      text = JSON.stringify({ result, status: 'ok', time: seconds() });
    } catch (e: unknown) {
      // A result that cannot be serialised is the node's fault, answered as such (never thrown
      // out of this promise callback, where it would be an unhandled rejection).
      fail(e);
      return;
    }
    send(200, text);
  };
  deps.admit(request, socket);
  const refused = deps.refusal(url);
  if (refused !== undefined) {
    // The unread body is discarded by node:http once the answer is sent.
    fail(refused);
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    deps.parseJson(url, body, (error, value) => {
      if (error !== null) {
        fail(error);
        return;
      }
      route.run(name, value).then(succeed, fail);
    });
  });
  // A connection that breaks mid-body ends the request's count through its close.
  request.on('error', () => undefined);
}
