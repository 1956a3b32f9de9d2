import type { Clock } from '../clock.js';

/** A `Clock` that only moves when the test says so. */
export interface TestClock extends Clock {
  /** The current time in milliseconds (starts at the value given to `createTestClock`, default `0`). */
  now(): number;
  /**
   * Moves time forward by `ms` milliseconds and returns the new time. Throws `RangeError` for a negative or
   * non-finite step: a `Clock` must never go backwards.
   */
  advance(ms: number): number;
}

/**
 * A manual clock for exact duration assertions: pass it wherever the code under test takes a `Clock` (for
 * example `startTimer(histogram, attrs, clock)`), call `clock.advance(250)`, and the recorded duration is
 * exactly `0.25` seconds.
 *
 * @param startMs the initial `now()`, in milliseconds. Default `0`.
 */
export function createTestClock(startMs = 0): TestClock {
  if (!Number.isFinite(startMs))
    throw new RangeError(`createTestClock: start must be finite, got ${startMs}`);
  let now = startMs;
  return {
    now: () => now,
    advance(ms: number): number {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new RangeError(`clock.advance: ms must be a finite number >= 0, got ${String(ms)}`);
      }
      now += ms;
      return now;
    },
  };
}
