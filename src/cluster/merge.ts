import type { Attributes, HrTime } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import {
  DataPointType,
  type Histogram,
  type MetricData,
  type MetricDescriptor,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import { SUMMARY_SERIES, type SummarySeriesData } from '../instruments/summary.js';
import { type DecodedMetric, type SeriesRef, sameNumbers } from './codec.js';
import type { GaugePolicy } from './options.js';

/** One process's decoded data, with its `worker` label value. */
export interface WorkerData {
  readonly worker: string;
  readonly metrics: readonly DecodedMetric[];
}

type Point = { attributes: Attributes; startTime: HrTime; endTime: HrTime; value: number | Histogram };
type Merged = MetricData & { dataPoints: Point[]; [SUMMARY_SERIES]?: SummarySeriesData[] };

/**
 * Merges the processes' data into one list of scopes, one `MetricData` per scope and metric, as the serializer
 * wants it (a second stream of the same family from the same scope would be a conflict there). Descriptors are
 * kept from one scrape to the next, so the serializer's per-stream label cache keeps hitting.
 */
export class ClusterMerger {
  private readonly descriptors = new Map<string, MetricDescriptor>();
  /**
   * Aggregated output: the last cumulative counter and histogram values of workers that exited, by stream and
   * series. Added to the live workers' sums, so an aggregated counter never goes backwards when a worker is
   * replaced (its replacement starts from zero).
   */
  private readonly retired = new Map<
    string,
    { entry: DecodedMetric; points: Map<string, Point>; refs: Map<string, SeriesRef> }
  >();

  constructor(
    private readonly aggregated: boolean,
    private readonly gauges: GaugePolicy,
  ) {}

  merge(sources: readonly WorkerData[]): ScopeMetrics[] {
    const scopes = new Map<string, { scope: InstrumentationScope; metrics: Map<string, Merged> }>();
    const combined = new Map<string, Map<string, Point>>();
    const add = (
      entry: DecodedMetric,
      pick: (merged: Merged, key: string) => Map<string, Point> | undefined,
    ) => {
      let s = scopes.get(entry.scopeKey);
      if (s === undefined) {
        s = { scope: entry.scope, metrics: new Map() };
        scopes.set(entry.scopeKey, s);
      }
      const id = streamId(entry);
      let merged = s.metrics.get(id);
      if (merged === undefined) {
        merged = this.emptyLike(entry, id);
        s.metrics.set(id, merged);
      }
      const series = (entry.metric as Merged)[SUMMARY_SERIES];
      if (series !== undefined) merged[SUMMARY_SERIES] = [...(merged[SUMMARY_SERIES] ?? []), ...series];
      const into = pick(merged, id);
      const points = entry.metric.dataPoints as Point[];
      for (let i = 0; i < points.length; i++) {
        const p = points[i]!;
        if (into === undefined) merged.dataPoints.push(p);
        else this.combine(into, entry.series[i]!, p, entry.metric, merged);
      }
    };
    const pick = (merged: Merged, id: string) => {
      if (!this.aggregated || this.policy(merged) === 'worker') return undefined;
      let into = combined.get(id);
      if (into === undefined) {
        into = new Map();
        combined.set(id, into);
      }
      return into;
    };
    for (const source of sources) for (const entry of source.metrics) add(entry, pick);
    if (this.aggregated) {
      for (const { entry, points, refs } of this.retired.values()) {
        add(
          {
            ...entry,
            metric: { ...entry.metric, dataPoints: [...points.values()] } as MetricData,
            series: [...points.keys()].map((key) => refs.get(key)!),
          },
          pick,
        );
      }
    }
    return [...scopes.values()].map(({ scope, metrics }) => ({ scope, metrics: [...metrics.values()] }));
  }

  /** Aggregated output: keeps a dead worker's final counter and histogram values (see `retired`). */
  retire(data: WorkerData): void {
    if (!this.aggregated) return;
    for (const entry of data.metrics) {
      const m = entry.metric;
      const cumulative =
        (m.dataPointType === DataPointType.SUM && m.isMonotonic) ||
        m.dataPointType === DataPointType.HISTOGRAM;
      if (!cumulative) continue;
      const id = `${entry.scopeKey}\u0000${streamId(entry)}`;
      let r = this.retired.get(id);
      if (r === undefined) {
        r = {
          entry: { ...entry, metric: { ...m, dataPoints: [] } as MetricData, series: [] },
          points: new Map(),
          refs: new Map(),
        };
        this.retired.set(id, r);
      }
      const points = m.dataPoints as Point[];
      for (let i = 0; i < points.length; i++) {
        const ref = entry.series[i]!;
        r.refs.set(ref.key, ref);
        this.combine(r.points, ref, points[i]!, m, undefined);
      }
    }
  }

  /** `worker` (keep per worker), or how points of one series from several workers become one. */
  private policy(m: MetricData): GaugePolicy | 'add' {
    if (m.dataPointType === DataPointType.SUM || m.dataPointType === DataPointType.HISTOGRAM) return 'add';
    if (m.dataPointType === DataPointType.GAUGE && !(SUMMARY_SERIES in m)) return this.gauges;
    return 'worker';
  }

  /**
   * Folds `p` into the series `key` of `into`. A histogram whose boundaries differ from the series' cannot be
   * added exactly; it is kept apart, with its `worker` label (`merged` set), or left out of retired totals.
   */
  private combine(
    into: Map<string, Point>,
    series: SeriesRef,
    p: Point,
    m: MetricData,
    merged: Merged | undefined,
  ): void {
    const have = into.get(series.key);
    if (have === undefined) {
      const value = typeof p.value === 'number' ? p.value : copyHistogram(p.value);
      const point = { attributes: series.plain, startTime: p.startTime, endTime: p.endTime, value };
      into.set(series.key, point);
      merged?.dataPoints.push(point);
      return;
    }
    if (typeof p.value === 'number') {
      const policy = m.dataPointType === DataPointType.GAUGE ? this.gauges : 'sum';
      const a = have.value as number;
      have.value =
        policy === 'max' ? Math.max(a, p.value) : policy === 'min' ? Math.min(a, p.value) : a + p.value;
    } else {
      const a = have.value as Histogram;
      const b = p.value;
      if (!sameNumbers(a.buckets.boundaries, b.buckets.boundaries)) {
        merged?.dataPoints.push(p);
        return;
      }
      a.count += b.count;
      if (a.sum !== undefined && b.sum !== undefined) a.sum += b.sum;
      if (b.min !== undefined) a.min = a.min === undefined ? b.min : Math.min(a.min, b.min);
      if (b.max !== undefined) a.max = a.max === undefined ? b.max : Math.max(a.max, b.max);
      for (let i = 0; i < a.buckets.counts.length; i++) a.buckets.counts[i]! += b.buckets.counts[i] ?? 0;
    }
    if (earlier(p.startTime, have.startTime)) have.startTime = p.startTime;
    if (earlier(have.endTime, p.endTime)) have.endTime = p.endTime;
  }

  private emptyLike(entry: DecodedMetric, id: string): Merged {
    const key = `${entry.scopeKey}\u0000${id}`;
    let descriptor = this.descriptors.get(key);
    if (descriptor === undefined) {
      descriptor = entry.metric.descriptor;
      this.descriptors.set(key, descriptor);
    }
    const m = entry.metric;
    return {
      descriptor,
      dataPointType: m.dataPointType,
      aggregationTemporality: m.aggregationTemporality,
      isMonotonic: m.dataPointType === DataPointType.SUM ? m.isMonotonic : false,
      dataPoints: [],
    } as unknown as Merged;
  }
}

function streamId(entry: DecodedMetric): string {
  const { descriptor, dataPointType } = entry.metric;
  return `${descriptor.name}\u0000${descriptor.unit}\u0000${dataPointType}`;
}

function copyHistogram(h: Histogram): Histogram {
  return { ...h, buckets: { boundaries: h.buckets.boundaries, counts: [...h.buckets.counts] } };
}

function earlier(a: HrTime, b: HrTime): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}
