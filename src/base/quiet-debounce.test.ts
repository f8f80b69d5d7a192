// QuietDebounce on a fake clock and mocked timers: a run after a pause, a run at least every
// intervalMaxMs under a steady stream, never two runs at once.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { QuietDebounce } from './quiet-debounce.js';

/** A fake clock that moves with the mocked timers. */
interface FakeTime {
  now: () => number;
  advance: (ms: number) => Promise<void>;
}

/** Runs `body` with setTimeout mocked and a fake clock moving with it. */
async function withFakeTime(body: (time: FakeTime) => Promise<void>): Promise<void> {
  mock.timers.enable({ apis: ['setTimeout'] });
  let nowMs = 1_000;
  try {
    await body({
      now: () => nowMs,
      advance: async (ms: number) => {
        for (let i = 0; i < ms; i++) {
          nowMs++;
          mock.timers.tick(1);
        }
        // Let the task's promise chain settle.
        for (let i = 0; i < 5; i++) await Promise.resolve();
      },
    });
  } finally {
    mock.timers.reset();
  }
}

test('quiet debounce: one run a quiet period after the last event of a burst', async () => {
  await withFakeTime(async (time) => {
    let runs = 0;
    const debounce = new QuietDebounce(async () => {
      runs++;
    }, 20, 1_000, time.now);
    for (let i = 0; i < 10; i++) {
      debounce.poke();
      await time.advance(5);
    }
    assert.equal(runs, 0, 'no run while events keep coming within the quiet period');
    await time.advance(14);
    assert.equal(runs, 0);
    await time.advance(2);
    assert.equal(runs, 1, 'a run once 20 ms pass after the last event');
    await time.advance(500);
    assert.equal(runs, 1, 'nothing more without events');
  });
});

test('quiet debounce: a steady stream still runs at least every intervalMaxMs', async () => {
  await withFakeTime(async (time) => {
    let runs = 0;
    const debounce = new QuietDebounce(async () => {
      runs++;
    }, 20, 100, time.now);
    for (let i = 0; i < 60; i++) {
      debounce.poke();
      await time.advance(5);
    }
    // 300 ms of events 5 ms apart: runs near 100, 200 and 300 ms.
    assert.ok(runs >= 2 && runs <= 3, `expected 2-3 runs, got ${runs}`);
  });
});

test('quiet debounce: no second run while one is in progress; a failed run is ignored', async () => {
  await withFakeTime(async (time) => {
    let started = 0;
    let finish: (() => void) | undefined;
    const debounce = new QuietDebounce(
      () => {
        started++;
        return new Promise<void>((_, reject) => (finish = () => reject(new Error('failed'))));
      },
      10,
      1_000,
      time.now,
    );
    debounce.poke();
    await time.advance(11);
    assert.equal(started, 1);
    debounce.poke();
    await time.advance(11);
    assert.equal(started, 1, 'the first run has not finished');
    finish?.();
    await time.advance(1);
    debounce.poke();
    await time.advance(11);
    assert.equal(started, 2, 'runs again after a failed run');
  });
});
