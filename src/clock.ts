import type { Attributes, Histogram } from '@opentelemetry/api';

/**
 * A monotonic time source in milliseconds. Everything in this library that measures a duration takes one, so a
 * test can pass `createTestClock()` from `otel-metrics-bootstrap/testing` and assert exact durations instead of
 * sleeping.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin. Must never go backwards; only differences are meaningful. */
  now(): number;
}

/**
 * The default clock: `performance.now()`, which is monotonic and sub-millisecond, so an NTP step or a wall-clock
 * change never produces a negative or inflated duration (as `Date.now()` can).
 */
export const systemClock: Clock = Object.freeze({ now: () => performance.now() });

/**
 * Stops a timer started by `startTimer()`: records the elapsed time, in seconds, on the histogram with the start
 * attributes merged with `attributes` (end attributes win), and returns it. Only the first call records; later
 * calls return the same duration without recording again, so an `end()` in both a `catch` and a `finally`
 * cannot double-count.
 */
export type EndTimer = (attributes?: Attributes) => number;

/**
 * Starts measuring a duration for `histogram` (whose unit should be `s`, as OTel semantic conventions require for
 * durations) and returns the function that stops it.
 *
 * ```ts
 * const end = startTimer(duration, { 'job.name': 'sync' });
 * try { await sync(); end({ outcome: 'ok' }); } catch (e) { end({ outcome: 'error' }); throw e; }
 * ```
 *
 * @param histogram the histogram that receives the duration in seconds.
 * @param attributes attributes known at the start; merged with those given to the returned function.
 * @param clock time source; default `systemClock` (`performance.now()`).
 */
export function startTimer(
  histogram: Histogram,
  attributes?: Attributes,
  clock: Clock = systemClock,
): EndTimer {
  const start = clock.now();
  let seconds: number | undefined;
  return (endAttributes?: Attributes): number => {
    if (seconds !== undefined) return seconds;
    // Dividing a millisecond difference keeps test durations exact: advance(250) records exactly 0.25.
    // A misbehaving clock that steps backwards records 0 rather than a negative duration.
    seconds = Math.max(0, (clock.now() - start) / 1000);
    histogram.record(seconds, endAttributes ? { ...attributes, ...endAttributes } : attributes);
    return seconds;
  };
}
