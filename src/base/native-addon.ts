/**
 * Loading Hektor's own native addons (built by `npm run build:native` into build/Release), with
 * one clear error when an addon is missing or is not the one this build expects.
 */

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The addon `build/Release/<name>.node`, checked to export a function under each of
 * `functions`; `what` names it in the errors (e.g. "HNSW binding").
 */
export function loadNativeAddon(name: string, what: string, functions: readonly string[]): Record<string, unknown> {
  // dist/src/base/ → the package root holds build/Release.
  const file = new URL(`../../../build/Release/${name}.node`, import.meta.url).pathname;
  let addon: unknown;
  try {
    addon = require(file);
  } catch (e: unknown) {
    throw new Error(`Hektor's native ${what} is missing (${file}); build it with \`npm run build:native\`: ${String(e)}`);
  }
  if (typeof addon !== 'object' || addon === null) throw new Error(`${file} is not the ${what} this build expects; rebuild it with \`npm run build:native\``);
  const exports = addon as Record<string, unknown>;
  for (const fn of functions) {
    if (typeof exports[fn] !== 'function') throw new Error(`${file} is not the ${what} this build expects (no ${fn}); rebuild it with \`npm run build:native\``);
  }
  return exports;
}
