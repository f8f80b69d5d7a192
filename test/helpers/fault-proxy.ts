/**
 * A TCP proxy for network faults without root: node-to-node gRPC goes through one proxy per
 * ordered pair of nodes (i dials j through P(i→j)), so blocking a proxy cuts exactly one direction
 * of connection set-up, and blocking every proxy into and out of a node isolates it.
 *
 * `block('reset')` destroys the open connections and every new one at once (the dialer sees a
 * refused/reset connection and fails fast); `block('blackhole')` destroys the open connections and
 * then accepts new ones but never forwards a byte (the dialer waits for its deadline, like a
 * dropped-packet partition). `heal()` forwards again.
 */

import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** How a blocked proxy treats connections. */
export type BlockMode = 'reset' | 'blackhole';

/** One listening proxy in front of `target` (host:port). */
export class FaultProxy {
  /** The address dialers use (127.0.0.1:port). */
  readonly address: string;
  private readonly server: Server;
  private readonly target: { host: string; port: number };
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<Socket>();
  private mode: BlockMode | null = null;
  /** Connections accepted so far (shows that traffic really passes through the proxy). */
  accepted = 0;

  private constructor(server: Server, address: string, target: { host: string; port: number }) {
    this.server = server;
    this.address = address;
    this.target = target;
    server.on('connection', (client) => this.onConnection(client));
  }

  /** Starts a proxy on an ephemeral 127.0.0.1 port forwarding to `target` (host:port). */
  static async start(target: string): Promise<FaultProxy> {
    const colon = target.lastIndexOf(':');
    const host = target.slice(0, colon);
    const port = Number(target.slice(colon + 1));
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new Error('proxy did not bind a TCP port');
    return new FaultProxy(server, `127.0.0.1:${bound.port}`, { host, port });
  }

  /** True while blocked. */
  get blocked(): boolean {
    return this.mode !== null;
  }

  /** Cuts the link: open connections die, new ones are reset or held silently. */
  block(mode: BlockMode = 'reset'): void {
    this.mode = mode;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Forwards again; held (blackholed) connections are dropped so the dialer reconnects. */
  heal(): void {
    this.mode = null;
    for (const s of this.held) s.destroy();
    this.held.clear();
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    // Resets are the point of this class; an unhandled 'error' would crash the test process.
    socket.on('error', () => socket.destroy());
  }

  private onConnection(client: Socket): void {
    this.accepted++;
    if (this.mode === 'reset') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    this.track(client);
    if (this.mode === 'blackhole') {
      // Hold the connection open and discard what arrives: the dialer sees only silence.
      this.held.add(client);
      client.on('close', () => this.held.delete(client));
      client.resume();
      return;
    }
    const upstream = createConnection({ host: this.target.host, port: this.target.port, noDelay: true });
    this.track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}

/**
 * Proxies for every ordered pair of a static cluster. `peersArg(i)` is node i's `--peers` value:
 * its own real address for itself and P(i→j) for every other node j.
 */
export class ProxyMesh {
  private readonly proxies = new Map<string, FaultProxy>();
  private readonly real: ReadonlyMap<string, string>;

  private constructor(real: ReadonlyMap<string, string>) {
    this.real = real;
  }

  /** Starts |ids|·(|ids|−1) proxies; `real` maps node id to its real gRPC address. */
  static async start(real: ReadonlyMap<string, string>): Promise<ProxyMesh> {
    const mesh = new ProxyMesh(real);
    try {
      for (const from of real.keys()) {
        for (const [to, address] of real) {
          if (from !== to) mesh.proxies.set(key(from, to), await FaultProxy.start(address));
        }
      }
    } catch (e: unknown) {
      await mesh.close();
      throw e;
    }
    return mesh;
  }

  /** The proxy node `from` dials to reach node `to`. */
  proxy(from: string, to: string): FaultProxy {
    const p = this.proxies.get(key(from, to));
    if (p === undefined) throw new Error(`no proxy ${from}→${to}`);
    return p;
  }

  /** Node `id`'s view of the cluster for `--peers`. */
  peersArg(id: string): string {
    return [...this.real.keys()].map((other) => `${other}@${other === id ? this.real.get(other)! : this.proxy(id, other).address}`).join(',');
  }

  /** Cuts every link into and out of `id`. */
  isolate(id: string, mode: BlockMode = 'reset'): void {
    for (const other of this.real.keys()) {
      if (other === id) continue;
      this.proxy(id, other).block(mode);
      this.proxy(other, id).block(mode);
    }
  }

  /** Cuts only the links `from` dials to `to` (an asymmetric fault). */
  cut(from: string, to: string, mode: BlockMode = 'reset'): void {
    this.proxy(from, to).block(mode);
  }

  /** Restores every link. */
  healAll(): void {
    for (const p of this.proxies.values()) p.heal();
  }

  /** Connections accepted by all proxies so far. */
  acceptedTotal(): number {
    let n = 0;
    for (const p of this.proxies.values()) n += p.accepted;
    return n;
  }

  /** Closes every proxy. */
  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
    this.proxies.clear();
  }
}

function key(from: string, to: string): string {
  return `${from}->${to}`;
}
