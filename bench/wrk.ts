/**
 * wrk (Debian package `wrk`, a C load generator on epoll) as the search bench's second load
 * generator. On this 2-core machine the load generator shares the cores with the server it
 * measures: the bench's own Node client spends 45–110 µs of CPU per request, wrk a few. So wrk's
 * figure is the server's throughput with less of it taken by the client, and both are reported.
 *
 * wrk cannot check answers without a Lua response hook that would cost it as much as the Node
 * client, so it only counts non-2xx replies and socket errors (any of either fails the run). The
 * recall that goes with a wrk figure is the Node client's over the same queries at the same ef on
 * the same node: an HNSW walk at a fixed ef over an unchanged graph returns the same ids.
 */

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { note, processCpuMs, reapedChildrenCpuMs } from './stats.js';

/** What one wrk run measured. */
export interface WrkMeasurement {
  /** Replies per second over the run. */
  qps: number;
  /** Median latency, in milliseconds (wrk's own histogram). */
  p50Ms: number;
  /** 99th-percentile latency, in milliseconds. */
  p99Ms: number;
  /** Requests completed. */
  requests: number;
  /** CPU time of the server process per request, in microseconds. */
  serverCpuUsPerQuery: number;
  /** CPU time of wrk per request (user + system, from its rusage), in microseconds. */
  clientCpuUsPerQuery: number;
}

/** One wrk run: `connections` keep-alive connections on one wrk thread, for `seconds`. */
export interface WrkRun {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  baseUrl: string;
  /** HTTP method. */
  method: 'GET' | 'POST';
  /** Request path. */
  path: string;
  /** Bodies (JSON text) sent in turn; empty for a GET. */
  bodies: readonly string[];
  /** Concurrent connections, each waiting for its answer before it sends again. */
  connections: number;
  /** Length of the run. */
  seconds: number;
  /** Process id of the server, for its CPU time. */
  serverPid: number;
}

/** The Lua script: reads the bodies file once per wrk thread, formats every request up front. */
const SCRIPT = `
local bodies = {}
local path = os.getenv("HEKTOR_WRK_PATH")
local method = os.getenv("HEKTOR_WRK_METHOD")
local file = os.getenv("HEKTOR_WRK_BODIES")
if file ~= "" then
  for line in io.lines(file) do bodies[#bodies + 1] = line end
end
local requests = {}
local next = 0
init = function(args)
  if #bodies == 0 then
    requests[1] = wrk.format(method, path)
  else
    for k, b in ipairs(bodies) do
      requests[k] = wrk.format(method, path, { ["Content-Type"] = "application/json" }, b)
    end
  end
end
request = function()
  next = (next % #requests) + 1
  return requests[next]
end
`;

/** True when the `wrk` binary is on the PATH; installs the Debian package first when root. */
export function ensureWrk(): boolean {
  if (spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined) return true;
  note('wrk is missing; installing the Debian package wrk');
  if (process.getuid?.() !== 0) {
    note('cannot install: not root. Run `apt-get install -y wrk` as root; REST figures use the Node client only');
    return false;
  }
  // apt's output goes to stderr so that stdout stays JSON lines.
  const result = spawnSync('sh', ['-c', 'apt-get update && apt-get install -y -o DPkg::Lock::Timeout=120 wrk'], {
    stdio: ['ignore', 2, 2],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const ok = result.status === 0 && spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
  if (!ok) note('apt-get install wrk failed; REST figures use the Node client only');
  return ok;
}

/** Runs wrk once and parses its report; throws on a non-2xx reply, a socket error or no reply. */
export async function runWrk(run: WrkRun): Promise<WrkMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), 'hektor-wrk-'));
  try {
    const script = join(dir, 'requests.lua');
    writeFileSync(script, SCRIPT);
    let bodiesFile = '';
    if (run.bodies.length > 0) {
      if (run.bodies.some((b) => b.includes('\n'))) throw new Error('wrk bodies must be single-line JSON');
      bodiesFile = join(dir, 'bodies.txt');
      writeFileSync(bodiesFile, `${run.bodies.join('\n')}\n`);
    }
    const args = ['-t1', `-c${run.connections}`, `-d${run.seconds}s`, '--timeout', '10s', '--latency', '-s', script, run.baseUrl];
    const serverCpuStartMs = processCpuMs(run.serverPid);
    const { stdout, cpuMs } = await spawnTimed(args, { HEKTOR_WRK_PATH: run.path, HEKTOR_WRK_METHOD: run.method, HEKTOR_WRK_BODIES: bodiesFile });
    const serverCpuMs = processCpuMs(run.serverPid) - serverCpuStartMs;
    const report = parseWrkReport(stdout);
    return { ...report, serverCpuUsPerQuery: (serverCpuMs * 1000) / report.requests, clientCpuUsPerQuery: (cpuMs * 1000) / report.requests };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs wrk with extra environment; resolves with its stdout and the CPU time it used. */
function spawnTimed(args: readonly string[], env: Record<string, string>): Promise<{ stdout: string; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const childCpuStartMs = reapedChildrenCpuMs(process.pid);
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    // 'close' comes once the child has exited (and been reaped) and its output is all read.
    child.once('close', (code) => {
      if (code !== 0) {
        reject(new Error(`wrk exited with ${code}: ${stderr.slice(-500)}${stdout.slice(-500)}`));
        return;
      }
      // The reaped child's CPU time is in this process's children's total; the bench runs no
      // other child that ends meanwhile.
      resolve({ stdout, cpuMs: reapedChildrenCpuMs(process.pid) - childCpuStartMs });
    });
  });
}

/** Parses the parts of wrk's report the bench uses. Exported for the bench's unit test. */
export function parseWrkReport(text: string): { qps: number; p50Ms: number; p99Ms: number; requests: number } {
  const requests = /(\d+) requests in /.exec(text);
  const qps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)\s*$/m.exec(text);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(text);
  if (requests === null || qps === null || p50 === null || p99 === null) throw new Error(`unreadable wrk report:\n${text}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  if (non2xx !== null) throw new Error(`wrk saw ${non2xx[1]} non-2xx replies:\n${text}`);
  const errors = /Socket errors: (.*)/.exec(text);
  if (errors !== null) throw new Error(`wrk saw socket errors (${errors[1]}):\n${text}`);
  const count = Number(requests[1]);
  if (count === 0) throw new Error(`wrk completed no request:\n${text}`);
  return { requests: count, qps: Number(qps[1]), p50Ms: toMs(p50[1], p50[2]), p99Ms: toMs(p99[1], p99[2]) };
}

function toMs(value: string | undefined, unit: string | undefined): number {
  const v = Number(value);
  if (unit === 'us') return v / 1000;
  if (unit === 's') return v * 1000;
  return v;
}
