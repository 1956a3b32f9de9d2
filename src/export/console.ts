import {
  AggregationTemporality,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ConsoleRecord, ResolvedConsoleOptions } from './options.js';
import type { PushExporter } from './push-reader.js';

/** One record per data point, in collection order. */
export function consoleRecords(metrics: ResourceMetrics): ConsoleRecord[] {
  const time = new Date().toISOString();
  const resource = metrics.resource.attributes;
  const out: ConsoleRecord[] = [];
  for (const { scope, metrics: list } of metrics.scopeMetrics) {
    for (const metric of list) {
      const type = typeOf(metric);
      const temporality =
        metric.aggregationTemporality === AggregationTemporality.DELTA ? 'delta' : 'cumulative';
      const { name, unit } = metric.descriptor;
      for (const p of metric.dataPoints) {
        out.push({
          time,
          name,
          unit,
          type,
          temporality,
          attributes: p.attributes,
          value: p.value,
          scope: scope.name,
          resource,
        });
      }
    }
  }
  return out;
}

function typeOf(metric: MetricData): string {
  if (metric.dataPointType === DataPointType.HISTOGRAM) return 'histogram';
  if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) return 'exponential_histogram';
  if (metric.dataPointType === DataPointType.GAUGE) return 'gauge';
  return metric.isMonotonic ? 'counter' : 'updowncounter';
}

/**
 * JSON lines on stdout (one write per export, so lines from one export are not interleaved with the app's
 * output), or each record handed to the configured function (a logger). A function that throws fails that
 * export, which is counted and logged once like any backend failure.
 */
export function consoleExporter(o: ResolvedConsoleOptions): PushExporter {
  return {
    name: 'console',
    async send(metrics: ResourceMetrics) {
      const records = consoleRecords(metrics);
      if (o.write) {
        for (const r of records) o.write(r);
        return;
      }
      let text = '';
      for (const r of records) text += `${JSON.stringify(r)}\n`;
      await new Promise<void>((resolve, reject) =>
        process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
      );
    },
  };
}
