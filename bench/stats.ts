/** Timing and summary helpers shared by the bench scripts. */

import { readFileSync } from 'node:fs';

/** Monotonic time in milliseconds with sub-microsecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The q-quantile (0..1) of the samples by the nearest-rank method; NaN when empty. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * The item with the median `value` (the lower of the two middle ones for an even count), or
 * undefined when there is none: how repeated rounds of one measurement are summarised.
 */
export function medianBy<T>(items: readonly T[], value: (item: T) => number): T | undefined {
  const sorted = [...items].sort((a, b) => value(a) - value(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Rounds to `digits` decimals so that JSON lines stay readable. */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Prints one JSON line on stdout: the bench output format. */
export function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

/** Prints a progress note on stderr, so that stdout stays pure JSON lines. */
export function note(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Awaits a delay. */
export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** CPU time (user + system) of this process so far, in milliseconds. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * The sum of two adjacent time fields of /proc/<pid>/stat, in milliseconds; NaN where /proc is
 * unreadable or the process is gone. `first` counts from field 3 (state), the first after the
 * command name, which may contain spaces.
 */
function statTimeMs(pid: number, first: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[first]) + Number(fields[first + 1])) * 1000) / USER_HZ;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time (user + system) of another process so far, in milliseconds, from /proc (10 ms
 * resolution); NaN where /proc is unavailable. On a shared machine CPU time per request is a
 * steadier figure than wall-clock QPS, which moves with other people's load.
 */
export function processCpuMs(pid: number): number {
  return statTimeMs(pid, 11); // utime, stime
}

/**
 * CPU time (user + system) of the reaped children of a process (pass `process.pid` for this
 * one), in milliseconds; NaN where unreadable.
 */
export function reapedChildrenCpuMs(pid: number): number {
  return statTimeMs(pid, 13); // cutime, cstime
}

/**
 * Resident set size of a process in bytes (VmRSS of /proc/<pid>/status; pass `process.pid` for
 * this one); NaN where /proc is unreadable or the process is gone. Resident bytes include
 * whatever the process's allocators still hold (V8 heap not yet collected, malloc arenas), which
 * is what a machine running it actually pays.
 */
export function processRssBytes(pid: number): number {
  return processRss(pid).total;
}

/**
 * Resident memory of a process split as Linux reports it: `anon` (heap, native allocations: what
 * only this process can hold) and `file` (mapped file pages, e.g. LMDB's map: page cache the
 * kernel may drop and reread). NaN fields when unreadable.
 */
export function processRss(pid: number): { total: number; anon: number; file: number } {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { total: Number.NaN, anon: Number.NaN, file: Number.NaN };
  }
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
    return match === null ? Number.NaN : Number(match[1]) * 1024;
  };
  return { total: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile') };
}
