import {
  type Attributes,
  type BatchObservableCallback,
  type BatchObservableResult,
  diag,
  type Observable,
  type ObservableCallback,
  type ObservableResult,
} from '@opentelemetry/api';
import { ATTR_OTEL_METRIC_OVERFLOW } from './semconv.js';

/**
 * Which measurement values an instrument takes. Counters and histograms only count up, so `count` takes finite
 * numbers ≥ 0; up-down counters take any finite number; gauges any number (NaN is a legitimate "unknown" reading).
 */
export type ValueRule = 'count' | 'finite' | 'any';

/** What was wrong with a measurement: its value (dropped), or an attribute (left out, the measurement kept). */
export type InvalidMeasurement = 'invalid_value' | 'invalid_attribute';

type RecordMethod = (value: number, attributes?: Attributes, context?: unknown) => void;

/**
 * Keeps bad measurements away from the SDK, which otherwise throws into the app (`TypeError` from `add()` for a
 * BigInt, a `null` attributes object, a throwing getter or a circular array), exports objects as
 * `"[object Object]"` and functions as their source, and keeps a counter at NaN for good after one `add(NaN)`.
 *
 * The rule, the same for every instrument created through our provider (synchronous and observable):
 * - a value the instrument cannot take ({@link ValueRule}; non-numbers too) drops the measurement;
 * - an attributes argument that is not an object counts as no attributes;
 * - an attribute value that is not a string, number, boolean or array of those (BigInt, object, function,
 *   symbol, `null`, an array holding anything else — a circular array included) is left out, and so is one whose
 *   getter throws; `undefined` values are left out silently, as the exporters do;
 * - the key `otel.metric.overflow` is the SDK's mark of its cardinality-overflow series, so a user attribute with
 *   that key is left out (otherwise it would be reported, and merged, as an overflow).
 * Each kind of problem is logged once per instrument through `diag` and counted per measurement in
 * {@link invalid} (the `omb_record_invalid_total` self-metric). Nothing here throws.
 *
 * Cost: valid measurements pay one loop over their attribute values with `typeof` checks (no copy, no
 * allocation); only a measurement that fails the check gets a cleaned copy of its attributes. Measured in
 * `bench/record-guard.js`.
 */
export class MeasurementGuard {
  /** Per instrument name and problem: measurements affected since start; read by the self-metrics. */
  readonly invalid = new Map<string, Map<InvalidMeasurement, number>>();
  private readonly warned = new Set<string>();
  private readonly observables = new WeakMap<Observable, { name: string; rule: ValueRule }>();
  private readonly batchWrappers = new WeakMap<BatchObservableCallback, BatchObservableCallback>();

  /**
   * Guards the record method of a synchronous SDK instrument we just created. An own property shadows the
   * prototype method of this one object, so the instrument stays the SDK's own (no proxy).
   */
  sync<T extends object>(instrument: T, method: 'add' | 'record', name: string, rule: ValueRule): T {
    const target = instrument as unknown as { [m: string]: RecordMethod };
    const original = target[method]!;
    const guard = this;
    target[method] = function guarded(value: number, attributes?: Attributes, context?: unknown): void {
      if (!accepts(value, rule)) {
        guard.note(name, 'invalid_value', `value ${describe(value)}`);
        return;
      }
      try {
        if (attributes === undefined || isClean(attributes)) {
          original.call(instrument, value, attributes, context);
          return;
        }
      } catch {
        // A getter threw, here or when the SDK read the attributes: record a copy made of what can be read.
      }
      try {
        original.call(instrument, value, guard.clean(name, attributes), context);
      } catch (err) {
        guard.note(name, 'invalid_value', `the SDK threw ${String(err)}`);
      }
    };
    return instrument;
  }

  /** Guards the observations made by every callback later added to this observable instrument. */
  observable<T extends Observable>(instrument: T, name: string, rule: ValueRule): T {
    this.observables.set(instrument, { name, rule });
    const add = instrument.addCallback.bind(instrument);
    const remove = instrument.removeCallback.bind(instrument);
    const wrappers = new WeakMap<ObservableCallback, ObservableCallback>();
    const guard = this;
    instrument.addCallback = (callback: ObservableCallback) => {
      let wrapper = wrappers.get(callback);
      if (wrapper === undefined) {
        wrapper = function guarded(this: unknown, result: ObservableResult) {
          return callback.call(this, {
            observe: (value: number, attributes?: Attributes) => {
              const clean = guard.observation(name, rule, value, attributes);
              if (clean !== false) result.observe(value, clean);
            },
          });
        };
        wrappers.set(callback, wrapper);
      }
      add(wrapper);
    };
    instrument.removeCallback = (callback: ObservableCallback) => remove(wrappers.get(callback) ?? callback);
    return instrument;
  }

  /** The guarded version of a batch callback (the same function each time, so it can be removed again). */
  batch(callback: BatchObservableCallback): BatchObservableCallback {
    let wrapper = this.batchWrappers.get(callback);
    if (wrapper === undefined) {
      const guard = this;
      wrapper = function guarded(this: unknown, result: BatchObservableResult) {
        return callback.call(this, {
          observe: (observable: Observable, value: number, attributes?: Attributes) => {
            const known = guard.observables.get(observable);
            const clean = known ? guard.observation(known.name, known.rule, value, attributes) : attributes;
            if (clean !== false) result.observe(observable, value, clean);
          },
        });
      };
      this.batchWrappers.set(callback, wrapper);
    }
    return wrapper;
  }

  /** The attributes to observe with, or `false` to drop the observation. */
  private observation(
    name: string,
    rule: ValueRule,
    value: number,
    attributes: Attributes | undefined,
  ): Attributes | undefined | false {
    if (!accepts(value, rule)) {
      this.note(name, 'invalid_value', `value ${describe(value)}`);
      return false;
    }
    try {
      if (attributes === undefined || isClean(attributes)) return attributes;
    } catch {
      // A getter threw: observe a copy made of what can be read.
    }
    return this.clean(name, attributes);
  }

  /** A plain copy of the attributes that can be read and are valid; reports what was left out. */
  private clean(name: string, attributes: unknown): Attributes {
    const out: Attributes = {};
    if (typeof attributes !== 'object' || attributes === null) {
      this.note(name, 'invalid_attribute', `attributes ${describe(attributes)} instead of an object`);
      return out;
    }
    let keys: string[];
    try {
      keys = Object.keys(attributes);
    } catch (err) {
      this.note(name, 'invalid_attribute', `attributes whose keys cannot be listed (${String(err)})`);
      return out;
    }
    let problem: string | undefined;
    for (const key of keys) {
      let value: unknown;
      try {
        value = (attributes as Record<string, unknown>)[key];
      } catch (err) {
        problem ??= `attribute "${key}" whose getter threw ${String(err)}`;
        continue;
      }
      if (value === undefined) continue;
      if (key === ATTR_OTEL_METRIC_OVERFLOW) {
        problem ??= `attribute "${key}", which marks the SDK's cardinality-overflow series`;
      } else if (isAttributeValue(value)) {
        // Arrays are copied: the SDK keeps the attributes object it first sees for a series.
        out[key] = Array.isArray(value) ? value.slice() : value;
      } else {
        problem ??= `attribute "${key}" with ${describe(value)}, not a string, number, boolean or array of them`;
      }
    }
    if (problem !== undefined) this.note(name, 'invalid_attribute', problem);
    return out;
  }

  private note(name: string, what: InvalidMeasurement, detail: string): void {
    let counts = this.invalid.get(name);
    if (counts === undefined) {
      counts = new Map();
      this.invalid.set(name, counts);
    }
    counts.set(what, (counts.get(what) ?? 0) + 1);
    const key = `${what}\u0000${name}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    diag.warn(
      `otel-metrics-bootstrap: instrument "${name}" was given ${detail}; ` +
        (what === 'invalid_value'
          ? 'such measurements are dropped. '
          : 'such attributes are left out and the measurement is recorded without them. ') +
        'Logged once per instrument; every occurrence is counted in omb_record_invalid_total.',
    );
  }
}

function accepts(value: number, rule: ValueRule): boolean {
  if (typeof value !== 'number') return false;
  // `value - value` is 0 for finite numbers and NaN for NaN and ±Infinity.
  return rule === 'count'
    ? value >= 0 && value - value === 0
    : rule === 'finite'
      ? value - value === 0
      : true;
}

/**
 * True when every attribute value is one the SDK and the exposition take as it is. Reads each value once (a
 * getter may throw: the caller catches). `undefined` values fail, so they are left out of the copy rather than
 * making `{ a: undefined }` and `{}` two series that export the same labels.
 */
function isClean(attributes: Attributes): boolean {
  if (typeof attributes !== 'object' || attributes === null) return false;
  for (const key in attributes) {
    const value = attributes[key];
    const type = typeof value;
    if (type === 'string' || type === 'number' || type === 'boolean') continue;
    if (!isAttributeValue(value)) return false;
  }
  return attributes[ATTR_OTEL_METRIC_OVERFLOW] === undefined;
}

/**
 * An OTel attribute value: a string, number or boolean, or an array of those (`null`/`undefined` elements
 * allowed, as the API allows them). The exposition applies the same rule to what reaches it by other paths.
 */
export function isAttributeValue(value: unknown): boolean {
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return true;
  return Array.isArray(value) && value.every(isPrimitive);
}

function isPrimitive(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v == null;
}

/** A short, never-throwing description of a bad value for the log line. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `a string ${JSON.stringify(value.slice(0, 40))}`;
  return `a ${Array.isArray(value) ? 'array' : typeof value}`;
}
