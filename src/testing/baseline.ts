import type { InstrumentationScope } from '@opentelemetry/core';
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type Histogram,
  type MetricCollectOptions,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { attributesKey } from './snapshot.js';

/**
 * Wraps a caller's MetricProducer so that `TestMeter.reset()` can reset it too, without needing any reset API
 * on the producer (which may also feed the real endpoint). `rebase()` collects once and remembers that state;
 * later collections report only what changed since:
 *
 * - cumulative sums (counters, up-down counters): the difference; series with no change are left out;
 * - cumulative histograms: count, sum and bucket counts minus the baseline; unchanged series are left out;
 *   `min`/`max` become unknown for a series that already had data, since they cannot be subtracted;
 * - gauges: reported as they are (a gauge is a current value, not an accumulation);
 * - delta data passes through untouched: the collection made by `rebase()` already consumed it.
 *
 * A value lower than its baseline means the producer restarted that series; it is reported as it is.
 */
export class ResettableProducer implements MetricProducer {
  private baseline = new Map<string, number | Histogram>();

  constructor(private readonly source: MetricProducer) {}

  async rebase(): Promise<void> {
    const { resourceMetrics } = await this.source.collect();
    const baseline = new Map<string, number | Histogram>();
    for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
      for (const metric of metrics) {
        if (metric.aggregationTemporality !== AggregationTemporality.CUMULATIVE) continue;
        if (metric.dataPointType !== DataPointType.SUM && metric.dataPointType !== DataPointType.HISTOGRAM)
          continue;
        for (const point of metric.dataPoints as DataPoint<number | Histogram>[]) {
          baseline.set(pointKey(scope, metric, point), point.value);
        }
      }
    }
    this.baseline = baseline;
  }

  async collect(options?: MetricCollectOptions): Promise<CollectionResult> {
    const result = await this.source.collect(options);
    if (this.baseline.size === 0) return result;
    return {
      errors: result.errors,
      resourceMetrics: {
        resource: result.resourceMetrics.resource,
        scopeMetrics: result.resourceMetrics.scopeMetrics.map(({ scope, metrics }) => ({
          scope,
          metrics: metrics.map((m) => this.sinceBaseline(scope, m)),
        })),
      },
    };
  }

  private sinceBaseline(scope: InstrumentationScope, metric: MetricData): MetricData {
    if (metric.aggregationTemporality !== AggregationTemporality.CUMULATIVE) return metric;
    if (metric.dataPointType === DataPointType.SUM) {
      const dataPoints: DataPoint<number>[] = [];
      for (const point of metric.dataPoints) {
        const base = this.baseline.get(pointKey(scope, metric, point)) as number | undefined;
        if (base === undefined || (metric.isMonotonic && point.value < base)) dataPoints.push(point);
        else if (point.value !== base) dataPoints.push({ ...point, value: point.value - base });
      }
      return { ...metric, dataPoints };
    }
    if (metric.dataPointType === DataPointType.HISTOGRAM) {
      const dataPoints: DataPoint<Histogram>[] = [];
      for (const point of metric.dataPoints) {
        const base = this.baseline.get(pointKey(scope, metric, point)) as Histogram | undefined;
        if (base === undefined || point.value.count < base.count) dataPoints.push(point);
        else if (point.value.count !== base.count)
          dataPoints.push({ ...point, value: subtract(point.value, base) });
      }
      return { ...metric, dataPoints };
    }
    return metric;
  }
}

function subtract(now: Histogram, base: Histogram): Histogram {
  const sameBuckets =
    now.buckets.boundaries.length === base.buckets.boundaries.length &&
    now.buckets.boundaries.every((b, i) => b === base.buckets.boundaries[i]);
  return {
    count: now.count - base.count,
    sum: now.sum !== undefined && base.sum !== undefined ? now.sum - base.sum : undefined,
    // A series that already had observations keeps its old extremes; the extremes since the baseline are unknown.
    min: base.count === 0 ? now.min : undefined,
    max: base.count === 0 ? now.max : undefined,
    buckets: {
      boundaries: [...now.buckets.boundaries],
      counts: sameBuckets
        ? now.buckets.counts.map((c, i) => c - (base.buckets.counts[i] ?? 0))
        : [...now.buckets.counts],
    },
  };
}

function pointKey(scope: InstrumentationScope, metric: MetricData, point: DataPoint<unknown>): string {
  return [
    scope.name,
    scope.version ?? '',
    metric.descriptor.name,
    metric.dataPointType,
    attributesKey(point.attributes),
  ].join('\u0000');
}
