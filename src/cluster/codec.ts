import type { Attributes, HrTime } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import {
  DataPointType,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { SUMMARY_SERIES, type SummarySeriesData } from '../instruments/summary.js';

/**
 * The IPC payload: one string per worker answer. The cluster channel JSON-encodes every message, and one
 * string is the cheapest thing to JSON-encode; a tree of SDK objects costs several times more on both ends
 * (bench/cluster.js). One line per metric header (`M` + JSON), per summary's series (`S` + JSON) and per data
 * point: the attributes as JSON (kept as the text it is, so the primary can reuse what it decoded last time),
 * then tab-separated numbers. JSON escapes tabs and newlines, so neither appears inside a field.
 */

/** One metric from a worker, with the key of its scope. */
export interface DecodedMetric {
  readonly scope: InstrumentationScope;
  readonly scopeKey: string;
  readonly metric: MetricData;
  /** Each point's attributes as sent (JSON), in point order; for aggregation keys. */
  readonly keys: readonly string[];
}

/**
 * Attribute JSON by attributes object: the SDK keeps one object per series across collections, so each series'
 * attributes are stringified once, not on every scrape.
 */
const attributeJson = new WeakMap<Attributes, string>();

function jsonOf(attributes: Attributes): string {
  let json = attributeJson.get(attributes);
  if (json === undefined) {
    json = JSON.stringify(attributes);
    attributeJson.set(attributes, json);
  }
  return json;
}

export function encodeMetrics(resourceMetrics: ResourceMetrics): string {
  let out = '';
  for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
    for (const metric of metrics) {
      if (metric.dataPoints.length === 0) continue;
      const d = metric.descriptor;
      const monotonic = metric.dataPointType === DataPointType.SUM ? metric.isMonotonic : false;
      out += `M${JSON.stringify([scope.name, scope.version ?? '', scope.schemaUrl ?? '', d.name, d.description, d.unit, d.valueType, metric.dataPointType, metric.aggregationTemporality, monotonic])}\n`;
      const series = (metric as { [SUMMARY_SERIES]?: readonly SummarySeriesData[] })[SUMMARY_SERIES];
      if (series !== undefined) out += `S${JSON.stringify(series)}\n`;
      let boundaries: readonly number[] | undefined;
      for (const p of metric.dataPoints) {
        out += `${jsonOf(p.attributes)}\t${p.startTime[0]}\t${p.startTime[1]}\t${p.endTime[0]}\t${p.endTime[1]}\t`;
        const v = p.value;
        if (typeof v === 'number') out += `${v}\n`;
        else if (metric.dataPointType === DataPointType.HISTOGRAM) {
          const h = v as Histogram;
          // Boundaries are the same for every point of a stream: sent once, then `=`.
          const same = boundaries !== undefined && sameNumbers(boundaries, h.buckets.boundaries);
          boundaries = h.buckets.boundaries;
          out += `${h.count}\t${h.sum ?? ''}\t${h.min ?? ''}\t${h.max ?? ''}\t${same ? '=' : boundaries.join(',')}\t${h.buckets.counts.join(',')}\n`;
        } else out += `J${JSON.stringify(v)}\n`;
      }
    }
  }
  return out;
}

/**
 * Decodes a payload. `intern` maps attribute JSON to the attributes object made last time (with `extra` added,
 * e.g. the `worker` label), so the serializer's per-series label cache keeps working across scrapes; the map
 * handed back holds only this payload's series, so series that left are forgotten.
 */
export function decodeMetrics(
  payload: string,
  intern: ReadonlyMap<string, Attributes>,
  extra: Attributes,
): { metrics: DecodedMetric[]; intern: Map<string, Attributes> } {
  const metrics: DecodedMetric[] = [];
  const next = new Map<string, Attributes>();
  let current: { metric: MetricData & { dataPoints: unknown[] }; keys: string[] } | undefined;
  let boundaries: number[] = [];
  let start = 0;
  while (start < payload.length) {
    let end = payload.indexOf('\n', start);
    if (end === -1) end = payload.length;
    const line = payload.slice(start, end);
    start = end + 1;
    const tag = line.charCodeAt(0);
    if (tag === 77 /* M */) {
      const [sName, sVersion, sSchema, name, description, unit, valueType, type, temporality, monotonic] =
        JSON.parse(line.slice(1)) as [
          string,
          string,
          string,
          string,
          string,
          string,
          number,
          number,
          number,
          boolean,
        ];
      const scope: InstrumentationScope = {
        name: sName,
        ...(sVersion !== '' && { version: sVersion }),
        ...(sSchema !== '' && { schemaUrl: sSchema }),
      };
      const metric = {
        descriptor: { name, description, unit, valueType, type: '' as never },
        dataPointType: type,
        aggregationTemporality: temporality,
        isMonotonic: monotonic,
        dataPoints: [],
      } as unknown as MetricData & { dataPoints: unknown[] };
      current = { metric, keys: [] };
      metrics.push({
        scope,
        scopeKey: `${sName}\u0000${sVersion}\u0000${sSchema}`,
        metric,
        keys: current.keys,
      });
      continue;
    }
    if (current === undefined) continue;
    if (tag === 83 /* S */) {
      const series = (JSON.parse(line.slice(1)) as SummarySeriesData[]).map((s) => ({
        ...s,
        attributes: { ...s.attributes, ...extra },
      }));
      (current.metric as unknown as Record<symbol, unknown>)[SUMMARY_SERIES] = series;
      continue;
    }
    const f = line.split('\t');
    const key = f[0]!;
    let attributes = next.get(key) ?? intern.get(key);
    if (attributes === undefined) attributes = { ...(JSON.parse(key) as Attributes), ...extra };
    next.set(key, attributes);
    const startTime: HrTime = [Number(f[1]), Number(f[2])];
    const endTime: HrTime = [Number(f[3]), Number(f[4])];
    let value: unknown;
    if (f.length === 6) {
      const raw = f[5]!;
      value = raw.charCodeAt(0) === 74 /* J */ ? JSON.parse(raw.slice(1)) : Number(raw);
    } else {
      if (f[9] !== '=') boundaries = f[9] === '' ? [] : f[9]!.split(',').map(Number);
      value = {
        count: Number(f[5]),
        sum: optional(f[6]!),
        min: optional(f[7]!),
        max: optional(f[8]!),
        buckets: { boundaries, counts: f[10]!.split(',').map(Number) },
      } satisfies Histogram;
    }
    current.metric.dataPoints.push({ attributes, startTime, endTime, value });
    current.keys.push(key);
  }
  return { metrics, intern: next };
}

function optional(s: string): number | undefined {
  return s === '' ? undefined : Number(s);
}

export function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
