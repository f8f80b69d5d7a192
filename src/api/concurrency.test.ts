// The concurrency probe: a lone client, however fast, is alone; a second open connection or a
// request while another is in flight is a sign of concurrency, held for CONCURRENCY_HOLD_MS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONCURRENCY_HOLD_MS, ConcurrencyProbe, type ProbedSocket } from './concurrency.js';

function socket(): { destroyed: boolean } {
  return { destroyed: false };
}

test('one keep-alive connection sending request after request is never concurrent', () => {
  const probe = new ConcurrencyProbe();
  const lone = socket();
  for (let i = 0; i < 1000; i++) {
    probe.arrived(1, lone);
    assert.equal(probe.concurrent, false, `request ${i}`);
  }
});

test('a client that opens a connection per request, closing the previous one, is alone', () => {
  const probe = new ConcurrencyProbe();
  let previous: { destroyed: boolean } | undefined;
  for (let i = 0; i < 100; i++) {
    if (previous !== undefined) previous.destroyed = true;
    const next = socket();
    probe.arrived(1, next);
    assert.equal(probe.concurrent, false, `request ${i}`);
    previous = next;
  }
});

test('a request on a second open connection is a sign, as is a request while another is in flight', () => {
  const a = socket();
  const b = socket();
  const twoConnections = new ConcurrencyProbe();
  twoConnections.arrived(1, a);
  twoConnections.arrived(1, b);
  assert.equal(twoConnections.concurrent, true);
  const inFlight = new ConcurrencyProbe();
  inFlight.arrived(1, a);
  inFlight.arrived(2, a);
  assert.equal(inFlight.concurrent, true);
});

test('the verdict holds for CONCURRENCY_HOLD_MS after the last sign, then lapses', async () => {
  const probe = new ConcurrencyProbe();
  const a: ProbedSocket = socket();
  probe.arrived(2, a);
  assert.equal(probe.concurrent, true);
  // The same lone connection afterwards gives no new sign.
  probe.arrived(1, a);
  await new Promise((resolve) => setTimeout(resolve, CONCURRENCY_HOLD_MS + 20));
  assert.equal(probe.concurrent, false);
});
