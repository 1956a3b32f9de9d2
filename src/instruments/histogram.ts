import type { Attributes } from '@opentelemetry/api';
import { captureExemplar } from '../http/exemplar-capture.js';
import { explicitBuckets } from '../http/exponential.js';
import { type AnyHistogramSeries, HistogramSeries, type HistogramStream } from '../http/series.js';
import { bucketQuantile } from '../testing/quantile.js';
import { Instrument, type InstrumentOptions, type SeriesReading } from './instrument.js';

/** Histogram options. */
export interface HistogramOptions extends InstrumentOptions {
  /**
   * Bucket upper bounds, strictly increasing. Default: `unitBuckets[unit]` of the configuration (seconds and
   * bytes have presets), else the OTel SDK default (0 … 10000). A `histograms` entry for the full name wins.
   */
  buckets?: readonly number[];
}

/** What a histogram series holds, read back. */
export interface HistogramSnapshot {
  /** Observations. */
  readonly count: number;
  /** Sum of the observations. */
  readonly sum: number;
  /**
   * Cumulative counts per upper bound, as Prometheus's `_bucket{le}` samples; the last `le` is `Infinity`. For
   * an exponential histogram: the zero bucket (`le: 0`), then the upper bound of each exponential bucket in use.
   */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  /**
   * The `q`-quantile (0…1) estimated from the buckets as PromQL's `histogram_quantile()` does (linear
   * interpolation inside the bucket, whose bounds are exact for exponential buckets too); `NaN` when empty.
   */
  quantile(q: number): number;
}

/**
 * A histogram (Prometheus `histogram`): OTel explicit buckets, or base-2 exponential buckets when the
 * configuration's `histogramAggregation` settings choose them for this instrument (Prometheus native histogram).
 * With a sampled span active, each observation is kept as its bucket's exemplar.
 */
export class Histogram extends Instrument<AnyHistogramSeries> {
  readonly kind: 'histogram' | 'timer' = 'histogram';

  /** Records `value` (finite, ≥ 0 as OTel requires of histograms; anything else is dropped and reported once). */
  observe(value: number, attributes?: Attributes): void {
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      this.invalid(value);
      return;
    }
    const series = this.series(attributes);
    series.record(value);
    captureExemplar(series, value);
  }

  /** A handle on the series of `attributes`: its `observe()` skips the lookup and allocates nothing. */
  bind(attributes?: Attributes): BoundHistogram {
    return new BoundHistogram(this.series(attributes), this);
  }

  /** Count, sum, buckets and quantiles of the series of `attributes` (empty when it has none). */
  snapshot(attributes?: Attributes): HistogramSnapshot {
    return snapshotOf(this.peek(attributes), this.boundaries());
  }

  /**
   * The explicit bucket bounds in use; for an exponential histogram, the bounds the series of `attributes` has
   * now (they change as it rescales).
   */
  boundaries(attributes?: Attributes): readonly number[] {
    const series = this.peek(attributes);
    return series && !(series instanceof HistogramSeries)
      ? explicitBuckets(series.scale, series.zeroCount, series.positive).boundaries
      : (this.stream as HistogramStream).boundaries;
  }

  protected read(series: AnyHistogramSeries): SeriesReading {
    return { attributes: series.attributes, ...snapshotOf(series, this.boundaries()) };
  }

  /** @internal */
  invalid(value: number): void {
    this.problem('invalid_value', `observation ${String(value)} dropped: it must be a finite number ≥ 0`);
  }
}

/** One series of a histogram, bound by `histogram.bind()`. */
export class BoundHistogram {
  constructor(
    /** @internal The series itself, for a helper that checks several values at once (`LlmMetrics.record`). */
    readonly s: AnyHistogramSeries,
    private readonly histogram: Histogram,
  ) {}

  /** Records `value` (finite, ≥ 0). */
  observe(value: number): void {
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      this.histogram.invalid(value);
      return;
    }
    this.s.record(value);
    captureExemplar(this.s, value);
  }

  snapshot(): HistogramSnapshot {
    return snapshotOf(this.s, this.histogram.boundaries());
  }
}

function snapshotOf(
  series: AnyHistogramSeries | undefined,
  explicitBoundaries: readonly number[],
): HistogramSnapshot {
  const { boundaries, counts } =
    series === undefined || series instanceof HistogramSeries
      ? {
          boundaries: explicitBoundaries,
          counts: series
            ? Array.from(series.counts)
            : new Array<number>(explicitBoundaries.length + 1).fill(0),
        }
      : explicitBuckets(series.scale, series.zeroCount, series.positive);
  let cumulative = 0;
  const buckets = counts.map((c, i) => {
    cumulative += c;
    return { le: boundaries[i] ?? Number.POSITIVE_INFINITY, count: cumulative };
  });
  return {
    count: series?.count ?? 0,
    sum: series?.sum ?? 0,
    buckets,
    quantile: (q) => bucketQuantile(q, boundaries, counts),
  };
}
