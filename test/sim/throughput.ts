/**
 * Core cost of committing entries: five RaftNodes over MemoryStorage exchanging messages through
 * an in-memory queue with no faults and no simulated latency, so the figure is the Raft core's
 * CPU cost (plus MemoryStorage), not the network's or a disk's. Prints one JSON line.
 *
 *   node dist/test/sim/throughput.js [--entries N] [--batch B] [--bytes S]
 */

import { SeededRandom } from '../../src/base/prng.js';
import { RaftNode } from '../../src/consensus/raft.js';
import { MemoryStorage } from '../../src/consensus/storage.js';
import type { Message } from '../../src/consensus/types.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const entriesTotal = arg('entries', 200_000);
const batch = arg('batch', 64);
const sizeBytes = arg('bytes', 128);
const ids = ['n0', 'n1', 'n2', 'n3', 'n4'];
const config = { voters: ids, learners: [] };
const storages = new Map(ids.map((id) => [id, new MemoryStorage(config)]));
const nodes = new Map(ids.map((id, i) => [id, new RaftNode({ id, storage: storages.get(id)!, random: new SeededRandom(i + 1) })]));
let queue: Message[] = [];
let appliedOnAll = 0;
const applied = new Map(ids.map((id) => [id, 0]));

function drain(): void {
  for (let busy = true; busy;) {
    busy = false;
    for (const [id, node] of nodes) {
      while (node.hasReady()) {
        busy = true;
        const rd = node.ready();
        const storage = storages.get(id)!;
        if (rd.snapshot !== null) storage.applySnapshot(rd.snapshot);
        storage.append(rd.entries);
        if (rd.hardState !== null) storage.setHardState(rd.hardState);
        for (const m of rd.messages) queue.push(m);
        const last = rd.committedEntries[rd.committedEntries.length - 1];
        if (last !== undefined) applied.set(id, last.index);
        node.advance(rd);
      }
    }
    const batchOfMessages = queue;
    queue = [];
    for (const m of batchOfMessages) {
      busy = true;
      nodes.get(m.to)!.step(m);
    }
  }
  appliedOnAll = Math.min(...applied.values());
}

const leader = nodes.get('n0')!;
for (let i = 0; i < 100 && leader.status().role !== 'leader'; i++) {
  leader.tick();
  drain();
}
if (leader.status().role !== 'leader') throw new Error('n0 did not become leader');
const payload = new Uint8Array(sizeBytes);
const startIndex = leader.status().commitIndex;
const started = process.hrtime.bigint();
let proposed = 0;
let rounds = 0;
while (appliedOnAll - startIndex < entriesTotal) {
  for (let i = 0; i < batch && proposed < entriesTotal; i++) {
    if (leader.propose(payload).ok) proposed++;
  }
  drain();
  if (++rounds % 10 === 0) for (const n of nodes.values()) n.tick();
  for (const [id, storage] of storages) {
    // Compact like a real node would, so memory stays bounded.
    const appliedIndex = applied.get(id) ?? 0;
    if (appliedIndex - storage.snapshot().metadata.index > 10_000) {
      storage.createSnapshot(appliedIndex, config, new Uint8Array(0));
      storage.compact(appliedIndex - 1000);
    }
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(`${JSON.stringify({
  benchmark: 'raft-core-commit', nodes: ids.length, entries: entriesTotal, batch, entryBytes: sizeBytes,
  seconds: Number(seconds.toFixed(3)), entriesPerSecond: Math.round(entriesTotal / seconds),
})}\n`);
