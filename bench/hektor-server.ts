/**
 * A Hektor node run as a child process for the bench: ephemeral port on 127.0.0.1, a temporary
 * data directory, and cleanup on stop, on error and on SIGINT/SIGTERM.
 */

import { freePort } from '../src/server/local-cluster.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { note, sleepMs } from './stats.js';

/** How long a node may take to answer `GET /readyz` with 200. */
const READY_TIMEOUT_MS = 60_000;
/** How long a node may take to exit after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 10_000;
/** Bytes of the child's stderr kept for error messages. */
const STDERR_TAIL_BYTES = 8_192;

/** The `hektor` launcher at the repository root (works from bench/ and dist/bench/). */
const HEKTOR_BIN = fileURLToPath(new URL('../../bin/hektor.js', import.meta.url));

/** Options of a bench node. */
export interface ServerOptions {
  /** Directory for V8 CPU profiles of the server (`--cpu-prof`), or undefined for none. */
  cpuProfileDir?: string | undefined;
}

/** A free TCP port on 127.0.0.1 (shared with the local-cluster command). */
export { freePort };

/** Running bench nodes, stopped by the signal handlers if the bench is interrupted. */
const running = new Set<HektorServer>();
let handlersInstalled = false;

function installSignalHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      note(`${signal}: stopping ${running.size} bench node(s)`);
      void Promise.allSettled([...running].map((s) => s.stop())).then(() => process.exit(130));
    });
  }
  // A synchronous last resort for paths that exit without awaiting stop().
  process.once('exit', () => {
    for (const server of running) server.killNow();
  });
}

/** One Hektor node child process. */
export class HektorServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The REST port. */
  readonly port: number;
  private readonly child: ChildProcess;
  private readonly dataDir: string;
  private stderrTail = '';
  private exited: Promise<void>;
  private exitCode: number | null | undefined;
  private exitSignal: NodeJS.Signals | null = null;

  private constructor(port: number, grpcPort: number, dataDir: string, options: ServerOptions) {
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.dataDir = dataDir;
    const nodeArgs = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
    this.child = spawn(
      process.execPath,
      // A single bootstrapped node; the gRPC port is chosen too so that runs never collide on 6335.
      [...nodeArgs, HEKTOR_BIN, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--http-port', String(port), '--grpc-port', String(grpcPort), '--log-level', 'warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
    });
  }

  /** Starts a node on a free port with a fresh data directory and waits until it is ready. */
  static async start(options: ServerOptions = {}): Promise<HektorServer> {
    installSignalHandlers();
    const port = await freePort();
    const grpcPort = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'hektor-bench-'));
    const server = new HektorServer(port, grpcPort, dataDir, options);
    running.add(server);
    try {
      await server.waitReady();
    } catch (e: unknown) {
      await server.stop();
      throw e;
    }
    return server;
  }

  /** The process id of the node (for CPU accounting and profiling by hand). */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Last lines the node printed. */
  get output(): string {
    return this.stderrTail;
  }

  private async waitReady(): Promise<void> {
    const deadlineMs = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadlineMs) {
      if (this.exitCode !== undefined) throw new Error(`hektor exited with code ${this.exitCode} before it was ready:\n${this.stderrTail}`);
      try {
        const response = await fetch(`${this.url}/readyz`);
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // Not listening yet: retry until the deadline.
      }
      await sleepMs(100);
    }
    throw new Error(`hektor was not ready within ${READY_TIMEOUT_MS} ms:\n${this.stderrTail}`);
  }

  /** SIGTERM, wait for exit (SIGKILL after a timeout), then remove the data directory. */
  async stop(): Promise<void> {
    if (!running.has(this)) return;
    if (this.exitCode !== undefined) {
      // The node died under the bench: its last words are the most useful thing to show.
      note(`hektor (pid ${this.pid}) had exited (code ${this.exitCode}, signal ${this.exitSignal ?? 'none'}); its last output:\n${this.stderrTail}`);
    } else {
      this.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        note(`hektor (pid ${this.child.pid ?? '?'}) did not stop within ${STOP_TIMEOUT_MS} ms; killing it`);
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    rmSync(this.dataDir, { recursive: true, force: true });
    running.delete(this);
  }

  /** Synchronous kill and cleanup, for the process 'exit' hook. */
  killNow(): void {
    if (this.exitCode === undefined) this.child.kill('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
    running.delete(this);
  }
}
