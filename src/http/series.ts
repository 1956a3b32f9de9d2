import type { Attributes, HrTime, ValueType } from '@opentelemetry/api';
import { hrTime, hrTimeToMilliseconds } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type ExponentialHistogram,
  type Histogram,
  type MetricCollectOptions,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { EXEMPLARS, type Exemplar, type WithExemplars } from '../exemplars.js';
import { ATTR_OTEL_METRIC_OVERFLOW, SCOPE_NAME } from '../semconv.js';
import { exemplarsSince, refreshTracing } from './exemplar-capture.js';
import { ExponentialHistogramSeries, type ExponentialSettings, exponentialDelta } from './exponential.js';

/**
 * Pre-bound series: the HTTP hot path resolves its attribute combination to one of these once, caches it, and
 * from then on aggregates into it directly. The SDK's `histogram.record(value, attributes)` instead hashes the
 * attribute object on every call (sorting keys and building a string), which was the measured cost
 * (ARCHITECTURE.md §4, decision 3). The data still reaches every reader as ordinary OTel `MetricData` through the
 * `MetricProducer` below.
 */
export class HistogramSeries {
  /** One more bucket than boundaries: the last counts values above the last boundary. */
  readonly counts: Float64Array;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** The latest exemplar per bucket, allocated when the first is kept (most series never get one). */
  exemplars: (Exemplar | undefined)[] | undefined = undefined;

  constructor(
    readonly boundaries: readonly number[],
    /** Handed out unchanged on every collection, so serializers can cache label strings per object. */
    readonly attributes: Attributes,
    readonly startTime: HrTime,
  ) {
    this.counts = new Float64Array(boundaries.length + 1);
  }

  record(value: number): void {
    // A linear scan beats binary search for the ≤ 16 boundaries used here; most values land in the first few.
    const b = this.boundaries;
    const n = b.length;
    let i = 0;
    while (i < n && value > b[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /**
   * Keeps `exemplar` as the latest of the bucket its value falls in. Apart from `record()` (which it repeats the
   * bucket scan of) so the common path, with no sampled span, pays nothing for exemplars.
   */
  keep(exemplar: Exemplar): void {
    const b = this.boundaries;
    let i = 0;
    while (i < b.length && exemplar.value > b[i]!) i++;
    this.exemplars ??= new Array<Exemplar | undefined>(b.length + 1);
    this.exemplars[i] = exemplar;
  }
}

/** A histogram series of either kind; a stream holds one kind only. */
export type AnyHistogramSeries = HistogramSeries | ExponentialHistogramSeries;

/** A pre-bound sum series (up-down counters; the instruments API's counters). */
export class SumSeries {
  value = 0;
  /** The latest exemplar (counters of the instruments API). */
  exemplar: Exemplar | undefined = undefined;

  constructor(
    readonly attributes: Attributes,
    readonly startTime: HrTime,
  ) {}

  /** Keeps `exemplar` as the series' latest (counters carry one). */
  keep(exemplar: Exemplar): void {
    this.exemplar = exemplar;
  }
}

/** What one stream (one instrument after views) is: its name, unit, buckets, allow-list and limit. */
export interface StreamDescriptor {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly valueType: ValueType;
  /** Distinct attribute sets, the overflow series included (spec: SDK default 2000). */
  readonly cardinalityLimit: number;
  /** Attribute keys to keep; others are dropped before the series is chosen. `undefined` keeps all. */
  readonly allowedKeys: readonly string[] | undefined;
}

/** A series budget shared by several streams (the instruments API's `maxSeries`); overflow is the same. */
export interface SeriesBudget {
  used: number;
  readonly max: number;
}

/**
 * All series of one instrument. `resolve()` runs only when a caller's cache misses: it applies the attribute
 * allow-list, finds or creates the series for the remaining attributes, and enforces the cardinality limit
 * with the spec's overflow series, exactly as the SDK does (limit − 1 regular sets, then
 * `otel.metric.overflow=true`).
 */
export abstract class Stream<S extends { readonly attributes: Attributes }> {
  private readonly byKey = new Map<string, S>();
  private overflow: S | undefined;
  /** When set, a new series also needs room in this budget, else it goes to the overflow series. */
  budget: SeriesBudget | undefined;

  constructor(readonly descriptor: StreamDescriptor) {}

  protected abstract create(attributes: Attributes): S;

  resolve(attributes: Attributes): S {
    const allowed = this.descriptor.allowedKeys;
    let attrs = attributes;
    if (allowed !== undefined) {
      attrs = {};
      for (const k of allowed) if (attributes[k] !== undefined) attrs[k] = attributes[k];
    }
    const key = attributesKey(attrs);
    const existing = this.byKey.get(key);
    if (existing) return existing;
    const budget = this.budget;
    if (this.byKey.size >= this.descriptor.cardinalityLimit - 1 || (budget && budget.used >= budget.max)) {
      this.overflow ??= this.create({ [ATTR_OTEL_METRIC_OVERFLOW]: true });
      return this.overflow;
    }
    if (budget) budget.used++;
    refreshTracing();
    const series = this.create(Object.freeze(attrs));
    this.byKey.set(key, series);
    return series;
  }

  /** The series for exactly these (already filtered) attributes, without creating one. */
  find(attributes: Attributes): S | undefined {
    return this.byKey.get(attributesKey(attributes));
  }

  /** Every series, the overflow one last. */
  *all(): Generator<S> {
    yield* this.byKey.values();
    if (this.overflow) yield this.overflow;
  }

  get size(): number {
    return this.byKey.size + (this.overflow ? 1 : 0);
  }
}

/**
 * The series of one histogram instrument: explicit buckets (`boundaries`), or base-2 exponential buckets when
 * `exponential` is given (then `boundaries` is unused by the series).
 */
export class HistogramStream extends Stream<AnyHistogramSeries> {
  readonly boundaries: readonly number[];

  constructor(
    descriptor: StreamDescriptor,
    boundaries: readonly number[],
    readonly exponential?: ExponentialSettings,
  ) {
    super(descriptor);
    // A private copy: bucket arrays are often frozen (prom-client freezes the one it is given, and so do our
    // presets), and V8 reads frozen arrays several times slower in optimised code, which is every
    // record()'s bucket scan (a bound observe measured 33 ns with a frozen array, 7 ns with this copy). It
    // also keeps later changes to the caller's array from moving the buckets of existing series.
    this.boundaries = [...boundaries];
  }

  protected create(attributes: Attributes): AnyHistogramSeries {
    return this.exponential
      ? new ExponentialHistogramSeries(this.exponential, attributes, hrTime())
      : new HistogramSeries(this.boundaries, attributes, hrTime());
  }
}

export class SumStream extends Stream<SumSeries> {
  protected create(attributes: Attributes): SumSeries {
    return new SumSeries(attributes, hrTime());
  }
}

/** Order-independent key of an attribute set; computed only on a cache miss. */
export function attributesKey(attrs: Attributes): string {
  const keys = Object.keys(attrs).sort();
  let out = '';
  for (const k of keys) out += `${JSON.stringify(k)}:${JSON.stringify(attrs[k])},`;
  return out;
}

/** What a producer hands a stream that exports itself: the collection's end time and per-reader state. */
export interface CollectContext {
  readonly endTime: HrTime;
  readonly temporality: AggregationTemporality;
  /** End of this producer's previous collection; `undefined` on its first. */
  readonly lastCollection: HrTime | undefined;
  /** Per-producer memory for delta temporality, keyed by series. */
  readonly previous: WeakMap<object, unknown>;
}

/** A stream that builds its own `MetricData` (the instruments API's counters, gauges and summaries). */
export interface CollectableStream {
  collect(context: CollectContext): MetricData | undefined;
}

/** Where a producer finds the streams to export (the running `HttpMetrics`, or none). */
export interface StreamSource {
  readonly histograms: readonly HistogramStream[];
  readonly sums: readonly SumStream[];
  readonly collectables?: readonly CollectableStream[];
}

/** What a delta reader remembers of a histogram series: its value at the previous collection. */
type Previous = Histogram | ExponentialHistogram;

/**
 * Exports the pre-bound series to a reader through the SDK's `MetricProducer` extension point (readers take
 * `metricProducers`). Output is ordinary OTel data: explicit-bucket or exponential histograms and non-monotonic
 * sums with the semconv names, units and value types; histogram points carry their exemplars under `EXEMPLARS`
 * (delta points: those of their interval). The up-down counter is always cumulative (as the SDK's delta
 * preference keeps it); histograms follow `temporality`, so one producer per reader is needed when readers
 * differ. Counts are copied at collection, so an exporter that holds on to the data never sees it change.
 */
export class SeriesProducer implements MetricProducer {
  private readonly previous = new WeakMap<AnyHistogramSeries, Previous>();
  private readonly collectablesPrevious = new WeakMap<object, unknown>();
  private lastCollection: HrTime | undefined;

  constructor(
    private readonly source: () => StreamSource | undefined,
    private readonly temporality: AggregationTemporality = AggregationTemporality.CUMULATIVE,
  ) {}

  async collect(_options?: MetricCollectOptions): Promise<CollectionResult> {
    const metrics: MetricData[] = [];
    const src = this.source();
    const endTime = hrTime();
    refreshTracing();
    if (src) {
      for (const stream of src.histograms) {
        const data = this.histogramData(stream, endTime);
        if (data) metrics.push(data);
      }
      for (const stream of src.sums) {
        const dataPoints: DataPoint<number>[] = [];
        for (const s of stream.all()) {
          dataPoints.push({ startTime: s.startTime, endTime, attributes: s.attributes, value: s.value });
        }
        if (dataPoints.length > 0) {
          metrics.push({
            descriptor: descriptorOf(stream.descriptor),
            aggregationTemporality: AggregationTemporality.CUMULATIVE,
            dataPointType: DataPointType.SUM,
            isMonotonic: false,
            dataPoints,
          });
        }
      }
      const context: CollectContext = {
        endTime,
        temporality: this.temporality,
        lastCollection: this.lastCollection,
        previous: this.collectablesPrevious,
      };
      for (const stream of src.collectables ?? []) {
        const data = stream.collect(context);
        if (data) metrics.push(data);
      }
    }
    this.lastCollection = endTime;
    return {
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: [{ scope: { name: SCOPE_NAME }, metrics }],
      },
      errors: [],
    };
  }

  private histogramData(stream: HistogramStream, endTime: HrTime): MetricData | undefined {
    const delta = this.temporality === AggregationTemporality.DELTA;
    // Delta points carry the exemplars of their interval only.
    const since = delta && this.lastCollection ? hrTimeToMilliseconds(this.lastCollection) : undefined;
    const dataPoints: DataPoint<Histogram | ExponentialHistogram>[] = [];
    for (const s of stream.all()) {
      if (s.count === 0) continue;
      const prev = delta ? this.previous.get(s) : undefined;
      const value = s instanceof HistogramSeries ? explicitValue(s) : s.snapshot();
      if (delta) this.previous.set(s, value);
      // A delta reader's first point covers the series' whole life, so it is the value itself, extremes included.
      let point: Histogram | ExponentialHistogram = value;
      if (prev !== undefined) {
        if (prev.count === s.count) continue;
        point =
          s instanceof HistogramSeries
            ? explicitDelta(value as Histogram, prev as Histogram)
            : exponentialDelta(value as ExponentialHistogram, prev as ExponentialHistogram);
      }
      const dataPoint: DataPoint<Histogram | ExponentialHistogram> & WithExemplars = {
        startTime: prev ? (this.lastCollection ?? s.startTime) : s.startTime,
        endTime,
        attributes: s.attributes,
        value: point,
      };
      const exemplars = exemplarsSince(
        s instanceof HistogramSeries ? (s.exemplars ?? []) : s.exemplars(),
        since,
      );
      if (exemplars) dataPoint[EXEMPLARS] = exemplars;
      dataPoints.push(dataPoint);
    }
    if (dataPoints.length === 0) return undefined;
    const common = {
      descriptor: descriptorOf(stream.descriptor),
      aggregationTemporality: this.temporality,
    };
    return stream.exponential
      ? {
          ...common,
          dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
          dataPoints: dataPoints as DataPoint<ExponentialHistogram>[],
        }
      : {
          ...common,
          dataPointType: DataPointType.HISTOGRAM,
          dataPoints: dataPoints as DataPoint<Histogram>[],
        };
  }
}

/** An explicit series' value, copied; the copy is also what a delta reader remembers. */
function explicitValue(s: HistogramSeries): Histogram {
  return {
    buckets: { boundaries: [...s.boundaries], counts: Array.from(s.counts) },
    count: s.count,
    sum: s.sum,
    min: s.min,
    max: s.max,
  };
}

/**
 * The change between two copies of one explicit series. Min and max of the interval are unknown (the series
 * keeps lifetime extremes), so they are left out, which the data model allows.
 */
function explicitDelta(now: Histogram, prev: Histogram): Histogram {
  return {
    buckets: {
      boundaries: now.buckets.boundaries,
      counts: now.buckets.counts.map((c, i) => c - (prev.buckets.counts[i] ?? 0)),
    },
    count: now.count - prev.count,
    sum: (now.sum ?? 0) - (prev.sum ?? 0),
  };
}

export function descriptorOf(d: StreamDescriptor): MetricData['descriptor'] {
  return { name: d.name, description: d.description, unit: d.unit, valueType: d.valueType };
}
