import type { Attributes, HrTime } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import {
  DataPointType,
  type Histogram,
  type MetricData,
  type MetricDescriptor,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import { exemplarsOf } from '../exemplars.js';
import { SUMMARY_SERIES, type SummarySeriesData } from '../instruments/summary.js';
import { type DecodedMetric, type SeriesRef, sameNumbers } from './codec.js';
import type { GaugePolicy } from './options.js';

/**
 * One process's decoded data, with its `worker` label value. A merge takes its points over (aggregated sums
 * are added into the first worker's points), so each decoded answer is merged once.
 */
export interface WorkerData {
  readonly worker: string;
  readonly metrics: readonly DecodedMetric[];
}

/** One merge in progress: `add()` each process's data, then `finish()` once (later `add()`s are ignored). */
export interface MergeRun {
  /** Adds one process's data; `rank` places its streams and per-worker points among the others'. */
  add(source: WorkerData, rank: number): void;
  finish(): ScopeMetrics[];
}

/**
 * The series of one summed stream in the order they first came, each with the attributes object its sums are
 * served with: the same objects in the same places on every scrape (see `ClusterMerger.start`).
 */
interface Table {
  index: Map<string, number>;
  attributes: Attributes[];
  /** Counts the prunings, which move series: a position remembered from before one is stale. */
  generation: number;
}

/** One summed stream of a merge in progress: each series' sum at its table position. */
interface Sums {
  readonly table: Table;
  readonly points: (Point | undefined)[];
  /** Points that cannot be added to their series' sum (other bucket boundaries), kept per worker. */
  readonly apart: Point[];
  seen: number;
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
  /** Aggregated output: each summed stream's series order, by scope and stream (see `Table`). */
  private readonly tables = new Map<string, Table>();
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

  /** Merges `sources` in one go, in their order (see {@link ClusterMerger.start}). */
  merge(sources: readonly WorkerData[]): ScopeMetrics[] {
    const run = this.start();
    for (let i = 0; i < sources.length; i++) run.add(sources[i]!, i);
    return run.finish();
  }

  /**
   * A merge that takes the processes' data one at a time, as each answer arrives: in aggregated output the
   * primary adds an answer's counters and histograms into the sums while slower workers are still collecting,
   * so only the last one's are left once they have all answered (bench/cluster-phases.js, timeline).
   *
   * The result does not depend on the order of arrival: streams and per-worker points come in the order of
   * the sources' ranks, and summed series in the order they first had (`tables`). That is also what keeps the
   * serializer's label cache, which remembers each position's attributes object, hitting on every scrape.
   */
  start(): MergeRun {
    const sums = new Map<string, Sums>();
    const sources: { rank: number; source: WorkerData }[] = [];
    let finished = false;
    const sumsFor = (entry: DecodedMetric): Sums | undefined => {
      if (!this.aggregated || this.policy(entry.metric) === 'worker') return undefined;
      const key = `${entry.scopeKey}\u0000${streamId(entry)}`;
      let s = sums.get(key);
      if (s === undefined) {
        let table = this.tables.get(key);
        if (table === undefined) {
          table = { index: new Map(), attributes: [], generation: 0 };
          this.tables.set(key, table);
        }
        s = { table, points: [], apart: [], seen: 0 };
        sums.set(key, s);
      }
      return s;
    };
    const sum = (s: Sums, entry: DecodedMetric) => {
      const points = entry.metric.dataPoints as Point[];
      for (let i = 0; i < points.length; i++)
        this.combine(s, entry.series[i]!, points[i]!, entry.metric, false);
    };
    return {
      add: (source, rank) => {
        if (finished) return;
        sources.push({ rank, source });
        for (const entry of source.metrics) {
          const s = sumsFor(entry);
          if (s !== undefined) sum(s, entry);
        }
      },
      finish: () => {
        finished = true;
        const scopes = new Map<string, { scope: InstrumentationScope; metrics: Map<string, Merged> }>();
        const summed = new Map<Merged, Sums>();
        const mergedFor = (entry: DecodedMetric) => {
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
          return merged;
        };
        sources.sort((x, y) => x.rank - y.rank);
        for (const { source } of sources) {
          for (const entry of source.metrics) {
            const merged = mergedFor(entry);
            const series = (entry.metric as Merged)[SUMMARY_SERIES];
            if (series !== undefined) merged[SUMMARY_SERIES] = [...(merged[SUMMARY_SERIES] ?? []), ...series];
            const s = sumsFor(entry);
            if (s !== undefined) summed.set(merged, s);
            else for (const p of entry.metric.dataPoints as Point[]) merged.dataPoints.push(p);
          }
        }
        if (this.aggregated) {
          for (const { entry, points, refs } of this.retired.values()) {
            const s = sumsFor(entry);
            if (s === undefined) continue;
            summed.set(mergedFor(entry), s);
            for (const [key, p] of points) this.combine(s, refs.get(key)!, p, entry.metric, true);
          }
        }
        for (const [merged, s] of summed) {
          for (const p of s.points) if (p !== undefined) merged.dataPoints.push(p);
          for (const p of s.apart) merged.dataPoints.push(p);
          prune(s);
        }
        return [...scopes.values()].map(({ scope, metrics }) => ({ scope, metrics: [...metrics.values()] }));
      },
    };
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
        const p = points[i]!;
        const have = r.points.get(ref.key);
        // A value whose boundaries differ from the series' cannot be added exactly: left out of the totals.
        if (have === undefined) r.points.set(ref.key, copyPoint(p, ref.plain));
        else this.add(have, p, m);
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
   * Folds `p` into its series' sum in `s`. A histogram whose boundaries differ from the series' cannot be added
   * exactly; it is kept apart, with its `worker` label. `copy`: `p` is not ours to keep (retired totals).
   */
  private combine(s: Sums, series: SeriesRef, p: Point, m: MetricData, copy: boolean): void {
    const at = series.at;
    const { table } = s;
    let i =
      at !== undefined && at.table === table && at.generation === table.generation
        ? at.index
        : table.index.get(series.key);
    if (i === undefined) {
      i = s.table.attributes.length;
      s.table.index.set(series.key, i);
      s.table.attributes.push(series.plain);
    }
    if (at === undefined || at.index !== i || at.table !== table || at.generation !== table.generation)
      series.at = { table, generation: table.generation, index: i };
    const have = s.points[i];
    if (have === undefined) {
      // Decoded points are made for this scrape and used once: the first worker's becomes the sum, unless it
      // carries exemplars (those are served with per-worker series only).
      if (copy || exemplarsOf(p) !== undefined) s.points[i] = copyPoint(p, s.table.attributes[i]!);
      else {
        p.attributes = s.table.attributes[i]!;
        s.points[i] = p;
      }
      s.seen++;
      return;
    }
    if (!this.add(have, p, m)) s.apart.push(p);
  }

  /** Adds `p` into `have`; false when they cannot be added (histograms with different boundaries). */
  private add(have: Point, p: Point, m: MetricData): boolean {
    if (typeof p.value === 'number') {
      const policy = m.dataPointType === DataPointType.GAUGE ? this.gauges : 'sum';
      const a = have.value as number;
      have.value =
        policy === 'max' ? Math.max(a, p.value) : policy === 'min' ? Math.min(a, p.value) : a + p.value;
    } else {
      const a = have.value as Histogram;
      const b = p.value;
      if (!sameNumbers(a.buckets.boundaries, b.buckets.boundaries)) return false;
      a.count += b.count;
      if (a.sum !== undefined && b.sum !== undefined) a.sum += b.sum;
      if (b.min !== undefined) a.min = a.min === undefined ? b.min : Math.min(a.min, b.min);
      if (b.max !== undefined) a.max = a.max === undefined ? b.max : Math.max(a.max, b.max);
      for (let i = 0; i < a.buckets.counts.length; i++) a.buckets.counts[i]! += b.buckets.counts[i] ?? 0;
    }
    if (earlier(p.startTime, have.startTime)) have.startTime = p.startTime;
    if (earlier(have.endTime, p.endTime)) have.endTime = p.endTime;
    return true;
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

function copyPoint(p: Point, attributes: Attributes): Point {
  const v = p.value;
  const value =
    typeof v === 'number'
      ? v
      : { ...v, buckets: { boundaries: v.buckets.boundaries, counts: [...v.buckets.counts] } };
  return { attributes, startTime: p.startTime, endTime: p.endTime, value };
}

/**
 * Forgets the series of a table that this scrape did not have once they are most of it, so a table follows
 * series that come and go without growing; the order of those still there is kept.
 */
function prune(s: Sums): void {
  const { table } = s;
  if (table.attributes.length <= 2 * s.seen + 64) return;
  const keys = [...table.index.keys()];
  const index = new Map<string, number>();
  const attributes: Attributes[] = [];
  for (let i = 0; i < keys.length; i++) {
    if (s.points[i] === undefined) continue;
    index.set(keys[i]!, attributes.length);
    attributes.push(table.attributes[i]!);
  }
  s.table.index = index;
  s.table.attributes = attributes;
  s.table.generation++;
}

function earlier(a: HrTime, b: HrTime): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}
