/**
 * Test helpers: temporary data directories, in-process nodes and child-process nodes on
 * 127.0.0.1 with ephemeral ports. Everything created is removed by the returned cleanup.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { HektorNode } from '../../src/server/node.js';
import { loadConfig } from '../../src/server/config.js';

/** A temporary directory removed by `remove()`. */
export function tempDir(prefix = 'hektor-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Starts a node in this process on an ephemeral port. */
export async function startNode(dataDir: string, flags: Record<string, string | number> = {}): Promise<{ node: HektorNode; url: string }> {
  const config = loadConfig({ flags: { data_dir: dataDir, http_port: 0, grpc_port: 0, host: '127.0.0.1', log_level: 'silent', ...flags } });
  const node = await HektorNode.start(config, pino({ level: 'silent' }));
  return { node, url: `http://127.0.0.1:${node.httpPort}` };
}

/** A node running as a child process. */
export interface ChildNode {
  process: ChildProcess;
  url: string;
  port: number;
  /** Sends SIGKILL and waits for the exit. */
  kill9(): Promise<void>;
  /** Sends SIGTERM and waits for the exit code. */
  terminate(): Promise<number | null>;
}

const BIN = new URL('../../../bin/hektor.js', import.meta.url).pathname;

/** Spawns `hektor serve` on an ephemeral port and resolves once it listens. */
export async function spawnNode(dataDir: string, extraArgs: string[] = []): Promise<ChildNode> {
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--http-port', '0', '--grpc-port', '0', '--host', '127.0.0.1', '--log-level', 'info', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`node did not start in 60 s: ${stderr}`)), 60_000);
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'hektor listening' && typeof entry.port === 'number') {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code} before listening: ${stderr}`));
    });
  });
  return {
    process: child,
    port,
    url: `http://127.0.0.1:${port}`,
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    terminate: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Sends one JSON request and returns status and parsed body. */
export async function http(url: string, method: string, path: string, body?: unknown, rawBody?: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined && rawBody === undefined ? {} : { 'content-type': 'application/json' },
    ...(rawBody !== undefined ? { body: rawBody } : body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // plain text reply
  }
  return { status: response.status, json };
}
