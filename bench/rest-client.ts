/**
 * Two keep-alive HTTP clients for the REST side of the bench — undici (Node's global fetch) and
 * node:http with a keep-alive Agent — behind one interface, so the bench can measure which costs
 * the client less and use that one.
 */

import { Agent, request } from 'node:http';

/** A reply: status and body text. */
export interface RestReply {
  /** HTTP status. */
  status: number;
  /** Body as text. */
  text: string;
}

/** A keep-alive JSON client bound to one base URL. */
export interface RestClient {
  /** Name in the JSON lines (`node-http` or `undici-fetch`). */
  readonly name: string;
  /** Sends `body` (already JSON text) and reads the whole reply. */
  send(method: string, path: string, body?: string): Promise<RestReply>;
  /** Closes idle sockets. */
  close(): void;
}

/** Names of the available clients. */
export const CLIENT_NAMES = ['node-http', 'undici-fetch'] as const;

/** A client by name. */
export function createClient(name: string, baseUrl: string, socketsMax: number): RestClient {
  if (name === 'node-http') return new NodeHttpClient(baseUrl, socketsMax);
  if (name === 'undici-fetch') return new FetchClient(baseUrl);
  throw new Error(`unknown client "${name}" (expected ${CLIENT_NAMES.join(' or ')})`);
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

/** Sends and throws unless the status is 2xx; returns the parsed `result` of the envelope. */
export async function sendOk(client: RestClient, method: string, path: string, body?: string): Promise<unknown> {
  const reply = await client.send(method, path, body);
  if (reply.status < 200 || reply.status >= 300) throw new Error(`${method} ${path} → ${reply.status}: ${reply.text.slice(0, 500)}`);
  const parsed = JSON.parse(reply.text) as { result?: unknown };
  return parsed.result;
}
