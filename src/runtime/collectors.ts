import { diag, type MeterProvider } from '@opentelemetry/api';
import type { ResolvedConfig } from '../config.js';
import { PROM_CLIENT_SCOPE_NAME, SCOPE_NAME } from '../semconv.js';
import { startHostMetrics } from './host-metrics.js';
import { type ProcOptions, startProcessMetrics } from './process.js';
import { startPromClientCompat } from './prom-client.js';
import { startRuntimeNode } from './runtime-node.js';

/** A started set of instruments and samplers. `stop()` detaches them; it never throws and may be called twice. */
export interface Collector {
  stop(): void;
}

/** The part of the resolved configuration the collectors read. */
export type RuntimeSettings = Pick<ResolvedConfig, 'runtime' | 'host' | 'promClientCompat'>;

/**
 * Starts the runtime, process and host collectors the configuration asks for, on `provider` (never the global
 * one). A collector that fails to start is logged through `diag` and left out; the others still start, and
 * nothing is thrown: this runs inside `initMeter()`, after validation.
 */
export function startRuntimeMetrics(
  provider: MeterProvider,
  settings: RuntimeSettings,
  options: ProcOptions = {},
): Collector {
  const collectors: Collector[] = [];
  const start = (what: string, fn: () => Collector | undefined) => {
    try {
      const c = fn();
      if (c) collectors.push(c);
    } catch (err) {
      diag.error(`otel-metrics-bootstrap: ${what} metrics not started`, err);
    }
  };
  const { runtime, host } = settings;
  if (runtime) start('runtime', () => startRuntimeNode(provider, runtime));
  if (host) {
    start('host', () => startHostMetrics(provider, host.groups));
    start('process', () => startProcessMetrics(provider.getMeter(SCOPE_NAME), host.groups, options));
  }
  if (settings.promClientCompat) {
    start('prom-client compatible', () =>
      startPromClientCompat(provider.getMeter(PROM_CLIENT_SCOPE_NAME), options),
    );
  }
  return {
    stop() {
      for (const c of collectors.splice(0)) {
        try {
          c.stop();
        } catch (err) {
          diag.error('otel-metrics-bootstrap: stopping a runtime collector failed', err);
        }
      }
    },
  };
}
