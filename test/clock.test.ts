import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { startTimer, systemClock } from '../src/clock.js';
import { createTestClock, createTestMeter } from '../src/testing/index.js';

const tm = createTestMeter({ histograms: { 'job.duration': [0.1, 0.5, 1] } });
afterEach(() => tm.reset());
afterAll(() => tm.shutdown());

describe('startTimer', () => {
  it('records the exact elapsed seconds of the given clock, with start and end attributes merged', async () => {
    const clock = createTestClock(1_000);
    const duration = tm.meter.createHistogram('job.duration', { unit: 's' });
    const end = startTimer(duration, { 'job.name': 'sync', outcome: 'pending' }, clock);
    clock.advance(250);
    expect(end({ outcome: 'ok' })).toBe(0.25);
    const fast = startTimer(duration, { 'job.name': 'sync' }, clock);
    clock.advance(100);
    fast({ outcome: 'ok' });
    expect(await tm.collect()).toHaveHistogram(
      'job.duration',
      { 'job.name': 'sync', outcome: 'ok' },
      { count: 2, sum: 0.35, min: 0.1, max: 0.25 },
    );
  });

  it('records once, however many times it is stopped', async () => {
    const clock = createTestClock();
    const end = startTimer(tm.meter.createHistogram('job.duration', { unit: 's' }), {}, clock);
    clock.advance(500);
    expect(end()).toBe(0.5);
    clock.advance(500);
    expect(end({ outcome: 'error' })).toBe(0.5);
    expect(await tm.collect()).toHaveHistogram('job.duration', {}, { count: 1, sum: 0.5 });
  });

  it('records zero, not a negative duration, when a clock steps backwards', async () => {
    let now = 10;
    const end = startTimer(tm.meter.createHistogram('job.duration', { unit: 's' }), {}, { now: () => now });
    now = 5;
    expect(end()).toBe(0);
    expect((await tm.collect()).histogram('job.duration')?.sum).toBe(0);
  });

  it('uses the monotonic performance clock by default', () => {
    // performance.now() is driven by hand; Date.now() keeps running and would give another duration.
    let now = 1_000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      expect(systemClock.now()).toBe(1_000);
      const end = startTimer(tm.meter.createHistogram('job.duration', { unit: 's' }));
      now += 1_234;
      expect(end()).toBe(1.234);
    } finally {
      clock.mockRestore();
    }
  });
});
