import type { Attributes } from '@opentelemetry/api';
import type { MetricData } from '@opentelemetry/sdk-metrics';

/** What one exposition contained; filled in by `chunks()` when the caller passes one. */
export interface ExpositionStats {
  /** Sample lines written (what Prometheus counts as scraped samples), `target_info` included. */
  series: number;
  /**
   * Per instrument name: data points carrying `otel.metric.overflow=true` (one per stream that hit its
   * cardinality limit) and, for histograms, the measurements folded into them (the overflow point's count).
   */
  readonly overflow: Map<string, { series: number; measurements: number }>;
  /**
   * What was left out, keyed by `<reason>\u0000<instrument name>`; created on the first drop. See
   * {@link DroppedSeries} for the reasons.
   */
  dropped?: Map<string, DroppedSeries>;
}

/**
 * Why a metric or series was left out of an exposition:
 * - `invalid_name`: the instrument name has no letter or digit once translated (`''`, `'_total'`, `'…'`);
 * - `name_conflict`: an earlier family already uses its Prometheus name, one of its sample names (`_total`,
 *   `_bucket`, `_sum`, `_count`) or its OpenMetrics family name, or it repeats a stream of the same scope;
 * - `unsupported_type`: a data point type the serializer does not know (none of the SDK's today), or in protobuf an
 *   exponential histogram whose scale is below -4, the coarsest native-histogram schema;
 * - `invalid_value`: a counter value or histogram sum that is NaN or negative (counters only count up).
 */
export type DropReason = 'invalid_name' | 'name_conflict' | 'unsupported_type' | 'invalid_value';

/** Series of one instrument left out of one exposition, and why. */
export interface DroppedSeries {
  readonly instrument: string;
  readonly reason: DropReason;
  series: number;
}

/** The SDK's overflow series carries exactly one attribute, `otel.metric.overflow=true`. */
export function isOverflowSeries(attributes: Attributes): boolean {
  let n = 0;
  for (const _ in attributes) if (++n > 1) return false;
  return true;
}

export function countOverflow(
  stats: ExpositionStats,
  metric: MetricData,
  series: number,
  measurements: number,
): void {
  const seen = stats.overflow.get(metric.descriptor.name);
  if (seen) {
    seen.series += series;
    seen.measurements += measurements;
  } else stats.overflow.set(metric.descriptor.name, { series, measurements });
}

export function drop(stats: ExpositionStats, metric: MetricData, reason: DropReason, series: number): void {
  const instrument = metric.descriptor.name;
  const key = `${reason}\u0000${instrument}`;
  stats.dropped ??= new Map();
  const seen = stats.dropped.get(key);
  if (seen) seen.series += series;
  else stats.dropped.set(key, { instrument, reason, series });
}
