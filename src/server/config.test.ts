import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHektorError } from '../base/errors.js';
import { loadConfig, parsePeers } from './config.js';

test('config: defaults < YAML file < HEKTOR_* environment < flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hektor-config-'));
  try {
    const file = join(dir, 'hektor.yaml');
    writeFileSync(file, 'data_dir: /from/file\nhttp_port: 7000\nlog_level: warn\nzone: eu-1\n');
    assert.equal(loadConfig({}).httpPort, 6333);
    const fromFile = loadConfig({ file });
    assert.deepEqual([fromFile.dataDir, fromFile.httpPort, fromFile.logLevel, fromFile.zone], ['/from/file', 7000, 'warn', 'eu-1']);
    const fromEnv = loadConfig({ file, env: { HEKTOR_HTTP_PORT: '7100', HEKTOR_LOG_LEVEL: 'debug' } });
    assert.deepEqual([fromEnv.httpPort, fromEnv.logLevel, fromEnv.dataDir], [7100, 'debug', '/from/file']);
    const fromFlags = loadConfig({ file, env: { HEKTOR_HTTP_PORT: '7100' }, flags: { http_port: 7200, data_dir: undefined } });
    assert.deepEqual([fromFlags.httpPort, fromFlags.dataDir], [7200, '/from/file']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config: bad values, unknown keys and contradictions stop start-up with invalid_config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hektor-config-'));
  try {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'http_prot: 1\n');
    const invalid = (e: unknown) => isHektorError(e, 'invalid_config');
    assert.throws(() => loadConfig({ file }), invalid);
    assert.throws(() => loadConfig({ flags: { http_port: 70000 } }), invalid);
    assert.throws(() => loadConfig({ flags: { log_level: 'loud' } }), invalid);
    assert.throws(() => loadConfig({ flags: { tls_ca: 'a.pem' } }), invalid);
    assert.throws(() => loadConfig({ flags: { peers: 'a@h:1', join: 'h:2' } }), invalid);
    assert.throws(() => loadConfig({ file: join(dir, 'missing.yaml') }), invalid);
    assert.throws(() => parsePeers('a@h:1,a@h:2'), invalid);
    assert.deepEqual(parsePeers('n1@127.0.0.1:1, n2@host:2'), [{ id: 'n1', address: '127.0.0.1:1' }, { id: 'n2', address: 'host:2' }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config: search_threads defaults to 0 (one per core but one) and is range-checked', () => {
  assert.equal(loadConfig({}).searchThreads, 0);
  assert.equal(loadConfig({ env: { HEKTOR_SEARCH_THREADS: '3' } }).searchThreads, 3);
  assert.throws(() => loadConfig({ flags: { search_threads: -1 } }), (e: unknown) => isHektorError(e, 'invalid_config'));
  assert.throws(() => loadConfig({ flags: { search_threads: 100_000 } }), (e: unknown) => isHektorError(e, 'invalid_config'));
});
