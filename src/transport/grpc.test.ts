import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { SeededRandom } from '../base/prng.js';
import { GRPC_LIMITS, backoffMs, isRetryable, withRetries } from './grpc.js';

function grpcError(code: grpc.status): Error {
  return Object.assign(new Error(`status ${code}`), { code });
}

test('backoff is capped exponential with full jitter', () => {
  const random = new SeededRandom(3);
  for (let attempt = 0; attempt < 12; attempt++) {
    const cap = Math.min(GRPC_LIMITS.retryBackoffMaxMs, GRPC_LIMITS.retryBackoffBaseMs * 2 ** attempt);
    for (let i = 0; i < 50; i++) {
      const ms = backoffMs(attempt, random);
      assert.ok(ms >= 0 && ms < cap, `attempt ${attempt}: ${ms} outside [0, ${cap})`);
    }
  }
});

test('only idempotent calls are retried, only on transient errors, at most retriesMax times', async () => {
  const random = new SeededRandom(4);
  let calls = 0;
  const flaky = () => {
    calls++;
    return calls < 3 ? Promise.reject(grpcError(grpc.status.UNAVAILABLE)) : Promise.resolve('ok');
  };
  assert.equal(await withRetries(flaky, { idempotent: true, random }), 'ok');
  assert.equal(calls, 3);

  calls = 0;
  await assert.rejects(withRetries(flaky, { idempotent: false, random }), /status 14/);
  assert.equal(calls, 1, 'a non-idempotent call must not be retried');

  calls = 0;
  const denied = () => {
    calls++;
    return Promise.reject(grpcError(grpc.status.PERMISSION_DENIED));
  };
  await assert.rejects(withRetries(denied, { idempotent: true, random }));
  assert.equal(calls, 1, 'a permanent error must not be retried');

  calls = 0;
  const down = () => {
    calls++;
    return Promise.reject(grpcError(grpc.status.DEADLINE_EXCEEDED));
  };
  await assert.rejects(withRetries(down, { idempotent: true, random }));
  assert.equal(calls, GRPC_LIMITS.retriesMax + 1);
  assert.equal(isRetryable(grpcError(grpc.status.INVALID_ARGUMENT)), false);
});
