import type { Attributes } from '@opentelemetry/api';
import { type EndTimer, Stopwatch, startTimer } from '../clock.js';
import { ATTR_ERROR_TYPE } from '../semconv.js';
import { Histogram, type HistogramOptions } from './histogram.js';

/** Timer options: a histogram's, in seconds (the unit is always `s`). */
export type TimerOptions = Omit<HistogramOptions, 'unit'>;

/**
 * A histogram of durations in seconds (unit `s`, the seconds buckets by default) with ways to measure them:
 * `time(fn)`, stopwatches, `startTimer()`. Durations come from the instruments API's clock
 * (`performance.now()`, or the `clock` given to `createInstruments()`, e.g. `createTestClock()` in tests).
 */
export class Timer extends Histogram {
  override readonly kind = 'timer';

  /** Records a duration, in seconds (finite, ≥ 0). */
  record(seconds: number, attributes?: Attributes): void {
    this.observe(seconds, attributes);
  }

  /**
   * Runs `fn` and records how long it took; for a function that returns a promise, until it settles. When it
   * throws or rejects, the duration is recorded with `error.type` (the error's class name, `_OTHER` for a
   * non-Error) and the original error is rethrown unchanged. Returns what `fn` returns.
   */
  time<T>(fn: () => T, attributes?: Attributes): T {
    const clock = this.context.clock;
    const start = clock.now();
    const done = (err?: unknown, failed = false) =>
      this.observe(
        Math.max(0, (clock.now() - start) / 1000),
        failed ? { ...attributes, [ATTR_ERROR_TYPE]: errorType(err) } : attributes,
      );
    let result: T;
    try {
      result = fn();
    } catch (err) {
      done(err, true);
      throw err;
    }
    if (isThenable(result)) {
      return result.then(
        (value) => {
          done();
          return value;
        },
        (err: unknown) => {
          done(err, true);
          throw err;
        },
      ) as T;
    }
    done();
    return result;
  }

  /** A running stopwatch: `stop(attributes)` records once and returns the seconds; `reset()` starts over. */
  startStopwatch(attributes?: Attributes): Stopwatch {
    return new Stopwatch(this, attributes, this.context.clock);
  }

  /** prom-client's `startTimer()`: returns the function that stops and records (once), returning the seconds. */
  startTimer(attributes?: Attributes): EndTimer {
    return startTimer(this, attributes, this.context.clock);
  }
}

/** Whether `value` is a promise or another thenable (what `time()` waits for). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** semconv `error.type` for an exception: its class name, or `_OTHER` when there is none. */
export function errorType(err: unknown): string {
  const name = (err as { constructor?: { name?: unknown } } | null | undefined)?.constructor?.name;
  return err instanceof Error && typeof name === 'string' && name !== '' ? name : '_OTHER';
}
