#!/usr/bin/env node
// Builds Hektor's native HNSW binding (binding.gyp → build/Release/hektor_hnsw.node) with the
// node-gyp that npm puts on PATH for package scripts. The headers come from the running Node's own
// install prefix (<prefix>/include/node, shipped with Node), so node-gyp never downloads them; if
// that prefix has none, node-gyp's own lookup applies (its `nodedir` setting, then its cache).
//
// The binding is compiled for the CPU it is built on (`-march=native`): hnswlib picks its SSE,
// AVX or AVX-512 distance kernels when the compiler targets them, and the AVX-512 ones cut a
// 128-dimension search's CPU by about a quarter on the bench machine (40 µs → 31 µs). A build
// meant to run on other CPUs names their common target instead, e.g.
// HEKTOR_NATIVE_MARCH=x86-64-v2 npm run build:native. `-ffp-contract=off` (binding.gyp) keeps the
// compiler from fusing a multiply and an add into one FMA where the CPU has it: the float64
// rescoring must round after each operation, as src/index/distance.ts does, for its scores to
// be bit-identical to the JavaScript ones (the index conformance tests check this).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const prefix = resolve(process.execPath, '..', '..');
const args = ['rebuild'];
if (existsSync(resolve(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const march = process.env.HEKTOR_NATIVE_MARCH ?? 'native';
if (!/^[A-Za-z0-9._+-]+$/.test(march)) {
  console.error(`build-native: HEKTOR_NATIVE_MARCH must be a compiler -march value such as native or x86-64-v2, got "${march}"`);
  process.exit(1);
}
args.push('--', `-Dhektor_march=${march}`);
const result = spawnSync('node-gyp', args, { stdio: 'inherit', shell: process.platform === 'win32' });
if (result.error !== undefined) {
  console.error(`build-native: cannot run node-gyp (${result.error.message}); run this through npm (npm run build:native)`);
  process.exit(1);
}
process.exit(result.status ?? 1);
