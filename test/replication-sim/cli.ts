/**
 * Command line for the replication simulator.
 *
 *   node dist/test/replication-sim/cli.js --seed S [--rf K] [--mode M]            replay one run
 *   node dist/test/replication-sim/cli.js --seeds N [--from S] [--rf K] [--mode M] run N seeds; exit 1 on the first violation
 *
 * --mode is sync, semi_sync, async or mixed (default). Without --rf, runs alternate between RF 3
 * and 5. --bug NAME turns on a deliberate bug (ackBeforeShrinkCommits, ackIgnoringPendingExpand, promoteOutOfSync) to see
 * the checkers fire. --faulty N lets faults hit only N replicas (chosen from the seed), which turns
 * on the check that semi_sync with minAcks >= N loses no acknowledged write.
 */

import { formatReplicationFailure, runReplicationSimulation } from './sim.js';
import type { ReplicationSimOptions, WorkloadMode } from './sim.js';

interface CliArgs {
  seed: number | undefined;
  seeds: number;
  from: number;
  rf: number | undefined;
  mode: WorkloadMode;
  bug: 'ackBeforeShrinkCommits' | 'ackIgnoringPendingExpand' | 'promoteOutOfSync' | undefined;
  streamEarly: boolean;
  faulty: number | undefined;
}

function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { seed: undefined, seeds: 1, from: 1, rf: undefined, mode: 'mixed', bug: undefined, faulty: undefined, streamEarly: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1] ?? '';
    const number = Number(value);
    switch (flag) {
      case '--seed': args.seed = number; i++; break;
      case '--seeds': args.seeds = number; i++; break;
      case '--from': args.from = number; i++; break;
      case '--rf': args.rf = number; i++; break;
      case '--faulty': args.faulty = number; i++; break;
      case '--mode':
        if (value !== 'sync' && value !== 'semi_sync' && value !== 'async' && value !== 'mixed') usage(`unknown mode ${value}`);
        args.mode = value;
        i++;
        break;
      case '--stream-early':
        args.streamEarly = true;
        break;
      case '--bug':
        if (value !== 'ackBeforeShrinkCommits' && value !== 'ackIgnoringPendingExpand' && value !== 'promoteOutOfSync') usage(`unknown bug ${value}`);
        args.bug = value;
        i++;
        break;
      default: usage(`unknown argument ${String(flag)}`);
    }
  }
  for (const n of [args.seeds, args.from, args.rf ?? 3, args.seed ?? 0, args.faulty ?? 0]) {
    if (!Number.isSafeInteger(n) || n < 0) usage('numbers must be non-negative integers');
  }
  return args;
}

function usage(problem: string): never {
  process.stderr.write(`${problem}\nusage: node dist/test/replication-sim/cli.js (--seed S | --seeds N [--from S]) [--rf K] [--mode sync|semi_sync|async|mixed] [--faulty N] [--bug NAME] [--stream-early]\n`);
  process.exit(2);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const first = args.seed ?? args.from;
  const count = args.seed === undefined ? args.seeds : 1;
  const totals = { writesProposed: 0, acked: 0, failovers: 0, shrinks: 0, expands: 0, crashes: 0, snapshotsSent: 0, truncatedEntries: 0, lostAsyncWrites: 0 };
  const started = process.hrtime.bigint();
  for (let k = 0; k < count; k++) {
    const seed = first + k;
    const options: ReplicationSimOptions = {
      seed, replicationFactor: args.rf ?? (seed % 2 === 0 ? 3 : 5), mode: args.mode,
      ...(args.faulty === undefined ? {} : { faultyNodesMax: args.faulty }),
      ...(args.streamEarly ? { streamBeforeDurable: true } : {}),
      ...(args.bug === 'ackBeforeShrinkCommits' ? { primaryHooks: { ackBeforeShrinkCommits: true } } : {}),
      ...(args.bug === 'ackIgnoringPendingExpand' ? { primaryHooks: { ackIgnoringPendingExpand: true } } : {}),
      ...(args.bug === 'promoteOutOfSync' ? { controllerHooks: { promoteOutOfSync: true } } : {}),
    };
    const result = runReplicationSimulation(options);
    if (!result.ok) {
      process.stderr.write(`${formatReplicationFailure(result, options, args.bug === undefined ? '' : ` --bug ${args.bug}`)}\n`);
      process.stderr.write(`${k} seeds passed before this one\n`);
      process.exit(1);
    }
    const s = result.stats;
    totals.writesProposed += s.writesProposed;
    totals.acked += s.writesAcked.async + s.writesAcked.sync + s.writesAcked.semi_sync;
    totals.failovers += s.failovers;
    totals.shrinks += s.shrinks;
    totals.expands += s.expands;
    totals.crashes += s.crashes;
    totals.snapshotsSent += s.snapshotsSent;
    totals.truncatedEntries += s.truncatedEntries;
    totals.lostAsyncWrites += s.lostAsyncWrites;
    if (count === 1) process.stdout.write(`${JSON.stringify({ seed, rf: options.replicationFactor, ...s })}\n`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({
    seedsClean: count, firstSeed: first, mode: args.mode, seconds: Number(seconds.toFixed(2)),
    seedsPerSecond: Number((count / seconds).toFixed(1)), ...totals,
  })}\n`);
}

main();
