#!/usr/bin/env node
// Builds Hektor's native HNSW binding (binding.gyp → build/Release/hektor_hnsw.node) with the
// node-gyp that npm puts on PATH for package scripts. The headers come from the running Node's own
// install prefix (<prefix>/include/node, shipped with Node), so node-gyp never downloads them; if
// that prefix has none, node-gyp's own lookup applies (its `nodedir` setting, then its cache).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const prefix = resolve(process.execPath, '..', '..');
const args = ['rebuild'];
if (existsSync(resolve(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const result = spawnSync('node-gyp', args, { stdio: 'inherit', shell: process.platform === 'win32' });
if (result.error !== undefined) {
  console.error(`build-native: cannot run node-gyp (${result.error.message}); run this through npm (npm run build:native)`);
  process.exit(1);
}
process.exit(result.status ?? 1);
