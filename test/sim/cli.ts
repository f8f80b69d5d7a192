/**
 * Command line for the Raft simulator.
 *
 *   npm run sim -- --seed S [--nodes K]            replay one run, print its stats or its failure
 *   npm run sim -- --seeds N [--from S] [--nodes K] run N seeds; exit 1 on the first violation
 *
 * Without --nodes, runs alternate between 3 and 5 nodes. --bug NAME turns on a deliberate core
 * bug (doubleCountVotes, grantVoteToStaleLog, commitPreviousTermByQuorum, skipReadConfirmation) to see the checkers fire.
 * --metadata makes the workload propose metadata commands applied through MetadataStateMachine on
 * every node; --metadata-bug NAME (selfPreferringPrimary, lossySnapshot, ghostInSync; implies
 * --metadata) swaps in a deliberately broken state machine; --hostile-names (implies --metadata) adds
 * valid ids and names such as "__proto__" and "constructor" to the workload.
 */

import type { RaftTestHooks } from '../../src/consensus/raft.js';
import { METADATA_BUGS } from './metadata-sim.js';
import type { MetadataSimOptions } from './metadata-sim.js';
import { formatFailure, runSimulation } from './sim.js';
import type { SimStats } from './sim.js';

interface CliArgs {
  seed: number | undefined;
  seeds: number;
  from: number;
  nodes: number | undefined;
  bug: keyof RaftTestHooks | undefined;
  metadata: boolean;
  metadataBug: string | undefined;
  hostileNames: boolean;
}

function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { seed: undefined, seeds: 1, from: 1, nodes: undefined, bug: undefined, metadata: false, metadataBug: undefined, hostileNames: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1] ?? '';
    const number = Number(value);
    switch (flag) {
      case '--seed': args.seed = number; i++; break;
      case '--seeds': args.seeds = number; i++; break;
      case '--from': args.from = number; i++; break;
      case '--nodes': args.nodes = number; i++; break;
      case '--bug':
        if (value !== 'doubleCountVotes' && value !== 'grantVoteToStaleLog' && value !== 'commitPreviousTermByQuorum' && value !== 'skipReadConfirmation') usage(`unknown bug ${value}`);
        args.bug = value;
        i++;
        break;
      case '--metadata': args.metadata = true; break;
      case '--hostile-names': args.metadata = true; args.hostileNames = true; break;
      case '--metadata-bug':
        if (METADATA_BUGS[value] === undefined) usage(`unknown metadata bug ${value}`);
        args.metadata = true;
        args.metadataBug = value;
        i++;
        break;
      default: usage(`unknown argument ${String(flag)}`);
    }
  }
  for (const n of [args.seeds, args.from, args.nodes ?? 3, args.seed ?? 0]) {
    if (!Number.isSafeInteger(n) || n < 0) usage('numbers must be non-negative integers');
  }
  return args;
}

function usage(problem: string): never {
  process.stderr.write(`${problem}\nusage: npm run sim -- (--seed S | --seeds N [--from S]) [--nodes K] [--bug NAME] [--metadata] [--metadata-bug NAME] [--hostile-names]\n`);
  process.exit(2);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const first = args.seed ?? args.from;
  const count = args.seed === undefined ? args.seeds : 1;
  const hooks: RaftTestHooks = args.bug === undefined ? {} : { [args.bug]: true };
  const bugMachine = args.metadataBug === undefined ? undefined : METADATA_BUGS[args.metadataBug];
  const metadata: MetadataSimOptions | undefined = !args.metadata ? undefined : {
    ...(bugMachine === undefined ? {} : { stateMachineFor: bugMachine }),
    ...(args.hostileNames ? { hostileNames: true } : {}),
  };
  const replayFlags = !args.metadata ? ''
    : `${args.metadataBug === undefined ? ' --metadata' : ` --metadata-bug ${args.metadataBug}`}${args.hostileNames ? ' --hostile-names' : ''}`;
  const metadataTotals = { commands: 0, ok: 0, errors: 0, collectionsCreated: 0, comparisons: 0, restores: 0 };
  const recovery: number[] = [];
  const converge: number[] = [];
  let committed = 0;
  let reads = 0;
  let snapshots = 0;
  let configChanges = 0;
  const started = process.hrtime.bigint();
  for (let k = 0; k < count; k++) {
    const seed = first + k;
    const nodeCount = args.nodes ?? (seed % 2 === 0 ? 3 : 5);
    const result = runSimulation({ seed, nodeCount, testHooks: hooks, ...(metadata === undefined ? {} : { metadata }) });
    if (!result.ok) {
      process.stderr.write(`${formatFailure(result, nodeCount, replayFlags)}\n`);
      process.stderr.write(`${k} seeds passed before this one\n`);
      process.exit(1);
    }
    const s: SimStats = result.stats;
    recovery.push(...s.leaderRecoveryTicks);
    converge.push(s.healToConvergedTicks);
    committed += s.committedEntries;
    reads += s.readsServed;
    snapshots += s.snapshotsInstalled;
    configChanges += s.configChanges;
    if (s.metadata !== null) {
      for (const key of Object.keys(metadataTotals) as (keyof typeof metadataTotals)[]) metadataTotals[key] += s.metadata[key];
    }
    if (count === 1) process.stdout.write(`${JSON.stringify({ seed, nodeCount, ...s })}\n`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  recovery.sort((a, b) => a - b);
  converge.sort((a, b) => a - b);
  process.stdout.write(`${JSON.stringify({
    seedsClean: count, firstSeed: first, seconds: Number(seconds.toFixed(2)), seedsPerSecond: Number((count / seconds).toFixed(1)),
    committedEntries: committed, readsServed: reads, snapshotsInstalled: snapshots, configChanges,
    leaderLosses: recovery.length, leaderRecoveryTicksP50: percentile(recovery, 0.5), leaderRecoveryTicksP99: percentile(recovery, 0.99),
    healToConvergedTicksP50: percentile(converge, 0.5), healToConvergedTicksP99: percentile(converge, 0.99),
    ...(args.metadata ? { metadata: metadataTotals } : {}),
  })}\n`);
}

main();
