import { AssertionError } from 'node:assert';
import { distance } from '../option-reader.js';
import {
  type AttributeFilter,
  COUNTER_KINDS,
  ExactAttributes,
  findMetrics,
  GAUGE_KINDS,
  type HistogramPoint,
  HistogramSummary,
  type MetricKind,
  type MetricsSnapshotData,
  matchesAttributes,
  type NumberPoint,
  type SnapshotAttributes,
  type SnapshotMetric,
} from './snapshot.js';

/** What `toHaveHistogram` compares; every field is optional. `sum`, `min` and `max` compare within 1e-9 (relative). */
export interface HistogramExpectation {
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
}

/**
 * The custom matchers, typed for `expect(snapshot)`. Import `otel-metrics-bootstrap/testing/vitest` to register
 * them with vitest (types included); for jest, `expect.extend(metricsMatchers)` and augment `Matchers` from
 * `expect` with this interface (see the README).
 */
export interface MetricsMatchers<R = unknown> {
  /** The snapshot holds a metric with this OTel or Prometheus name (any kind) and at least one series. */
  toHaveMetric(name: string): R;
  /**
   * The snapshot holds counter `name` with a series matching `attributes` (a subset, or `exactly()`); with
   * `value`, the matching series sum to it.
   */
  toHaveCounter(name: string, attributes?: AttributeFilter, value?: number): R;
  /** Like `toHaveCounter`, for a gauge or an up-down counter (both Prometheus gauges). */
  toHaveGauge(name: string, attributes?: AttributeFilter, value?: number): R;
  /** The snapshot holds histogram `name` with matching series whose merged `count`/`sum`/`min`/`max` are these. */
  toHaveHistogram(name: string, attributes?: AttributeFilter, expected?: HistogramExpectation): R;
}

/** A matcher's verdict in the shape jest and vitest expect; `message` explains the failure either way round. */
export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

interface Verdict {
  pass: boolean;
  /** Why `expect(x).toHaveY()` failed (shown when `pass` is false). */
  failure: () => string;
  /** Why `expect(x).not.toHaveY()` failed (shown when `pass` is true). */
  negated: () => string;
}

const MATCHER_FOR: Readonly<Record<MetricKind, string>> = {
  counter: 'toHaveCounter',
  updowncounter: 'toHaveGauge',
  gauge: 'toHaveGauge',
  histogram: 'toHaveHistogram',
};

function checkMetric(data: MetricsSnapshotData, name: string): Verdict {
  const found = findMetrics(data, name);
  const first = found[0];
  if (first === undefined) {
    return {
      pass: false,
      failure: () => missing(data, `a metric named ${q(name)}`, name),
      negated: () => '',
    };
  }
  return {
    pass: true,
    failure: () => '',
    negated: () =>
      `expected no metric named ${q(name)}, but there is ${article(first.kind)} ${first.kind} ` +
      `${q(first.name)} with ${plural(first.points.length, 'series', 'series')}:\n${seriesList(first.points)}`,
  };
}

function checkNumber(
  data: MetricsSnapshotData,
  what: 'counter' | 'gauge',
  kinds: readonly MetricKind[],
  name: string,
  filter: AttributeFilter | undefined,
  value: number | undefined,
): Verdict {
  const located = locate(data, what, kinds, name, filter);
  if ('verdict' in located) return located.verdict;
  const { metric, points } = located as { metric: SnapshotMetric; points: NumberPoint[] };
  const subject = `${what} ${q(metric.name)}${matching(filter)}`;
  const all = () => `\nSeries present:\n${seriesList(metric.points)}${errorsNote(data)}`;
  if (value === undefined) {
    return {
      pass: true,
      failure: () => '',
      negated: () =>
        `expected no ${subject}, but found ${plural(points.length, 'series', 'series')}:\n${seriesList(points)}`,
    };
  }
  let actual = 0;
  for (const p of points) actual += p.value;
  const ofSeries = points.length > 1 ? ` (the sum of ${points.length} matching series)` : '';
  return {
    pass: close(actual, value),
    failure: () => `expected ${subject} to be ${value}, but it is ${actual}${ofSeries}.${all()}`,
    negated: () => `expected ${subject} not to be ${value}, but it is${ofSeries}.`,
  };
}

function checkHistogram(
  data: MetricsSnapshotData,
  name: string,
  filter: AttributeFilter | undefined,
  expected: HistogramExpectation | undefined,
): Verdict {
  const located = locate(data, 'histogram', ['histogram'], name, filter);
  if ('verdict' in located) return located.verdict;
  const { metric, points } = located as { metric: SnapshotMetric; points: HistogramPoint[] };
  const subject = `histogram ${q(metric.name)}${matching(filter)}`;
  const keys = (['count', 'sum', 'min', 'max'] as const).filter((k) => expected?.[k] !== undefined);
  if (keys.length === 0) {
    return {
      pass: true,
      failure: () => '',
      negated: () =>
        `expected no ${subject}, but found ${plural(points.length, 'series', 'series')}:\n${seriesList(points)}`,
    };
  }
  const summary = new HistogramSummary(points);
  const want = keys.map((k) => `${k}=${expected![k]}`).join(' ');
  const have = keys.map((k) => `${k}=${summary[k] ?? 'unknown'}`).join(' ');
  const ofSeries = points.length > 1 ? ` (${points.length} matching series merged)` : '';
  return {
    pass: keys.every((k) => summary[k] !== undefined && close(summary[k], expected![k]!)),
    failure: () =>
      `expected ${subject} to have ${want}, but it has ${have}${ofSeries}.\n` +
      `Series present:\n${seriesList(metric.points)}${errorsNote(data)}`,
    negated: () => `expected ${subject} not to have ${want}, but it does${ofSeries}.`,
  };
}

/** Finds the metric and the series a number/histogram check is about, or the verdict explaining why not. */
function locate(
  data: MetricsSnapshotData,
  what: string,
  kinds: readonly MetricKind[],
  name: string,
  filter: AttributeFilter | undefined,
): { verdict: Verdict } | { metric: SnapshotMetric; points: (NumberPoint | HistogramPoint)[] } {
  const found = findMetrics(data, name);
  const metric = found.find((m) => kinds.includes(m.kind));
  const fail = (failure: () => string): { verdict: Verdict } => ({
    verdict: { pass: false, failure, negated: () => '' },
  });
  if (metric === undefined) {
    const other = found[0];
    if (other === undefined)
      return fail(() => missing(data, `${article(what)} ${what} named ${q(name)}`, name));
    return fail(
      () =>
        `expected ${q(name)} to be ${article(what)} ${what}, but it is ${article(other.kind)} ${other.kind} ` +
        `(use ${MATCHER_FOR[other.kind]}).`,
    );
  }
  const all = metric.points as readonly (NumberPoint | HistogramPoint)[];
  const points = all.filter((p) => matchesAttributes(p.attributes, filter));
  if (points.length === 0) {
    return fail(
      () =>
        `expected ${what} ${q(metric.name)} to have a series matching ${formatFilter(filter)}, but none of its ` +
        `${plural(all.length, 'series', 'series')} does.\nSeries present:\n${seriesList(all)}${errorsNote(data)}`,
    );
  }
  return { metric, points };
}

function missing(data: MetricsSnapshotData, wanted: string, name: string): string {
  const metrics = Object.values(data.metrics);
  if (metrics.length === 0) {
    return (
      `expected ${wanted}, but the snapshot holds no metrics at all ` +
      `(was it recorded through this test meter's meter or meterProvider, before collect()?).${errorsNote(data)}`
    );
  }
  const ranked = metrics
    .map((m) => ({ m, d: Math.min(distance(name, m.name), distance(name, m.prometheusName)) }))
    .sort((a, b) => a.d - b.d || (a.m.name < b.m.name ? -1 : 1));
  const shown = ranked.slice(0, 5).map(({ m }) => `  ${m.name} (${m.kind}, ${m.prometheusName})`);
  if (ranked.length > 5) shown.push(`  … and ${ranked.length - 5} more`);
  return `expected ${wanted}, but there is none.\nNearest metrics:\n${shown.join('\n')}${errorsNote(data)}`;
}

const MAX_SERIES_LISTED = 10;

function seriesList(points: readonly (NumberPoint | HistogramPoint)[]): string {
  const lines = points
    .slice(0, MAX_SERIES_LISTED)
    .map((p) => `  ${formatAttributes(p.attributes)} ${pointValue(p)}`);
  if (points.length > MAX_SERIES_LISTED) lines.push(`  … and ${points.length - MAX_SERIES_LISTED} more`);
  return lines.join('\n');
}

function pointValue(p: NumberPoint | HistogramPoint): string {
  if ('value' in p) return String(p.value);
  return `count=${p.count} sum=${p.sum ?? 'unknown'}`;
}

function errorsNote(data: MetricsSnapshotData): string {
  if (data.errors.length === 0) return '';
  return `\nThe collection reported errors:\n${data.errors.map((e) => `  - ${e}`).join('\n')}`;
}

/** `{payment.method="card", retries=2}`: OTel keys, strings quoted, as close to PromQL as attribute keys allow. */
export function formatAttributes(attributes: SnapshotAttributes): string {
  const parts = Object.keys(attributes).map((k) => `${k}=${JSON.stringify(attributes[k])}`);
  return `{${parts.join(', ')}}`;
}

function formatFilter(filter: AttributeFilter | undefined): string {
  if (filter === undefined) return '{}';
  if (filter instanceof ExactAttributes) return `exactly ${formatAttributes(filter.attributes)}`;
  return formatAttributes(filter);
}

function matching(filter: AttributeFilter | undefined): string {
  const everything =
    filter === undefined || (!(filter instanceof ExactAttributes) && Object.keys(filter).length === 0);
  return everything ? '' : ` matching ${formatFilter(filter)}`;
}

function q(name: string): string {
  return JSON.stringify(name);
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Equal, or within 1e-9 relative: sums of floats (0.1 + 0.2) should not fail an exact-looking assertion. */
export function close(actual: number, expected: number): boolean {
  if (Object.is(actual, expected) || actual === expected) return true;
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(actual), Math.abs(expected));
}

// ---------------------------------------------------------------------------------------------------------------
// Argument checks. Bad arguments throw TypeError rather than failing the assertion: a `.not` matcher that "fails
// to match" a Promise would otherwise pass.

function snapshotOf(received: unknown, matcher: string): MetricsSnapshotData {
  const data = received as Partial<MetricsSnapshotData> | null | undefined;
  if (
    data !== null &&
    typeof data === 'object' &&
    data.metrics !== null &&
    typeof data.metrics === 'object'
  ) {
    return { metrics: data.metrics, errors: Array.isArray(data.errors) ? data.errors : [] };
  }
  const what =
    received instanceof Promise
      ? 'a Promise (did you forget `await` before collect()?)'
      : received !== null && typeof received === 'object' && 'collect' in received
        ? 'a test meter (pass `await testMeter.collect()`)'
        : typeof received;
  throw new TypeError(
    `${matcher}: expected a metrics snapshot (the result of await testMeter.collect()), got ${what}`,
  );
}

function checkName(name: unknown, matcher: string): string {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(
      `${matcher}: the metric name must be a non-empty string, got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

function checkFilter(filter: unknown, matcher: string): AttributeFilter | undefined {
  if (filter === undefined || filter instanceof ExactAttributes) return filter;
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) {
    throw new TypeError(
      `${matcher}: attributes must be an object or exactly({...}), got ${JSON.stringify(filter)}`,
    );
  }
  return filter as SnapshotAttributes;
}

function checkValue(value: unknown, matcher: string): number | undefined {
  if (value !== undefined && typeof value !== 'number') {
    throw new TypeError(`${matcher}: the expected value must be a number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkExpectation(expected: unknown, matcher: string): HistogramExpectation | undefined {
  if (expected === undefined) return undefined;
  const ok =
    expected !== null &&
    typeof expected === 'object' &&
    Object.entries(expected).every(
      ([k, v]) => ['count', 'sum', 'min', 'max'].includes(k) && (v === undefined || typeof v === 'number'),
    );
  if (!ok) {
    throw new TypeError(
      `${matcher}: expected must be { count?, sum?, min?, max? } with numbers, got ${JSON.stringify(expected)}`,
    );
  }
  return expected as HistogramExpectation;
}

function toMatcherResult(v: Verdict): MatcherResult {
  return { pass: v.pass, message: v.pass ? v.negated : v.failure };
}

/**
 * The matchers for `expect.extend()`, in jest and vitest alike. Each takes a snapshot (`await tm.collect()`, or its
 * plain-data copy) as the received value. Synchronous on purpose: an async matcher silently passes when its
 * `await` is forgotten.
 */
export const metricsMatchers = {
  toHaveMetric(received: unknown, name: string): MatcherResult {
    return toMatcherResult(
      checkMetric(snapshotOf(received, 'toHaveMetric'), checkName(name, 'toHaveMetric')),
    );
  },
  toHaveCounter(
    received: unknown,
    name: string,
    attributes?: AttributeFilter,
    value?: number,
  ): MatcherResult {
    return numberMatcher('toHaveCounter', 'counter', COUNTER_KINDS, received, name, attributes, value);
  },
  toHaveGauge(received: unknown, name: string, attributes?: AttributeFilter, value?: number): MatcherResult {
    return numberMatcher('toHaveGauge', 'gauge', GAUGE_KINDS, received, name, attributes, value);
  },
  toHaveHistogram(
    received: unknown,
    name: string,
    attributes?: AttributeFilter,
    expected?: HistogramExpectation,
  ): MatcherResult {
    const m = 'toHaveHistogram';
    const data = snapshotOf(received, m);
    return toMatcherResult(
      checkHistogram(data, checkName(name, m), checkFilter(attributes, m), checkExpectation(expected, m)),
    );
  },
};

/** `toHaveCounter` and `toHaveGauge`: the same check on different metric kinds. */
function numberMatcher(
  matcher: string,
  kind: 'counter' | 'gauge',
  kinds: readonly MetricKind[],
  received: unknown,
  name: string,
  attributes: AttributeFilter | undefined,
  value: number | undefined,
): MatcherResult {
  const data = snapshotOf(received, matcher);
  return toMatcherResult(
    checkNumber(
      data,
      kind,
      kinds,
      checkName(name, matcher),
      checkFilter(attributes, matcher),
      checkValue(value, matcher),
    ),
  );
}

function fail(message: string, operator: string, stackStartFn: (...args: never[]) => unknown): never {
  throw new AssertionError({ message, operator, stackStartFn });
}

/** Throws `AssertionError` (from `node:assert`) unless the snapshot holds metric `name`. Works in any test runner. */
export function assertMetric(snapshot: MetricsSnapshotData, name: string): void {
  const v = checkMetric(snapshotOf(snapshot, 'assertMetric'), checkName(name, 'assertMetric'));
  if (!v.pass) fail(v.failure(), 'assertMetric', assertMetric);
}

/** Throws `AssertionError` if the snapshot holds metric `name`. */
export function assertNoMetric(snapshot: MetricsSnapshotData, name: string): void {
  const v = checkMetric(snapshotOf(snapshot, 'assertNoMetric'), checkName(name, 'assertNoMetric'));
  if (v.pass) fail(v.negated(), 'assertNoMetric', assertNoMetric);
}

/** `toHaveCounter` as a plain function: throws `AssertionError` with the same message. */
export function assertCounter(
  snapshot: MetricsSnapshotData,
  name: string,
  attributes?: AttributeFilter,
  value?: number,
): void {
  const v = metricsMatchers.toHaveCounter(snapshot, name, attributes, value);
  if (!v.pass) fail(v.message(), 'assertCounter', assertCounter);
}

/** `toHaveGauge` as a plain function: throws `AssertionError` with the same message. */
export function assertGauge(
  snapshot: MetricsSnapshotData,
  name: string,
  attributes?: AttributeFilter,
  value?: number,
): void {
  const v = metricsMatchers.toHaveGauge(snapshot, name, attributes, value);
  if (!v.pass) fail(v.message(), 'assertGauge', assertGauge);
}

/** `toHaveHistogram` as a plain function: throws `AssertionError` with the same message. */
export function assertHistogram(
  snapshot: MetricsSnapshotData,
  name: string,
  attributes?: AttributeFilter,
  expected?: HistogramExpectation,
): void {
  const v = metricsMatchers.toHaveHistogram(snapshot, name, attributes, expected);
  if (!v.pass) fail(v.message(), 'assertHistogram', assertHistogram);
}
