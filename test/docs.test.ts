/** Keeps the user documentation in step with the code: every error code and limit is documented. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../src/base/errors.js';

const root = new URL('../../', import.meta.url);

test('docs/errors.md lists every error code with its HTTP status and meaning', () => {
  const doc = readFileSync(new URL('docs/errors.md', root), 'utf8');
  for (const [code, { status, meaning }] of Object.entries(ERROR_CODES)) {
    assert.ok(doc.includes(`| \`${code}\` | ${status} | ${meaning} |`), `docs/errors.md is missing or out of date for ${code}`);
  }
});
