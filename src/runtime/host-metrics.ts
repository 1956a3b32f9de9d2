import type { Meter, MeterOptions, MeterProvider, MetricOptions } from '@opentelemetry/api';
import { HostMetricsInstrumentation } from '@opentelemetry/instrumentation-host-metrics';
import {
  METRIC_PROCESS_CPU_UTILIZATION,
  METRIC_PROCESS_MEMORY_USAGE,
  METRIC_SYSTEM_CPU_UTILIZATION,
  METRIC_SYSTEM_MEMORY_USAGE,
  METRIC_SYSTEM_MEMORY_UTILIZATION,
  METRIC_SYSTEM_NETWORK_ERRORS,
  METRIC_SYSTEM_NETWORK_IO,
  METRIC_SYSTEM_NETWORK_PACKET_DROPPED,
} from '../semconv.js';
import type { Collector } from './collectors.js';
import type { HostMetricGroup } from './options.js';

/** The groups `@opentelemetry/instrumentation-host-metrics` knows; the others are ours (src/runtime/process.ts). */
const PACKAGE_GROUPS: ReadonlySet<HostMetricGroup> = new Set([
  'process.cpu',
  'process.memory',
  'system.cpu',
  'system.memory',
  'system.network',
]);

/**
 * The semconv units the package (0.7.0) leaves out. Without them Prometheus would see `process_memory_usage`
 * instead of `process_memory_usage_bytes` and utilizations without `_ratio`, unlike every other SDK.
 */
const SEMCONV_UNITS: Readonly<Record<string, string>> = {
  [METRIC_PROCESS_MEMORY_USAGE]: 'By',
  [METRIC_PROCESS_CPU_UTILIZATION]: '1',
  [METRIC_SYSTEM_CPU_UTILIZATION]: '1',
  [METRIC_SYSTEM_MEMORY_USAGE]: 'By',
  [METRIC_SYSTEM_MEMORY_UTILIZATION]: '1',
  [METRIC_SYSTEM_NETWORK_IO]: 'By',
  [METRIC_SYSTEM_NETWORK_ERRORS]: '{error}',
  [METRIC_SYSTEM_NETWORK_PACKET_DROPPED]: '{packet}',
};

/**
 * Starts `@opentelemetry/instrumentation-host-metrics` for the package's groups among `groups`, on our provider.
 * Returns `undefined` when none of its groups is selected, so the instrumentation is not even constructed.
 */
export function startHostMetrics(
  provider: MeterProvider,
  groups: readonly HostMetricGroup[],
): Collector | undefined {
  const metricGroups = groups.filter((g) => PACKAGE_GROUPS.has(g));
  if (metricGroups.length === 0) return undefined;
  // Constructed disabled and enabled only after it has our provider: enabled at construction it would
  // register its callbacks on whatever global provider exists at that moment.
  const instrumentation = new HostMetricsInstrumentation({ enabled: false, metricGroups });
  instrumentation.setMeterProvider(withSemconvUnits(provider));
  instrumentation.enable();
  return { stop: () => instrumentation.disable() };
}

/** A provider whose meters fill in the semconv unit for instruments created without one. */
function withSemconvUnits(provider: MeterProvider): MeterProvider {
  return {
    getMeter(name: string, version?: string, options?: MeterOptions): Meter {
      const meter = provider.getMeter(name, version, options);
      const fix = (n: string, o?: MetricOptions): MetricOptions | undefined => {
        const unit = SEMCONV_UNITS[n];
        return unit !== undefined && !o?.unit ? { ...o, unit } : o;
      };
      return {
        createGauge: (n, o) => meter.createGauge(n, fix(n, o)),
        createHistogram: (n, o) => meter.createHistogram(n, fix(n, o)),
        createCounter: (n, o) => meter.createCounter(n, fix(n, o)),
        createUpDownCounter: (n, o) => meter.createUpDownCounter(n, fix(n, o)),
        createObservableGauge: (n, o) => meter.createObservableGauge(n, fix(n, o)),
        createObservableCounter: (n, o) => meter.createObservableCounter(n, fix(n, o)),
        createObservableUpDownCounter: (n, o) => meter.createObservableUpDownCounter(n, fix(n, o)),
        addBatchObservableCallback: (cb, observables) => meter.addBatchObservableCallback(cb, observables),
        removeBatchObservableCallback: (cb, observables) =>
          meter.removeBatchObservableCallback(cb, observables),
      };
    },
  };
}
