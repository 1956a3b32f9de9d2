import type { MeterProvider } from '@opentelemetry/api';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import type { Collector } from './collectors.js';
import type { RuntimeOptions } from './options.js';

/**
 * Starts `@opentelemetry/instrumentation-runtime-node` on our provider: `nodejs.eventloop.delay.*` (gauges,
 * reset at each collection), `nodejs.eventloop.utilization`, `nodejs.eventloop.time`, `v8js.gc.duration`
 * (bucketed by the `v8js.gc.duration` default in `DEFAULTS.histograms`), `v8js.memory.heap.*` and
 * `v8js.resource.active`.
 */
export function startRuntimeNode(provider: MeterProvider, options: Required<RuntimeOptions>): Collector {
  // Constructed disabled, given our provider, then enabled: enabled at construction it would start its
  // samplers before it has a meter, and a global lookup could race with another provider registration.
  const instrumentation = new RuntimeNodeInstrumentation({
    enabled: false,
    monitoringPrecision: options.monitoringPrecision,
  });
  instrumentation.setMeterProvider(provider);
  instrumentation.enable();
  return { stop: () => instrumentation.disable() };
}
