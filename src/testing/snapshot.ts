import type { Attributes } from '@opentelemetry/api';
import {
  type DataPoint,
  DataPointType,
  type ExponentialHistogram,
  type Histogram,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { explicitBuckets } from '../http/exponential.js';
import { familyName, type PromType } from '../prometheus/naming.js';
import { bucketQuantile } from './quantile.js';

/** An attribute value as it appears in a snapshot (OTel attribute values, without `null`/`undefined`). */
export type SnapshotAttributeValue =
  | string
  | number
  | boolean
  | readonly (string | null | undefined)[]
  | readonly (number | null | undefined)[]
  | readonly (boolean | null | undefined)[];

/** One series' attributes. */
export type SnapshotAttributes = Readonly<Record<string, SnapshotAttributeValue>>;

/**
 * `counter` is a monotonic sum, `updowncounter` a non-monotonic sum (both OTel kinds of a Prometheus `counter` /
 * `gauge` family respectively), `gauge` a last value, `histogram` an explicit-bucket histogram.
 */
export type MetricKind = 'counter' | 'updowncounter' | 'gauge' | 'histogram';

/** One series of a counter, up-down counter or gauge. */
export interface NumberPoint {
  /** The instrumentation scope (meter name) that recorded it. */
  readonly scope: string;
  readonly attributes: SnapshotAttributes;
  readonly value: number;
}

/** One series of a histogram. */
export interface HistogramPoint {
  readonly scope: string;
  readonly attributes: SnapshotAttributes;
  readonly count: number;
  /** Absent when the instrument saw a negative value (OTel then drops the sum). */
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  /** Finite upper bounds, increasing (the `le` values without `+Inf`). */
  readonly boundaries: readonly number[];
  /** Per-bucket counts, not cumulative; one more than `boundaries`, the last being the `+Inf` bucket. */
  readonly counts: readonly number[];
}

interface MetricBase {
  /** The OTel instrument name, e.g. `orders.placed`. */
  readonly name: string;
  /** The Prometheus family name our serializer gives it, e.g. `orders_placed_total`. */
  readonly prometheusName: string;
  readonly unit: string;
  readonly description: string;
}

/** A counter, up-down counter or gauge in a snapshot, with one point per series. */
export interface NumberMetric extends MetricBase {
  readonly kind: 'counter' | 'updowncounter' | 'gauge';
  readonly points: readonly NumberPoint[];
}

/** An explicit-bucket histogram in a snapshot, with one point per series. */
export interface HistogramMetric extends MetricBase {
  readonly kind: 'histogram';
  readonly points: readonly HistogramPoint[];
}

/** One metric of a snapshot; `kind` tells which. */
export type SnapshotMetric = NumberMetric | HistogramMetric;

/**
 * The data of one collection: plain objects, arrays, strings and numbers only (no timestamps, so two snapshots of
 * the same recordings are equal), safe for `JSON.stringify`, `structuredClone` and inline snapshots.
 */
export interface MetricsSnapshotData {
  /** Metric name → metric, sorted by name. Series from several meters with the same instrument name are merged. */
  readonly metrics: Readonly<Record<string, SnapshotMetric>>;
  /** Messages of errors the collection reported (an observable callback that threw, a producer that failed). */
  readonly errors: readonly string[];
}

/** Matches series whose attributes are exactly these (no other keys). Made by `exactly()`. */
export class ExactAttributes {
  constructor(readonly attributes: SnapshotAttributes) {}
}

/**
 * Which series a lookup or assertion selects. A plain object matches every series that has those attributes with
 * those values, whatever else it has (like a PromQL label matcher); `exactly({...})` matches only series with
 * exactly those attributes. `undefined` matches every series.
 */
export type AttributeFilter = SnapshotAttributes | ExactAttributes;

/** Wraps attributes so that a lookup or assertion matches them exactly rather than as a subset. */
export function exactly(attributes: SnapshotAttributes = {}): ExactAttributes {
  return new ExactAttributes(attributes);
}

/** Whether a series' attributes pass the filter; values compare with `===`, arrays element by element. */
export function matchesAttributes(attributes: SnapshotAttributes, filter?: AttributeFilter): boolean {
  if (filter === undefined) return true;
  const exact = filter instanceof ExactAttributes;
  const wanted = exact ? filter.attributes : filter;
  const keys = Object.keys(wanted);
  if (exact && keys.length !== Object.keys(attributes).length) return false;
  return keys.every((k) => Object.hasOwn(attributes, k) && sameValue(attributes[k], wanted[k]));
}

function sameValue(a: SnapshotAttributeValue | undefined, b: SnapshotAttributeValue | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

/** A canonical string for an attribute set (key order does not matter). */
export function attributesKey(attributes: Attributes | SnapshotAttributes): string {
  return JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((k) => [k, attributes[k]]),
  );
}

/**
 * What `histogram(name, attrs?)` returns: one series, or several matching series merged (counts and sums added,
 * the lowest min and highest max), plus `quantile(q)`.
 */
export class HistogramSummary {
  readonly count: number;
  /** `undefined` when any merged series has no sum. */
  readonly sum: number | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly boundaries: readonly number[];
  readonly counts: readonly number[];
  /** How many series were merged. */
  readonly series: number;

  constructor(points: readonly HistogramPoint[]) {
    const first = points[0];
    if (first === undefined) throw new Error('HistogramSummary needs at least one series');
    const counts = [...first.counts];
    let { count, sum, min, max } = first;
    for (const p of points.slice(1)) {
      if (
        p.boundaries.length !== first.boundaries.length ||
        p.boundaries.some((b, i) => b !== first.boundaries[i])
      ) {
        throw new Error(
          `cannot merge histogram series with different buckets ([${first.boundaries.join(', ')}] and ` +
            `[${p.boundaries.join(', ')}]); pass attributes that select series with the same buckets`,
        );
      }
      p.counts.forEach((c, i) => {
        counts[i] = (counts[i] ?? 0) + c;
      });
      count += p.count;
      sum = sum === undefined || p.sum === undefined ? undefined : sum + p.sum;
      min = min === undefined || p.min === undefined ? undefined : Math.min(min, p.min);
      max = max === undefined || p.max === undefined ? undefined : Math.max(max, p.max);
    }
    this.count = count;
    this.sum = sum;
    this.min = min;
    this.max = max;
    this.boundaries = first.boundaries;
    this.counts = counts;
    this.series = points.length;
  }

  /**
   * The `q`-quantile (0…1) estimated from the buckets as Prometheus's `histogram_quantile()` does: linear
   * interpolation inside the bucket holding the rank; the highest finite boundary when the rank falls in `+Inf`;
   * `NaN` when empty. Throws `RangeError` for `q` outside `[0, 1]`.
   */
  quantile(q: number): number {
    return bucketQuantile(q, this.boundaries, this.counts);
  }

  /** Observations `<= le` (cumulative, like the `_bucket{le="…"}` sample); `le = Infinity` gives `count`. */
  bucket(le: number): number {
    if (le === Number.POSITIVE_INFINITY) return this.count;
    let n = 0;
    for (let i = 0; i < this.boundaries.length && this.boundaries[i]! <= le; i++) n += this.counts[i] ?? 0;
    return n;
  }
}

/**
 * One collection, with lookups. The enumerable fields are the plain `MetricsSnapshotData`; the lookups accept the
 * OTel instrument name (`orders.placed`) or the Prometheus family name (`orders_placed_total`, or `orders_placed`
 * as OpenMetrics names a counter family), and an optional attribute filter (subset match, or `exactly()`).
 * Lookups return `undefined` when nothing matches; the assertions explain why.
 */
export class MetricsSnapshot implements MetricsSnapshotData {
  readonly metrics: Readonly<Record<string, SnapshotMetric>>;
  readonly errors: readonly string[];

  constructor(data: MetricsSnapshotData) {
    this.metrics = data.metrics;
    this.errors = data.errors ?? [];
  }

  /** The metric names in this snapshot, sorted. */
  names(): string[] {
    return Object.keys(this.metrics);
  }

  /** The metric by OTel or Prometheus name. */
  metric(name: string): SnapshotMetric | undefined {
    return findMetrics(this, name)[0];
  }

  /** The series of a metric that match the filter (empty when the metric is absent). */
  points(name: string, attributes?: AttributeFilter): readonly (NumberPoint | HistogramPoint)[] {
    return findMetrics(this, name).flatMap((m) =>
      (m.points as readonly (NumberPoint | HistogramPoint)[]).filter((p) =>
        matchesAttributes(p.attributes, attributes),
      ),
    );
  }

  /** A counter's value, summed over the matching series (like PromQL `sum()`); `undefined` if none matches. */
  counter(name: string, attributes?: AttributeFilter): number | undefined {
    return sumOf(selectNumbers(this, name, attributes, COUNTER_KINDS));
  }

  /**
   * A gauge's or up-down counter's value (both are Prometheus gauges), summed over the matching series;
   * `undefined` if none matches. Pass attributes that select one series to read a single value.
   */
  gauge(name: string, attributes?: AttributeFilter): number | undefined {
    return sumOf(selectNumbers(this, name, attributes, GAUGE_KINDS));
  }

  /** A histogram's matching series merged into one summary; `undefined` if none matches. */
  histogram(name: string, attributes?: AttributeFilter): HistogramSummary | undefined {
    const points = findMetrics(this, name)
      .filter((m): m is HistogramMetric => m.kind === 'histogram')
      .flatMap((m) => m.points.filter((p) => matchesAttributes(p.attributes, attributes)));
    return points.length === 0 ? undefined : new HistogramSummary(points);
  }
}

export const COUNTER_KINDS: readonly MetricKind[] = ['counter'];
export const GAUGE_KINDS: readonly MetricKind[] = ['gauge', 'updowncounter'];

function selectNumbers(
  data: MetricsSnapshotData,
  name: string,
  attributes: AttributeFilter | undefined,
  kinds: readonly MetricKind[],
): NumberPoint[] {
  return findMetrics(data, name)
    .filter((m): m is NumberMetric => kinds.includes(m.kind))
    .flatMap((m) => m.points.filter((p) => matchesAttributes(p.attributes, attributes)));
}

function sumOf(points: readonly NumberPoint[]): number | undefined {
  if (points.length === 0) return undefined;
  let total = 0;
  for (const p of points) total += p.value;
  return total;
}

/**
 * Metrics answering to `name`: the one with that OTel name, else those whose Prometheus family name is `name`
 * (a counter also answers to its family name without `_total`, as OpenMetrics writes it).
 */
export function findMetrics(data: MetricsSnapshotData, name: string): SnapshotMetric[] {
  if (Object.hasOwn(data.metrics, name)) return [data.metrics[name]!];
  return Object.values(data.metrics).filter(
    (m) => m.prometheusName === name || (m.kind === 'counter' && m.prometheusName === `${name}_total`),
  );
}

const PROM_TYPES: Readonly<Record<MetricKind, PromType>> = {
  counter: 'counter',
  updowncounter: 'gauge',
  gauge: 'gauge',
  histogram: 'histogram',
};

/**
 * Builds a snapshot from any SDK collection (a test meter's, an `InMemoryMetricExporter`'s, a reader's
 * `collect()`). An exponential histogram becomes a histogram point with exact explicit bounds (see
 * `explicitBuckets()`: the text formats serve it as classic buckets too); instruments that recorded nothing are
 * left out. A second instrument with the same name but another kind is left out too,
 * as the Prometheus serializer drops it.
 */
export function toSnapshot(
  resourceMetrics: ResourceMetrics,
  errors: readonly unknown[] = [],
): MetricsSnapshot {
  const byName = new Map<
    string,
    { kind: MetricKind; base: MetricBase; points: (NumberPoint | HistogramPoint)[] }
  >();
  for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
    for (const metric of metrics) {
      if (metric.dataPoints.length === 0) continue;
      let kind: MetricKind;
      if (metric.dataPointType === DataPointType.SUM) kind = metric.isMonotonic ? 'counter' : 'updowncounter';
      else if (metric.dataPointType === DataPointType.GAUGE) kind = 'gauge';
      else if (
        metric.dataPointType === DataPointType.HISTOGRAM ||
        metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM
      )
        kind = 'histogram';
      else continue;
      const { name, unit, description } = metric.descriptor;
      let entry = byName.get(name);
      if (entry === undefined) {
        const base = { name, prometheusName: familyName(name, unit, PROM_TYPES[kind]), unit, description };
        entry = { kind, base, points: [] };
        byName.set(name, entry);
      } else if (entry.kind !== kind) {
        continue;
      }
      if (kind === 'histogram') {
        for (const p of metric.dataPoints as DataPoint<Histogram | ExponentialHistogram>[]) {
          const h = p.value;
          const { boundaries, counts } =
            'buckets' in h
              ? { boundaries: [...h.buckets.boundaries], counts: [...h.buckets.counts] }
              : explicitBuckets(
                  h.scale,
                  h.zeroCount,
                  { offset: h.positive.offset, counts: h.positive.bucketCounts },
                  { offset: h.negative.offset, counts: h.negative.bucketCounts },
                );
          const point: { -readonly [K in keyof HistogramPoint]: HistogramPoint[K] } = {
            scope: scope.name,
            attributes: plainAttributes(p.attributes),
            count: h.count,
            boundaries,
            counts,
          };
          if (h.sum !== undefined) point.sum = h.sum;
          if (h.min !== undefined && Number.isFinite(h.min)) point.min = h.min;
          if (h.max !== undefined && Number.isFinite(h.max)) point.max = h.max;
          entry.points.push(point);
        }
      } else {
        for (const p of metric.dataPoints as DataPoint<number>[]) {
          entry.points.push({ scope: scope.name, attributes: plainAttributes(p.attributes), value: p.value });
        }
      }
    }
  }
  const metrics: Record<string, SnapshotMetric> = {};
  for (const name of [...byName.keys()].sort()) {
    const { kind, base, points } = byName.get(name)!;
    const keyed = points.map((p) => ({ p, key: `${p.scope}\u0000${attributesKey(p.attributes)}` }));
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    metrics[name] = { ...base, kind, points: keyed.map((k) => k.p) } as SnapshotMetric;
  }
  return new MetricsSnapshot({ metrics, errors: errors.map(errorMessage) });
}

function plainAttributes(attributes: Attributes): SnapshotAttributes {
  const out: Record<string, SnapshotAttributeValue> = {};
  for (const [k, v] of Object.entries(attributes)) {
    if (v === undefined || v === null) continue;
    out[k] = Array.isArray(v) ? [...v] : (v as SnapshotAttributeValue);
  }
  return out;
}

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : String(e);
}
