#!/usr/bin/env node
// Entry point of the `hektor` command: runs the compiled CLI (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const cli = fileURLToPath(new URL('../dist/src/server/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('hektor: the build output is missing; run `npm run build` first');
  process.exit(1);
}
await import(cli);
