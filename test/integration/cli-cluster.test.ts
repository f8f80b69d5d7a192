/** The development commands: `hektor cluster up/down` start and stop a real local cluster; `hektor certs` writes usable PEM files. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/node.js';

const run = promisify(execFile);
const BIN = new URL('../../../bin/hektor.js', import.meta.url).pathname;

test('hektor cluster up --nodes 3 forms a cluster with one leader; cluster down stops every process', { timeout: 90_000 }, async () => {
  const dir = tempDir();
  try {
    const up = await run(process.execPath, [BIN, 'cluster', 'up', '--nodes', '3', '--dir', dir.path], { timeout: 60_000 });
    const urls = [...up.stdout.matchAll(/http:\/\/127\.0\.0\.1:\d+/g)].map((m) => m[0]);
    assert.equal(urls.length, 3, up.stdout);
    const description = JSON.parse(readFileSync(join(dir.path, 'cluster.json'), 'utf8')) as { nodes: { pid: number }[] };
    const leaders = new Set<string>();
    for (const url of urls) {
      const body = (await (await fetch(`${url}/cluster?consistency=linearizable`)).json()) as { result: { raft_info: { leader: string; voters: string[] } } };
      leaders.add(body.result.raft_info.leader);
      assert.deepEqual(body.result.raft_info.voters, ['n1', 'n2', 'n3']);
    }
    assert.equal(leaders.size, 1);
    await run(process.execPath, [BIN, 'cluster', 'down', '--dir', dir.path, '--purge'], { timeout: 30_000 });
    for (const n of description.nodes) assert.throws(() => process.kill(n.pid, 0), 'a node process is still running');
    assert.equal(existsSync(join(dir.path, 'cluster.json')), false);
  } finally {
    await run(process.execPath, [BIN, 'cluster', 'down', '--dir', dir.path]).catch(() => undefined);
    dir.remove();
  }
});

test('hektor certs writes a CA and node certificates naming their node ids', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  try {
    await run(process.execPath, [BIN, 'certs', '--out', dir.path, '--nodes', 'a,b']);
    const ca = new X509Certificate(readFileSync(join(dir.path, 'ca.pem')));
    for (const id of ['a', 'b']) {
      const cert = new X509Certificate(readFileSync(join(dir.path, `${id}.pem`)));
      assert.match(cert.subject, new RegExp(`CN=${id}`));
      assert.equal(cert.verify(ca.publicKey), true);
      assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    }
    await assert.rejects(run(process.execPath, [BIN, 'certs', '--out', dir.path, '--nodes', 'bad id!']), (e: { code?: number }) => e.code === 2);
  } finally {
    dir.remove();
  }
});
