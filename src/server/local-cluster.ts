/**
 * `hektor cluster up` / `down`: a local development cluster of N node processes on 127.0.0.1,
 * each with its own data directory and ports, described in `<dir>/cluster.json`.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HektorError } from '../base/errors.js';

/** One node of a local cluster. */
export interface LocalNode {
  id: string;
  pid: number;
  httpPort: number;
  grpcPort: number;
  dataDir: string;
  log: string;
}

/** The description written to `<dir>/cluster.json`. */
export interface LocalClusterFile {
  nodes: LocalNode[];
}

const BIN = fileURLToPath(new URL('../../../bin/hektor.js', import.meta.url));

/** A free TCP port on 127.0.0.1 (bound and released; fine for development). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error('could not read the bound port'))));
    });
  });
}

/** Waits until the node knows a leader and sees all `count` members registered and alive. */
async function waitReady(node: LocalNode, count: number, deadlineMs: number): Promise<void> {
  while (performance.now() < deadlineMs) {
    try {
      const response = await fetch(`http://127.0.0.1:${node.httpPort}/cluster`, { signal: AbortSignal.timeout(1000) });
      const body = (await response.json()) as { result?: { raft_info?: { leader?: string | null }; peers?: Record<string, { state?: string }> } };
      const alive = Object.values(body.result?.peers ?? {}).filter((p) => p.state === 'alive').length;
      if (response.ok && typeof body.result?.raft_info?.leader === 'string' && alive === count) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new HektorError('cluster_unavailable', `node ${node.id} did not become ready; see ${node.log}`);
}

/** Starts `count` nodes as a static cluster under `dir` and waits until they agree on a leader. */
export async function clusterUp(dir: string, count: number, extraArgs: readonly string[] = []): Promise<LocalClusterFile> {
  const root = resolve(dir);
  const file = join(root, 'cluster.json');
  if (existsSync(file)) throw new HektorError('invalid_request', `${file} exists: a local cluster is already described there; run \`hektor cluster down --dir ${dir}\` first`);
  if (count < 1 || count > 9) throw new HektorError('invalid_request', '--nodes must be between 1 and 9');
  mkdirSync(root, { recursive: true });
  const plan: Omit<LocalNode, 'pid'>[] = [];
  for (let i = 1; i <= count; i++) {
    plan.push({ id: `n${i}`, httpPort: await freePort(), grpcPort: await freePort(), dataDir: join(root, `n${i}`), log: join(root, `n${i}.log`) });
  }
  const peers = plan.map((n) => `${n.id}@127.0.0.1:${n.grpcPort}`).join(',');
  const nodes: LocalNode[] = plan.map((n) => {
    const out = openSync(n.log, 'a');
    const child = spawn(process.execPath, [
      BIN, 'serve', '--node-id', n.id, '--data-dir', n.dataDir, '--host', '127.0.0.1',
      '--http-port', String(n.httpPort), '--grpc-port', String(n.grpcPort), '--peers', peers, ...extraArgs,
    ], { detached: true, stdio: ['ignore', out, out] });
    child.unref();
    if (child.pid === undefined) throw new HektorError('internal', `could not start node ${n.id}`);
    return { ...n, pid: child.pid };
  });
  const description: LocalClusterFile = { nodes };
  writeFileSync(file, JSON.stringify(description, null, 2));
  const deadline = performance.now() + 30_000;
  for (const node of nodes) await waitReady(node, count, deadline);
  return description;
}

/** Stops the nodes described in `<dir>/cluster.json` (SIGTERM, then SIGKILL); `purge` removes their data. */
export async function clusterDown(dir: string, purge: boolean): Promise<number> {
  const file = join(resolve(dir), 'cluster.json');
  if (!existsSync(file)) throw new HektorError('invalid_request', `no local cluster is described at ${file}`);
  const description = JSON.parse(readFileSync(file, 'utf8')) as LocalClusterFile;
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const n of description.nodes) if (alive(n.pid)) process.kill(n.pid, 'SIGTERM');
  const deadline = performance.now() + 15_000;
  while (description.nodes.some((n) => alive(n.pid)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const n of description.nodes) if (alive(n.pid)) process.kill(n.pid, 'SIGKILL');
  rmSync(file);
  if (purge) for (const n of description.nodes) rmSync(n.dataDir, { recursive: true, force: true });
  return description.nodes.length;
}
