import {
  DataPointType,
  type Histogram,
  type MetricData,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { type MetricsConfig, resolveConfig } from '../../src/config.js';
import { type Collector, startRuntimeMetrics } from '../../src/runtime/collectors.js';
import type { ProcOptions } from '../../src/runtime/process.js';
import { BucketAdvisingMeterProvider, buildViews } from '../../src/views.js';

/** The smallest MetricReader: collects on demand, cumulative, nothing to flush. */
export class MemoryReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}

  /** One collection; fails the test if the SDK reported collection errors. */
  async metrics(): Promise<ResourceMetrics> {
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'collection reported errors');
    return resourceMetrics;
  }
}

export interface Rig {
  reader: MemoryReader;
  provider: BucketAdvisingMeterProvider;
  collectors: Collector;
  close(): Promise<void>;
}

/** A provider configured as `initMeter()` would configure it, with the runtime collectors started on it. */
export function startRig(config: MetricsConfig = {}, proc: ProcOptions = {}): Rig {
  const resolved = resolveConfig(config, {});
  const reader = new MemoryReader();
  const provider = new BucketAdvisingMeterProvider(
    { views: buildViews(resolved.views), readers: [reader] },
    resolved.views.unitBuckets,
  );
  const collectors = startRuntimeMetrics(provider, resolved, proc);
  return {
    reader,
    provider,
    collectors,
    async close() {
      collectors.stop();
      await provider.shutdown();
    },
  };
}

/** Every metric with this name across scopes. */
export function metricsNamed(rm: ResourceMetrics, name: string): MetricData[] {
  return rm.scopeMetrics.flatMap((s) => s.metrics.filter((m) => m.descriptor.name === name));
}

/** The one metric with this name; throws when absent. */
export function metric(rm: ResourceMetrics, name: string): MetricData {
  const found = metricsNamed(rm, name);
  if (found.length !== 1) throw new Error(`expected one metric ${name}, found ${found.length}`);
  return found[0]!;
}

/** The number value of the data point whose attributes include `attrs`. */
export function value(rm: ResourceMetrics, name: string, attrs: Record<string, string> = {}): number {
  const m = metric(rm, name);
  const point = m.dataPoints.find((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));
  if (!point) throw new Error(`no ${name} point with ${JSON.stringify(attrs)}`);
  if (typeof point.value !== 'number') throw new Error(`${name} is not a number metric`);
  return point.value;
}

/** Histogram points of a metric. */
export function histogramPoints(
  rm: ResourceMetrics,
  name: string,
): { attributes: object; value: Histogram }[] {
  const m = metric(rm, name);
  if (m.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${name} is not a histogram`);
  return m.dataPoints;
}

/** Burns CPU on this thread until `process.cpuUsage()` shows `ms` more user+system time; returns what it burned (s). */
export function burnCpu(ms: number): number {
  const start = process.cpuUsage();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
    const d = process.cpuUsage(start);
    if ((d.user + d.system) / 1000 >= ms || x < 0) return (d.user + d.system) / 1e6;
  }
}

/** Blocks the event loop for `ms` of wall time. */
export function blockLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
