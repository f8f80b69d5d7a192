/**
 * Four keep-alive HTTP clients for the REST side of the bench — node:http with a keep-alive
 * Agent, Node's global fetch, the `undici` package's `Client` driven directly, and a minimal
 * HTTP/1.1 client over `node:net` — behind one interface, so the bench can measure which costs
 * the client less and use that one. On this 2-core machine the load generator shares the cores
 * with the server it measures: every microsecond it spends is one the server does not get.
 */

import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
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
export const CLIENT_NAMES = ['node-http', 'undici-fetch', 'undici', 'raw-socket'] as const;

/** A client by name; `socketsMax` bounds its keep-alive connections (fetch's are unbounded). */
export function createClient(name: string, baseUrl: string, socketsMax: number): RestClient {
  if (name === 'node-http') return new NodeHttpClient(baseUrl, socketsMax);
  if (name === 'undici-fetch') return new FetchClient(baseUrl);
  if (name === 'undici') return new UndiciClient(baseUrl, socketsMax);
  if (name === 'raw-socket') return new RawSocketClient(baseUrl, socketsMax);
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

/** What ends an HTTP/1.1 header block. */
const HEADER_END = Buffer.from('\r\n\r\n');

/** One keep-alive connection of the raw-socket client, with at most one request in flight. */
class RawConnection {
  readonly socket: Socket;
  /** False once the socket closed or failed, or the server asked to close it. */
  usable = true;
  /** True once a request has completed on this connection (a retry is then worth it). */
  reused = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private waiter: { resolve: (reply: RestReply) => void; reject: (e: Error) => void } | undefined;

  constructor(host: string, port: number) {
    this.socket = connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (e: Error) => {
      this.usable = false;
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter?.reject(e);
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail(Object.assign(new Error('the server closed the connection'), { code: 'ECONNRESET' })));
  }

  /** Writes one request (already serialised) and resolves with its reply. */
  exchange(head: string, body: string | undefined): Promise<RestReply> {
    return new Promise((resolve, reject) => {
      if (!this.usable) {
        reject(Object.assign(new Error('the connection is closed'), { code: 'ECONNRESET' }));
        return;
      }
      this.waiter = { resolve, reject };
      this.socket.write(body === undefined ? head : head + body);
    });
  }

  private onData(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const data = this.pending.length === 1 ? chunk : Buffer.concat(this.pending, this.pendingBytes);
    const headerEnd = data.indexOf(HEADER_END);
    if (headerEnd < 0) return this.keep(data);
    const head = data.toString('latin1', 0, headerEnd);
    const lines = head.split('\r\n');
    const status = Number(lines[0]?.split(' ')[1]);
    let length: number | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] ?? '';
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') return this.fail(new Error(`raw-socket client: transfer-encoding "${value}" is not supported (the server must send content-length)`));
      else if (name === 'connection' && value.toLowerCase() === 'close') this.usable = false;
    }
    if (length === undefined || !Number.isSafeInteger(length) || !Number.isFinite(status)) return this.fail(new Error(`raw-socket client: unreadable reply head: ${head.slice(0, 200)}`));
    const bodyStart = headerEnd + HEADER_END.length;
    if (data.length < bodyStart + length) return this.keep(data);
    if (data.length > bodyStart + length) return this.fail(new Error('raw-socket client: bytes after the reply (no request was pipelined)'));
    this.pending = [];
    this.pendingBytes = 0;
    this.reused = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (!this.usable) this.socket.destroy();
    waiter?.resolve({ status, text: data.toString('utf8', bodyStart) });
  }

  private keep(data: Buffer): void {
    this.pending = [data];
    this.pendingBytes = data.length;
  }

  private fail(e: Error): void {
    this.socket.destroy(e);
  }
}

/**
 * A minimal HTTP/1.1 keep-alive client over `node:net`, for load generation only: one request in
 * flight per connection (no pipelining), a reply must carry content-length, and each request is
 * written with one `write`. It does the least work per request that still reads every reply in
 * full (status and body), so that the bench process leaves the cores to the server it measures.
 * Connections are kept on a free list as with {@link UndiciClient}: one per bench client.
 */
class RawSocketClient implements RestClient {
  readonly name = 'raw-socket';
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private readonly socketsMax: number;
  private readonly all = new Set<RawConnection>();
  private readonly free: RawConnection[] = [];
  private readonly waiting: ((connection: RawConnection) => void)[] = [];

  constructor(baseUrl: string, socketsMax: number) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.hostHeader = url.host;
    this.socketsMax = Math.max(1, socketsMax);
  }

  async send(method: string, path: string, body?: string): Promise<RestReply> {
    const head =
      body === undefined
        ? `${method} ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n\r\n`
        : `${method} ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`;
    let connection = await this.acquire();
    try {
      try {
        return await connection.exchange(head, body);
      } catch (e: unknown) {
        // As with the other clients: a kept-alive connection that the server closed while idle
        // fails on first use; one retry on a fresh one. Every bench request is idempotent.
        if (!connection.reused || (e as NodeJS.ErrnoException).code !== 'ECONNRESET') throw e;
        this.drop(connection);
        connection = this.open();
        return await connection.exchange(head, body);
      }
    } finally {
      this.release(connection);
    }
  }

  private open(): RawConnection {
    const connection = new RawConnection(this.host, this.port);
    this.all.add(connection);
    return connection;
  }

  private drop(connection: RawConnection): void {
    this.all.delete(connection);
    connection.socket.destroy();
  }

  private acquire(): Promise<RawConnection> | RawConnection {
    for (let c = this.free.pop(); c !== undefined; c = this.free.pop()) {
      if (c.usable) return c;
      this.drop(c);
    }
    if (this.all.size < this.socketsMax) return this.open();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(connection: RawConnection): void {
    let next = connection;
    if (!connection.usable) {
      this.drop(connection);
      if (this.waiting.length === 0) return;
      next = this.open();
    }
    const waiter = this.waiting.shift();
    if (waiter === undefined) this.free.push(next);
    else waiter(next);
  }

  close(): void {
    for (const connection of this.all) connection.socket.destroy();
    this.all.clear();
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
