import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import type { MetricsErrorCode } from './errors.js';
import { EXPONENTIAL_DEFAULTS, MAX_SCALE, MIN_SCALE } from './http/exponential.js';
import { INSTRUMENT_NAME } from './instruments/options.js';
import { commaList, isRecord, type Reader, type Section, show } from './option-reader.js';
import { METRIC_V8JS_GC_DURATION } from './semconv.js';
import {
  BYTES_BUCKETS,
  DEFAULT_CARDINALITY_LIMIT,
  GC_DURATION_BUCKETS,
  type HistogramAggregation,
  type ResolvedHistogramAggregation,
  SECONDS_BUCKETS,
} from './views.js';

/**
 * The top-level options that shape views (`histograms`, `unitBuckets`, `attributes`, `cardinalityLimit`,
 * `cardinalityLimits`, `histogramAggregation`, `unitHistogramAggregation`, `histogramAggregations`, `views`):
 * their defaults and resolvers. `config.ts` reads them in its top-level section,
 * so their option paths and variables stay where the README lists them.
 */
export const VIEW_DEFAULTS = Object.freeze({
  cardinalityLimit: DEFAULT_CARDINALITY_LIMIT,
  unitBuckets: Object.freeze({ s: SECONDS_BUCKETS, By: BYTES_BUCKETS }) as Readonly<
    Record<string, readonly number[]>
  >,
  /** Per-instrument boundaries applied unless `histograms` names the same instrument. */
  histograms: Object.freeze({ [METRIC_V8JS_GC_DURATION]: GC_DURATION_BUCKETS }) as Readonly<
    Record<string, readonly number[]>
  >,
  histogramAggregation: 'explicit' as ResolvedHistogramAggregation,
});

/** The largest `maxSize` accepted: far beyond any useful resolution, and small enough to keep a series small. */
const MAX_EXPONENTIAL_SIZE = 16384;

/** Reads the view-shaping options of the top-level section `s`, in the order their problems are reported. */
export function resolveViewOptions(s: Section<object>) {
  const r = s.r;
  const histograms = instrumentMap(s, 'histograms', (v, src) => r.buckets(src, v));
  const attributes = instrumentMap(s, 'attributes', (v, src) => keyList(r, src, v));
  const cardinalityLimit = cardinality(
    r,
    'cardinalityLimit',
    s.get('cardinalityLimit'),
    'OMB_CARDINALITY_LIMIT',
  );
  const cardinalityLimits = instrumentMap(s, 'cardinalityLimits', (v, src) => cardinality(r, src, v));
  const unitBuckets = resolveUnitBuckets(s);
  const histogramAggregation =
    aggregation(r, 'histogramAggregation', s.get('histogramAggregation'), 'OMB_HISTOGRAM_AGGREGATION') ??
    VIEW_DEFAULTS.histogramAggregation;
  const unitHistogramAggregation = unitMap(
    s,
    'unitHistogramAggregation',
    'ERR_INVALID_HISTOGRAM_AGGREGATION',
    (v, src) => aggregation(r, src, v),
  );
  const histogramAggregations = instrumentMap(s, 'histogramAggregations', (v, src) => aggregation(r, src, v));
  return {
    histograms: { ...VIEW_DEFAULTS.histograms, ...histograms },
    attributes,
    cardinalityLimit,
    cardinalityLimits,
    unitBuckets,
    histogramAggregation,
    unitHistogramAggregation,
    histogramAggregations,
  };
}

const AGGREGATION_FIX =
  "use 'explicit', 'exponential' or { type: 'exponential', maxSize, maxScale } " +
  `(maxSize an integer 2…${MAX_EXPONENTIAL_SIZE}, default ${EXPONENTIAL_DEFAULTS.maxSize}; ` +
  `maxScale an integer ${MIN_SCALE}…${MAX_SCALE}, default ${EXPONENTIAL_DEFAULTS.maxScale})`;

/** A histogram aggregation setting (see {@link HistogramAggregation}); the variable takes the two names only. */
function aggregation(
  r: Reader,
  source: string,
  value: unknown,
  envName?: string,
): ResolvedHistogramAggregation | undefined {
  let given = value as HistogramAggregation | undefined;
  let from = source;
  if (given === undefined) {
    const raw = r.envValue(envName);
    if (raw === undefined || envName === undefined) return undefined;
    given = raw.toLowerCase() as HistogramAggregation;
    from = envName;
  }
  if (given === 'explicit') return 'explicit';
  if (given === 'exponential') return EXPONENTIAL_DEFAULTS;
  if (isRecord(given) && given.type === 'exponential') {
    const {
      type: _,
      maxSize = EXPONENTIAL_DEFAULTS.maxSize,
      maxScale = EXPONENTIAL_DEFAULTS.maxScale,
      ...rest
    } = given as Record<string, unknown>;
    const sizeOk =
      Number.isInteger(maxSize) && (maxSize as number) >= 2 && (maxSize as number) <= MAX_EXPONENTIAL_SIZE;
    const scaleOk =
      Number.isInteger(maxScale) && (maxScale as number) >= MIN_SCALE && (maxScale as number) <= MAX_SCALE;
    const extra = Object.keys(rest);
    if (sizeOk && scaleOk && extra.length === 0) {
      return Object.freeze({ maxSize: maxSize as number, maxScale: maxScale as number });
    }
    const what =
      extra.length > 0
        ? `unknown key ${show(extra[0])}`
        : !sizeOk
          ? `maxSize ${show(maxSize)}`
          : `maxScale ${show(maxScale)}`;
    r.report('ERR_INVALID_HISTOGRAM_AGGREGATION', from, `${what} is not valid; ${AGGREGATION_FIX}`);
    return undefined;
  }
  r.report('ERR_INVALID_HISTOGRAM_AGGREGATION', from, `${show(given)} is not valid; ${AGGREGATION_FIX}`);
  return undefined;
}

/** An object keyed by unit (`unitBuckets`, `unitHistogramAggregation`), each value parsed by `each`. */
function unitMap<T>(
  s: Section<object>,
  key: string,
  code: MetricsErrorCode,
  each: (v: unknown, source: string) => T | undefined,
) {
  const value = s.get(key);
  const out: Record<string, T> = {};
  if (value === undefined) return out;
  if (!isRecord(value)) {
    s.r.report(code, key, `must be an object keyed by unit, got ${show(value)}`);
    return out;
  }
  for (const [unit, v] of Object.entries(value)) {
    const parsed = each(v, `${key}[${JSON.stringify(unit)}]`);
    if (parsed !== undefined) out[unit] = parsed;
  }
  return out;
}

/** A cardinality limit: a positive integer. */
function cardinality(r: Reader, source: string, value: unknown, envName?: string): number | undefined {
  return r.checked(
    r.candidate(source, value, envName, /^-?\d+$/),
    (n) => Number.isInteger(n) && n >= 1,
    'ERR_INVALID_CARDINALITY_LIMIT',
    (v) =>
      `${v} is not a valid cardinality limit; use a positive integer (default ${DEFAULT_CARDINALITY_LIMIT})`,
  );
}

function keyList(r: Reader, source: string, value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.some((k) => typeof k !== 'string' || k === '')) {
    r.report('ERR_INVALID_ATTRIBUTES', source, `must be an array of attribute keys, got ${show(value)}`);
    return undefined;
  }
  return [...value];
}

/**
 * An object keyed by instrument name (`histograms`, `attributes`, `cardinalityLimits`, `histogramAggregations`),
 * each value parsed by `each`.
 */
function instrumentMap<T>(
  s: Section<object>,
  key: string,
  each: (v: unknown, source: string) => T | undefined,
) {
  const value = s.get(key);
  const out: Record<string, T> = {};
  if (value === undefined) return out;
  if (!isRecord(value)) {
    s.r.report('ERR_INVALID_CONFIG', key, `must be an object keyed by instrument name, got ${show(value)}`);
    return out;
  }
  for (const [name, v] of Object.entries(value)) {
    const src = `${key}[${JSON.stringify(name)}]`;
    if (!INSTRUMENT_NAME.test(name)) {
      s.r.report(
        'ERR_INVALID_INSTRUMENT_NAME',
        src,
        'is not an instrument name (letters, digits, "_", ".", "-", "/"; no wildcards — use `views` for those)',
      );
      continue;
    }
    const parsed = each(v, src);
    if (parsed !== undefined) out[name] = parsed;
  }
  return out;
}

function resolveUnitBuckets(s: Section<object>): Record<string, readonly number[]> {
  const r = s.r;
  const out: Record<string, readonly number[]> = { ...VIEW_DEFAULTS.unitBuckets };
  const raw = r.envValue('OMB_SECONDS_BUCKETS');
  if (raw !== undefined) {
    const parsed = r.buckets(
      'OMB_SECONDS_BUCKETS',
      commaList(raw).map((b) => (b === '' ? Number.NaN : Number(b))),
    );
    if (parsed) out['s'] = parsed;
  }
  return { ...out, ...unitMap(s, 'unitBuckets', 'ERR_INVALID_BUCKETS', (v, src) => r.buckets(src, v)) };
}

export function resolveViews(r: Reader, value: unknown): ViewOptions[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => v === null || typeof v !== 'object')) {
    r.report('ERR_INVALID_VIEWS', 'views', 'must be an array of SDK ViewOptions objects');
    return [];
  }
  return [...value];
}
