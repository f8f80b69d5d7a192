/**
 * Three keep-alive HTTP clients for the REST side of the bench — node:http with a keep-alive
 * Agent, Node's global fetch, and the `undici` package's `Client` driven directly — behind one
 * interface, so the bench can measure which costs the client less and use that one.
 */

import { Agent, request } from 'node:http';
import { Client, type Dispatcher } from 'undici';

/** A reply: status and body text. */
export interface RestReply {
  /** HTTP status. */
  status: number;
  /** Body as text. */
  text: string;
}

/** A keep-alive JSON client bound to one base URL. */
export interface RestClient {
  /** Name in the JSON lines (one of {@link CLIENT_NAMES}). */
  readonly name: string;
  /** Sends `body` (already JSON text) and reads the whole reply. */
  send(method: string, path: string, body?: string): Promise<RestReply>;
  /** Closes idle sockets. */
  close(): void;
}

/** Names of the available clients. */
export const CLIENT_NAMES = ['node-http', 'undici-fetch', 'undici'] as const;

/** A client by name; `socketsMax` bounds its keep-alive connections (fetch's are unbounded). */
export function createClient(name: string, baseUrl: string, socketsMax: number): RestClient {
  if (name === 'node-http') return new NodeHttpClient(baseUrl, socketsMax);
  if (name === 'undici-fetch') return new FetchClient(baseUrl);
  if (name === 'undici') return new UndiciClient(baseUrl, socketsMax);
  throw new Error(`unknown client "${name}" (expected one of ${CLIENT_NAMES.join(', ')})`);
}

class NodeHttpClient implements RestClient {
  readonly name = 'node-http';
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, socketsMax: number) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets: socketsMax });
  }

  send(method: string, path: string, body?: string): Promise<RestReply> {
    return this.attempt(method, path, body, true);
  }

  private attempt(method: string, path: string, body: string | undefined, mayRetry: boolean): Promise<RestReply> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = request({ host: this.host, port: this.port, method, path, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        // A kept-alive socket that the server closed while this process was busy (building the
        // next bodies, say) fails on first use; Node's documented remedy is one retry on a fresh
        // socket. Every request the bench sends is idempotent (upserts name their ids).
        if (mayRetry && req.reusedSocket && e.code === 'ECONNRESET') {
          this.attempt(method, path, body, false).then(resolve, reject);
        } else {
          reject(e);
        }
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

class FetchClient implements RestClient {
  readonly name = 'undici-fetch';
  private readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  async send(method: string, path: string, body?: string): Promise<RestReply> {
    const init: RequestInit = body === undefined ? { method } : { method, body, headers: { 'content-type': 'application/json' } };
    const response = await fetch(`${this.baseUrl}${path}`, init);
    return { status: response.status, text: await response.text() };
  }

  close(): void {
    // The global dispatcher owns fetch's sockets; they close when idle.
  }
}

/** Error codes of a kept-alive connection that the server closed: worth one retry. */
const UNDICI_RETRY_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET']);

/**
 * The `undici` package's `Client` driven directly (`request()` then `body.text()`), without
 * fetch's WHATWG layers: one `Client` (one keep-alive connection, no pipelining) per request in
 * flight, at most `socketsMax` of them, made on first need and reused from a free list; a request
 * finding none free and the limit reached waits for the next one released. Eight concurrent bench
 * clients thus use eight connections, as with node:http.
 *
 * Chosen over undici's own `Pool` (`connections: socketsMax, pipelining: 1`) by measurement on
 * the bench machine (2 cores, shared), client CPU per request including JSON.parse of the reply,
 * median of 15 alternating rounds of 3,000 searches (128 dimensions, ef 16) against
 * bench/bare-http-server.ts: this free list 79 µs sequential and 58 µs at 8 in flight, `Pool`
 * 77 µs and 63 µs, node:http with a keep-alive Agent 89 µs and 67 µs. Against a trivial
 * server (fixed reply, five rounds of 10,000): free list 45 µs and 40 µs, `Pool` 50 µs and
 * 37 µs, node:http 55 µs and 50 µs. The two undici variants are within noise of each other
 * (each led in one case per workload, by 2–5 µs); the free list won the search workload at 8 in
 * flight and is the simpler to reason about: one connection per bench client, no queue inside
 * undici.
 */
class UndiciClient implements RestClient {
  readonly name = 'undici';
  private readonly origin: string;
  private readonly socketsMax: number;
  private readonly all: Client[] = [];
  private readonly free: Client[] = [];
  private readonly waiting: ((client: Client) => void)[] = [];

  constructor(baseUrl: string, socketsMax: number) {
    this.origin = new URL(baseUrl).origin;
    this.socketsMax = Math.max(1, socketsMax);
  }

  async send(method: string, path: string, body?: string): Promise<RestReply> {
    const client = await this.acquire();
    try {
      const options: Dispatcher.RequestOptions =
        body === undefined
          ? { path, method: method as Dispatcher.HttpMethod }
          : { path, method: method as Dispatcher.HttpMethod, body, headers: { 'content-type': 'application/json' } };
      try {
        return await this.attempt(client, options);
      } catch (e: unknown) {
        // As with node:http: a kept-alive connection that the server closed while this process
        // was busy fails on first use; one retry on a fresh one. Every bench request is idempotent.
        if (!UNDICI_RETRY_CODES.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
        return await this.attempt(client, options);
      }
    } finally {
      this.release(client);
    }
  }

  private async attempt(client: Client, options: Dispatcher.RequestOptions): Promise<RestReply> {
    const response = await client.request(options);
    return { status: response.statusCode, text: await response.body.text() };
  }

  private acquire(): Promise<Client> | Client {
    const client = this.free.pop();
    if (client !== undefined) return client;
    if (this.all.length < this.socketsMax) {
      const created = new Client(this.origin, { pipelining: 1 });
      this.all.push(created);
      return created;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(client: Client): void {
    const next = this.waiting.shift();
    if (next === undefined) this.free.push(client);
    else next(client);
  }

  close(): void {
    for (const client of this.all) void client.close();
    this.all.length = 0;
    this.free.length = 0;
  }
}

/** Sends and throws unless the status is 2xx; returns the parsed `result` of the envelope. */
export async function sendOk(client: RestClient, method: string, path: string, body?: string): Promise<unknown> {
  const reply = await client.send(method, path, body);
  if (reply.status < 200 || reply.status >= 300) throw new Error(`${method} ${path} → ${reply.status}: ${reply.text.slice(0, 500)}`);
  const parsed = JSON.parse(reply.text) as { result?: unknown };
  return parsed.result;
}
