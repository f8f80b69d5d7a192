/**
 * Turns bench JSON lines (stdin) into the Markdown tables of docs/benchmarks.md:
 * `node dist/bench/search.js … | tee run.jsonl; node dist/bench/report.js < run.jsonl`.
 */

import { text } from 'node:stream/consumers';
import { medianBy } from './stats.js';

/** One parsed JSON line; fields are read with the typed getters below. */
type Line = Record<string, unknown>;

function num(line: Line, key: string): number | undefined {
  const value = line[key];
  return typeof value === 'number' ? value : undefined;
}

function str(line: Line, key: string): string {
  const value = line[key];
  return typeof value === 'string' ? value : '';
}

function cell(value: number | undefined, digits = 0): string {
  return value === undefined ? '–' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Of a point's lines (one per `--rounds` round and load generator), the median-QPS round of the
 * first line's load generator (the lower middle one for an even count), as the summary judges.
 */
function medianRound(lines: readonly Line[]): Line | undefined {
  const first = lines[0];
  if (first === undefined) return undefined;
  return medianBy(
    lines.filter((l) => l.client === first.client),
    (l) => num(l, 'qps') ?? 0,
  );
}

function searchTables(lines: readonly Line[]): string[] {
  const out: string[] = [];
  const searches = lines.filter((l) => l.bench === 'search' && l.phase === undefined);
  for (const dataset of [...new Set(searches.map((l) => str(l, 'dataset')))]) {
    const rows = searches.filter((l) => l.dataset === dataset);
    const find = (engine: string, ef: number, clients: number) => medianRound(rows.filter((r) => r.engine === engine && r.ef === ef && r.clients === clients));
    out.push(`#### ${dataset}`, '');
    out.push('| ef | recall@10 | raw hnswlib QPS (1 thread) | Hektor index in-process QPS | REST 1 client QPS (p50 / p99 ms) | REST 8 clients QPS (p50 / p99 ms) | REST 1 client ÷ raw (wall / CPU) | CPU µs/query: raw → index → REST server + client | bare-HTTP ceiling QPS, 1 / 8 clients (server CPU µs) |');
    out.push('|---|---|---|---|---|---|---|---|---|');
    for (const ef of [...new Set(rows.map((r) => num(r, 'ef') ?? 0))]) {
      const raw = find('hnswlib-node-inprocess', ef, 1);
      const layer = find('hektor-index-inprocess', ef, 1);
      const rest1 = find('hektor-rest', ef, 1);
      const rest8 = find('hektor-rest', ef, 8);
      const ceiling1 = find('bare-http-hnswlib', ef, 1);
      const ceiling8 = find('bare-http-hnswlib', ef, 8);
      const restCell = (r: Line | undefined) => (r === undefined ? '–' : `${cell(num(r, 'qps'))} (${cell(num(r, 'p50_ms'), 2)} / ${cell(num(r, 'p99_ms'), 2)})`);
      const recall = num(rest1 ?? raw ?? {}, 'recall_at_10');
      const rawCpu = num(raw ?? {}, 'server_cpu_us_per_query');
      const serverCpu = num(rest1 ?? {}, 'server_cpu_us_per_query');
      const clientCpu = num(rest1 ?? {}, 'client_cpu_us_per_query');
      // The CPU-predicted ratio (see cpuRatio in search.ts), recomputed so that older runs get it too.
      const cpuRatio = rawCpu === undefined || serverCpu === undefined || clientCpu === undefined ? undefined : rawCpu / (serverCpu + clientCpu);
      out.push(
        `| ${ef} | ${cell(recall, 4)} | ${cell(num(raw ?? {}, 'qps'))} | ${cell(num(layer ?? {}, 'qps'))} | ${restCell(rest1)} | ${restCell(rest8)} | ` +
          `${cell(num(rest1 ?? {}, 'ratio_to_baseline'), 2)} / ${cell(cpuRatio, 2)} | ${cell(rawCpu)} → ${cell(num(layer ?? {}, 'server_cpu_us_per_query'))} → ${cell(serverCpu)} + ${cell(clientCpu)} | ` +
          `${cell(num(ceiling1 ?? {}, 'qps'))} / ${cell(num(ceiling8 ?? {}, 'qps'))} (${cell(num(ceiling1 ?? {}, 'server_cpu_us_per_query'))}) |`,
      );
    }
    out.push('');
  }
  return out;
}

function otherLines(lines: readonly Line[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (l.phase === 'summary') {
      out.push(`- **${str(l, 'dataset')}** summary: bar met (${String(l.bar_load)}) = ${JSON.stringify(l.bar_met)}; raw best ${JSON.stringify(l.raw_best)}; by load generator ${JSON.stringify(l.by_load)}`);
    } else if (l.phase === 'build' || l.phase === 'http-floor' || l.phase === 'client-calibration' || l.phase === 'memory' || l.bench === 'ingest') {
      const shown = Object.fromEntries(Object.entries(l).filter(([key]) => key !== 'bench' && key !== 'date'));
      out.push(`- ${JSON.stringify(shown)}`);
    }
  }
  return out;
}

const input = await text(process.stdin);
const lines = input
  .split('\n')
  .filter((s) => s.startsWith('{'))
  .map((s) => JSON.parse(s) as Line);
const ingest = lines.filter((l) => l.bench === 'ingest' && l.engine === 'hektor-rest');
const markdown = [...searchTables(lines)];
if (ingest.length > 0) {
  markdown.push('| dataset | batch | points | REST points/s | batch p50 / p99 ms | server CPU µs/point | raw addPoint points/s (same points) | ratio |', '|---|---|---|---|---|---|---|---|');
  for (const l of ingest) {
    const baseline = (l.baseline ?? {}) as Line;
    markdown.push(`| ${str(l, 'dataset')} | ${cell(num(l, 'batch_points'))} | ${cell(num(l, 'points'))} | ${cell(num(l, 'points_per_s'))} | ${cell(num(l, 'batch_p50_ms'), 1)} / ${cell(num(l, 'batch_p99_ms'), 1)} | ${cell(num(l, 'server_cpu_us_per_point'))} | ${cell(num(baseline, 'points_per_s'))} | ${cell(num(l, 'ratio_to_baseline'), 3)} |`);
  }
  markdown.push('');
}
markdown.push(...otherLines(lines));
process.stdout.write(`${markdown.join('\n')}\n`);
