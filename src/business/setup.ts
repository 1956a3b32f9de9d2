import type { Clock } from '../clock.js';
import { MetricsError } from '../errors.js';
import { state } from '../global-state.js';
import { errorTypeOf } from '../http/attributes.js';
import { type Instruments, instrumentsFor } from '../instruments/instruments.js';
import { INSTRUMENTS_DEFAULTS } from '../instruments/options.js';
import { registryOf } from '../instruments/registry.js';
import { errorType as classErrorType, isThenable } from '../instruments/timer.js';
import { Reader } from '../option-reader.js';
import { BoundedValues } from './bounded-values.js';
import { type BusinessHelper, type ResolvedBusinessOptions, resolveBusiness } from './options.js';

/** What every business helper starts from. */
export interface HelperBase {
  readonly options: ResolvedBusinessOptions;
  /** An instruments API on the provider's registry, without `namespace`/`subsystem`: semconv names stay as spelled. */
  readonly instruments: Instruments;
  /** A bounded attribute counted under `instrument` (allow-list `allowKey` of the options, else `maxValues`). */
  bounded(attribute: string, instrument: string, allowKey?: string): BoundedValues;
}

/**
 * Resolves a helper's options and finds the provider to record on (the given meter's, else the running
 * `initMeter()`'s). Setup: throws `MetricsError` listing every problem.
 */
export function setupHelper(helper: BusinessHelper, options: unknown): HelperBase {
  const r = new Reader(process.env);
  const resolved = resolveBusiness(r, helper, options);
  const meter = resolved.meter ?? state.init?.handle.meter;
  const registry = meter === undefined ? undefined : registryOf(meter);
  if (meter === undefined)
    r.report(
      'ERR_BUSINESS_NO_METER',
      `${helper}.meter`,
      'no meter: call initMeter() before creating the helper, or pass { meter } (telemetry.meter, createTestMeter().meter)',
    );
  else if (registry === undefined)
    r.report(
      'ERR_INVALID_CONFIG',
      `${helper}.meter`,
      'is not a meter of initMeter() or createTestMeter(); pass telemetry.meter or createTestMeter().meter',
    );
  if (r.problems.length > 0 || registry === undefined) throw new MetricsError(r.problems);
  const instruments = instrumentsFor(
    registry,
    { namespace: undefined, subsystem: undefined, ...INSTRUMENTS_DEFAULTS },
    {},
    resolved.clock,
  );
  return {
    options: resolved,
    instruments,
    bounded: (attribute, instrument, allowKey) =>
      new BoundedValues(
        attribute,
        instrument,
        registry.problems,
        allowKey === undefined ? undefined : resolved.allowed[allowKey],
        resolved.maxValues,
      ),
  };
}

/**
 * The `error.type` of a failure: a Node error code (`ECONNRESET`), else the error's `name` when it names its kind
 * (`AbortError`), else its class name (`class RateLimitError extends Error {}` keeps the name `Error`), `_OTHER`
 * for a non-error.
 */
export function errorType(error: unknown): string {
  const type = errorTypeOf(error);
  return type === 'Error' ? classErrorType(error) : type;
}

/** What `measure()` reports to: a series object of a helper (no closure is allocated per call). */
export interface MeasureTarget {
  done(seconds: number, failed: boolean, error: unknown): void;
}

/**
 * Runs `fn` and calls `target.done(seconds, failed, error)` once it returns, throws, or (for a promise) settles;
 * the error is rethrown (or the rejection passed on) unchanged. Returns what `fn` returns. The measuring core of
 * the business helpers' wrappers.
 */
export function measure<T>(clock: Clock, fn: () => T, target: MeasureTarget): T {
  const start = clock.now();
  let result: T;
  try {
    result = fn();
  } catch (err) {
    target.done(elapsed(clock, start), true, err);
    throw err;
  }
  if (isThenable(result)) {
    return result.then(
      (value) => {
        target.done(elapsed(clock, start), false, undefined);
        return value;
      },
      (err: unknown) => {
        target.done(elapsed(clock, start), true, err);
        throw err;
      },
    ) as T;
  }
  target.done(elapsed(clock, start), false, undefined);
  return result;
}

/**
 * `measure()` for what is counted but not timed (agent steps): calls `target.done(0, failed, error)` once `fn`
 * returns, throws or settles, without reading the clock (on a VM two clock reads can cost more than the rest of
 * a step).
 */
export function settle<T>(fn: () => T, target: MeasureTarget): T {
  let result: T;
  try {
    result = fn();
  } catch (err) {
    target.done(0, true, err);
    throw err;
  }
  if (isThenable(result)) {
    return result.then(
      (value) => {
        target.done(0, false, undefined);
        return value;
      },
      (err: unknown) => {
        target.done(0, true, err);
        throw err;
      },
    ) as T;
  }
  target.done(0, false, undefined);
  return result;
}

/** Seconds since `start` (ms on `clock`), never negative. */
export function elapsed(clock: Clock, start: number): number {
  return Math.max(0, (clock.now() - start) / 1000);
}

/** `map.get(key)`, or `create()` stored under `key` first. */
export function getOrAdd<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
