#!/usr/bin/env node
// Runs every compiled test file under dist/ with node's built-in test runner.
// Node 20 does not expand globs for --test, and with no file arguments it silently finds no
// TypeScript tests, so the list is built here and an empty list is an error.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['dist/src', 'dist/test', 'dist/bench'];
const filter = process.argv.slice(2);
const files = [];
function walk(dir) {
  let names;
  try { names = readdirSync(dir); } catch { return; }
  for (const name of names.sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js')) files.push(path);
  }
}
roots.forEach(walk);
const selected = filter.length === 0 ? files : files.filter((f) => filter.some((p) => f.includes(p)));
if (selected.length === 0) {
  console.error('run-tests: no test files found (did the build run?)');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...selected], { stdio: 'inherit' });
process.exit(result.status ?? 1);
