import { performance } from 'node:perf_hooks';
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
 * change never produces a negative or inflated duration (as `Date.now()` can). Imported from `node:perf_hooks`
 * rather than read as the global, which Node defines as an accessor: that costs every read ~10 ns more.
 */
export const systemClock: Clock = Object.freeze({ now: () => performance.now() });

/**
 * Stops a timer started by `startTimer()`: records the elapsed time, in seconds, on the histogram with the start
 * attributes merged with `attributes` (end attributes win), and returns it. Only the first call records; later
 * calls return the same duration without recording again, so an `end()` in both a `catch` and a `finally`
 * cannot double-count.
 */
export type EndTimer = (attributes?: Attributes) => number;

/** Where a timer records: an OTel `Histogram`, or a timer of the instruments API. */
export interface DurationSink {
  record(seconds: number, attributes?: Attributes): void;
}

/**
 * A running duration measurement for `sink`: `stop()` records the seconds since the start (or the last
 * `reset()`) with the start attributes merged with the stop attributes (stop attributes win) and returns them.
 * Only the first `stop()` after a start records; later calls return the same duration without recording again,
 * so a `stop()` in both a `catch` and a `finally` cannot double-count. `reset()` starts measuring again from now
 * and re-arms `stop()`.
 */
export class Stopwatch {
  private start: number;
  private seconds: number | undefined;

  constructor(
    private readonly sink: DurationSink,
    private readonly attributes?: Attributes,
    private readonly clock: Clock = systemClock,
  ) {
    this.start = clock.now();
  }

  /** Records the elapsed seconds (once) and returns them. */
  stop(attributes?: Attributes): number {
    if (this.seconds !== undefined) return this.seconds;
    // Dividing a millisecond difference keeps test durations exact: advance(250) records exactly 0.25.
    // A misbehaving clock that steps backwards records 0 rather than a negative duration.
    const seconds = Math.max(0, (this.clock.now() - this.start) / 1000);
    this.seconds = seconds;
    this.sink.record(seconds, attributes ? { ...this.attributes, ...attributes } : this.attributes);
    return seconds;
  }

  /** Starts over from now; the next `stop()` records again. */
  reset(): void {
    this.start = this.clock.now();
    this.seconds = undefined;
  }
}

/**
 * Starts measuring a duration for `histogram` (whose unit should be `s`, as OTel semantic conventions require for
 * durations) and returns the function that stops it (a {@link Stopwatch}'s `stop`).
 *
 * ```ts
 * const end = startTimer(duration, { 'job.name': 'sync' });
 * try { await sync(); end({ outcome: 'ok' }); } catch (e) { end({ outcome: 'error' }); throw e; }
 * ```
 *
 * @param histogram the histogram (or instruments-API timer) that receives the duration in seconds.
 * @param attributes attributes known at the start; merged with those given to the returned function.
 * @param clock time source; default `systemClock` (`performance.now()`).
 */
export function startTimer(
  histogram: Histogram | DurationSink,
  attributes?: Attributes,
  clock: Clock = systemClock,
): EndTimer {
  const stopwatch = new Stopwatch(histogram, attributes, clock);
  return (endAttributes?: Attributes) => stopwatch.stop(endAttributes);
}
