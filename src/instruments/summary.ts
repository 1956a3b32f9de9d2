import type { Attributes, HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { type DataPoint, DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import type { Clock } from '../clock.js';
import {
  type CollectableStream,
  type CollectContext,
  descriptorOf,
  Stream,
  type StreamDescriptor,
} from '../http/series.js';
import { PROM_QUANTILE_LABEL } from '../semconv.js';
import { Instrument, type InstrumentOptions, type SeriesReading } from './instrument.js';

/** Summary options. */
export interface SummaryOptions extends InstrumentOptions {
  /** Quantiles to report, each in [0, 1]. Default `[0.5, 0.9, 0.99]`. */
  quantiles?: readonly number[];
  /** Observations older than this leave the window, in seconds. Default `600`. */
  maxAgeSeconds?: number;
  /** Sub-windows the window rotates through; the window is `maxAgeSeconds × (1 − 1/ageBuckets)` to `maxAgeSeconds` long. Default `5`. */
  ageBuckets?: number;
}

/** What a summary series holds, read back. */
export interface SummarySnapshot {
  /** Observations since the series was created (not windowed, like Prometheus's `_count`). */
  readonly count: number;
  /** Sum of all observations since the series was created (`_sum`). */
  readonly sum: number;
  /** The configured quantiles and their estimates over the window (`NaN` when the window is empty). */
  readonly quantiles: ReadonlyMap<number, number>;
  /** Any quantile (0…1) over the window, with the same error bound. */
  quantile(q: number): number;
}

/**
 * Relative accuracy of the summary's quantiles. Values are counted in logarithmic bins whose bounds grow by
 * γ = (1 + α)/(1 − α); a bin reports 2γⁱ/(γ + 1), which is within α of every value the bin can hold. The bins
 * are in value order, so the reported `q`-quantile is within α (relative) of the exact one: the window's
 * observation of rank ⌈q·n⌉ (1-based, at least 1). Magnitudes below 1e-9 count as 0.
 */
export const SUMMARY_RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + SUMMARY_RELATIVE_ACCURACY) / (1 - SUMMARY_RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
const MIN_MAGNITUDE = 1e-9;

/**
 * Marks a `MetricData` that is a summary: the data points are a gauge per (series, quantile) with a `quantile`
 * attribute, and this property lists each series' attributes, count and sum, in the same order (series `k`
 * owns points `k·quantiles … k·quantiles + quantiles − 1`). The Prometheus serializer writes such a metric as a
 * `summary` family; every other reader sees the gauge, because the OTel JS SDK's `MetricData` has no summary
 * point type.
 */
export const SUMMARY_SERIES = Symbol.for('otel-metrics-bootstrap.summary-series');

/** One series' totals, for the Prometheus serializer. */
export interface SummarySeriesData {
  readonly attributes: Attributes;
  readonly count: number;
  readonly sum: number;
}

/** A summary `MetricData` (see {@link SUMMARY_SERIES}). */
export type SummaryMetricData = MetricData & { readonly [SUMMARY_SERIES]: readonly SummarySeriesData[] };

/** Counts per logarithmic bin in one sub-window. */
class Bins {
  readonly positive = new Map<number, number>();
  readonly negative = new Map<number, number>();
  zero = 0;

  clear(): void {
    this.positive.clear();
    this.negative.clear();
    this.zero = 0;
  }
}

/** One summary series: lifetime count and sum, and a sliding window of logarithmic bins. */
export class SummarySeries {
  count = 0;
  sum = 0;
  /** Attributes of each quantile's data point, built once so serializers can cache their label strings. */
  readonly quantileAttributes: readonly Attributes[];
  private readonly windows: Bins[];
  private head = 0;
  private headEnd: number;

  constructor(
    readonly attributes: Attributes,
    readonly startTime: HrTime,
    readonly quantiles: readonly number[],
    private readonly spanMs: number,
    ageBuckets: number,
    private readonly clock: Clock,
  ) {
    this.quantileAttributes = quantiles.map((q) =>
      Object.freeze({ ...attributes, [PROM_QUANTILE_LABEL]: String(q) }),
    );
    this.windows = Array.from({ length: ageBuckets }, () => new Bins());
    this.headEnd = clock.now() + spanMs;
  }

  observe(value: number): void {
    this.count++;
    this.sum += value;
    const now = this.clock.now();
    if (now >= this.headEnd) this.rotate(now);
    const bins = this.windows[this.head]!;
    if (value >= MIN_MAGNITUDE) {
      const i = Math.ceil(Math.log(value) / LOG_GAMMA);
      bins.positive.set(i, (bins.positive.get(i) ?? 0) + 1);
    } else if (value <= -MIN_MAGNITUDE) {
      const i = Math.ceil(Math.log(-value) / LOG_GAMMA);
      bins.negative.set(i, (bins.negative.get(i) ?? 0) + 1);
    } else bins.zero++;
  }

  /** Estimates of `qs` over the window, in order; `NaN` for an empty window. */
  estimate(qs: readonly number[]): number[] {
    const now = this.clock.now();
    if (now >= this.headEnd) this.rotate(now);
    const negative = new Map<number, number>();
    const positive = new Map<number, number>();
    let zero = 0;
    for (const w of this.windows) {
      for (const [i, c] of w.negative) negative.set(i, (negative.get(i) ?? 0) + c);
      for (const [i, c] of w.positive) positive.set(i, (positive.get(i) ?? 0) + c);
      zero += w.zero;
    }
    // In value order: most negative first (largest magnitude bin), then zero, then positive ascending.
    const bins: [value: number, count: number][] = [];
    for (const i of [...negative.keys()].sort((a, b) => b - a)) bins.push([-binValue(i), negative.get(i)!]);
    if (zero > 0) bins.push([0, zero]);
    for (const i of [...positive.keys()].sort((a, b) => a - b)) bins.push([binValue(i), positive.get(i)!]);
    let total = 0;
    for (const [, c] of bins) total += c;
    return qs.map((q) => {
      if (total === 0) return Number.NaN;
      const rank = Math.max(1, Math.ceil(q * total));
      let seen = 0;
      for (const [value, c] of bins) {
        seen += c;
        if (seen >= rank) return value;
      }
      return bins[bins.length - 1]![0];
    });
  }

  /** Advances the head past `now`, emptying the sub-windows it enters (they held the oldest data). */
  private rotate(now: number): void {
    const steps = Math.floor((now - this.headEnd) / this.spanMs) + 1;
    for (let k = 0; k < Math.min(steps, this.windows.length); k++) {
      this.head = (this.head + 1) % this.windows.length;
      this.windows[this.head]!.clear();
    }
    this.headEnd += steps * this.spanMs;
  }
}

function binValue(i: number): number {
  return (2 * GAMMA ** i) / (GAMMA + 1);
}

/** The series of one summary; exported as described at {@link SUMMARY_SERIES}. */
export class SummaryStream extends Stream<SummarySeries> implements CollectableStream {
  constructor(
    descriptor: StreamDescriptor,
    readonly quantiles: readonly number[],
    private readonly spanMs: number,
    private readonly ageBuckets: number,
    private readonly clock: Clock,
  ) {
    super(descriptor);
  }

  protected create(attributes: Attributes): SummarySeries {
    return new SummarySeries(attributes, hrTime(), this.quantiles, this.spanMs, this.ageBuckets, this.clock);
  }

  collect(context: CollectContext): MetricData | undefined {
    const dataPoints: DataPoint<number>[] = [];
    const series: SummarySeriesData[] = [];
    for (const s of this.all()) {
      const values = s.estimate(this.quantiles);
      for (let j = 0; j < values.length; j++) {
        dataPoints.push({
          startTime: s.startTime,
          endTime: context.endTime,
          attributes: s.quantileAttributes[j]!,
          value: values[j]!,
        });
      }
      series.push({ attributes: s.attributes, count: s.count, sum: s.sum });
    }
    if (series.length === 0) return undefined;
    const data: SummaryMetricData = {
      descriptor: descriptorOf(this.descriptor),
      aggregationTemporality: context.temporality,
      dataPointType: DataPointType.GAUGE,
      dataPoints,
      [SUMMARY_SERIES]: series,
    };
    return data;
  }
}

/** A summary: count, sum and quantiles over a sliding time window (Prometheus `summary`). */
export class Summary extends Instrument<SummarySeries> {
  readonly kind = 'summary';

  /** Records `value` (finite; anything else is dropped and reported once). */
  observe(value: number, attributes?: Attributes): void {
    if (!Number.isFinite(value)) {
      this.invalid(value);
      return;
    }
    this.series(attributes).observe(value);
  }

  /** A handle on the series of `attributes`: its `observe()` skips the lookup. */
  bind(attributes?: Attributes): BoundSummary {
    return new BoundSummary(this.series(attributes), this);
  }

  /** Count, sum and quantiles of the series of `attributes` (empty when it has none). */
  snapshot(attributes?: Attributes): SummarySnapshot {
    return snapshotOf(this.peek(attributes), (this.stream as SummaryStream).quantiles);
  }

  protected read(series: SummarySeries): SeriesReading {
    return { attributes: series.attributes, ...snapshotOf(series, series.quantiles) };
  }

  /** @internal */
  invalid(value: number): void {
    this.problem('invalid_value', `observation ${String(value)} dropped: it must be a finite number`);
  }
}

/** One series of a summary, bound by `summary.bind()`. */
export class BoundSummary {
  constructor(
    private readonly s: SummarySeries,
    private readonly summary: Summary,
  ) {}

  observe(value: number): void {
    if (!Number.isFinite(value)) {
      this.summary.invalid(value);
      return;
    }
    this.s.observe(value);
  }

  snapshot(): SummarySnapshot {
    return snapshotOf(this.s, this.s.quantiles);
  }
}

function snapshotOf(series: SummarySeries | undefined, quantiles: readonly number[]): SummarySnapshot {
  const values = series ? series.estimate(quantiles) : quantiles.map(() => Number.NaN);
  return {
    count: series?.count ?? 0,
    sum: series?.sum ?? 0,
    quantiles: new Map(quantiles.map((q, i) => [q, values[i]!])),
    quantile(q) {
      if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be between 0 and 1, got ${String(q)}`);
      return series ? series.estimate([q])[0]! : Number.NaN;
    },
  };
}
