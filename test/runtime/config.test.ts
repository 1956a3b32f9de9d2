import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { MetricsError } from '../../src/errors.js';
import { METRIC_V8JS_GC_DURATION } from '../../src/semconv.js';
import { GC_DURATION_BUCKETS } from '../../src/views.js';

function problemsOf(fn: () => unknown): { code: string; source: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MetricsError);
    return (err as MetricsError).problems.map(({ code, source }) => ({ code, source }));
  }
  throw new Error('expected a MetricsError');
}

const DEFAULT_GROUPS = ['process.cpu', 'process.memory', 'process.uptime', 'process.fd'];

describe('runtime and host configuration', () => {
  it('turns runtime metrics and the process groups on by default, system groups and prom-client names off', () => {
    const c = resolveConfig({}, {});
    expect(c.runtime).toEqual({ monitoringPrecision: 10 });
    expect(c.host).toEqual({ groups: DEFAULT_GROUPS });
    expect(c.promClientCompat).toBe(false);
  });

  it('gives v8js.gc.duration GC-pause buckets unless histograms names it', () => {
    expect(resolveConfig({}, {}).views.histograms[METRIC_V8JS_GC_DURATION]).toEqual(GC_DURATION_BUCKETS);
    const own = resolveConfig({ histograms: { [METRIC_V8JS_GC_DURATION]: [0.01, 0.1] } }, {});
    expect(own.views.histograms[METRIC_V8JS_GC_DURATION]).toEqual([0.01, 0.1]);
  });

  it('reads the sampling interval, the groups and prom-client compatibility from options, then the environment', () => {
    const env = {
      OMB_RUNTIME_MONITORING_PRECISION: '25',
      OMB_HOST_METRICS_GROUPS: 'process.cpu, system.memory',
      OMB_PROM_CLIENT_COMPAT: 'true',
    };
    const fromEnv = resolveConfig({}, env);
    expect(fromEnv.runtime).toEqual({ monitoringPrecision: 25 });
    expect(fromEnv.host).toEqual({ groups: ['process.cpu', 'system.memory'] });
    expect(fromEnv.promClientCompat).toBe(true);
    const explicit = resolveConfig(
      { runtime: { monitoringPrecision: 5 }, host: { groups: ['system'] }, promClientCompat: false },
      env,
    );
    expect(explicit.runtime).toEqual({ monitoringPrecision: 5 });
    expect(explicit.host).toEqual({ groups: ['system.cpu', 'system.memory', 'system.network'] });
    expect(explicit.promClientCompat).toBe(false);
  });

  it('expands the group shorthands `process` and `system` and keeps a canonical order', () => {
    expect(resolveConfig({ host: { groups: ['system.network', 'process'] } }, {}).host?.groups).toEqual([
      'process.cpu',
      'process.memory',
      'process.uptime',
      'process.fd',
      'system.network',
    ]);
  });

  it('turns each collector off with false, and on with true', () => {
    const off = resolveConfig({ runtime: false, host: false }, {});
    expect(off.runtime).toBeUndefined();
    expect(off.host).toBeUndefined();
    const on = resolveConfig(
      { runtime: true, host: true },
      { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'runtime-node,host-metrics' },
    );
    expect(on.runtime).toEqual({ monitoringPrecision: 10 });
    expect(on.host).toEqual({ groups: DEFAULT_GROUPS });
  });

  it('applies OTEL_NODE_ENABLED_INSTRUMENTATIONS first, then OTEL_NODE_DISABLED_INSTRUMENTATIONS', () => {
    const only = resolveConfig({}, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http, runtime-node' });
    expect(only.runtime).toBeDefined();
    expect(only.host).toBeUndefined();
    const both = resolveConfig(
      {},
      {
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'runtime-node,host-metrics',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'runtime-node',
      },
    );
    expect(both.runtime).toBeUndefined();
    expect(both.host).toBeDefined();
    const disabledOnly = resolveConfig({}, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'host-metrics,express' });
    expect(disabledOnly.runtime).toBeDefined();
    expect(disabledOnly.host).toBeUndefined();
  });

  it('reports a bad sampling interval, unknown groups and unknown keys all at once', () => {
    expect(
      problemsOf(() =>
        resolveConfig(
          {
            // @ts-expect-error: wrong on purpose
            runtime: { monitoringPrecision: 0, resolution: 5 },
            // @ts-expect-error: wrong on purpose
            host: { groups: ['process.cpu', 'disk'] },
          },
          {},
        ),
      ),
    ).toEqual([
      { code: 'ERR_UNKNOWN_OPTION', source: 'runtime.resolution' },
      { code: 'ERR_INVALID_MONITORING_PRECISION', source: 'runtime.monitoringPrecision' },
      { code: 'ERR_UNKNOWN_METRIC_GROUP', source: 'host.groups' },
    ]);
    expect(
      problemsOf(() =>
        resolveConfig(
          {},
          {
            OMB_RUNTIME_MONITORING_PRECISION: '1.5',
            OMB_HOST_METRICS_GROUPS: 'gpu',
            OMB_PROM_CLIENT_COMPAT: 'yes',
          },
        ),
      ),
    ).toEqual([
      { code: 'ERR_INVALID_MONITORING_PRECISION', source: 'OMB_RUNTIME_MONITORING_PRECISION' },
      { code: 'ERR_UNKNOWN_METRIC_GROUP', source: 'OMB_HOST_METRICS_GROUPS' },
      { code: 'ERR_INVALID_BOOLEAN', source: 'OMB_PROM_CLIENT_COMPAT' },
    ]);
    // @ts-expect-error: wrong on purpose
    expect(problemsOf(() => resolveConfig({ runtime: 'yes' }, {}))).toEqual([
      { code: 'ERR_INVALID_CONFIG', source: 'runtime' },
    ]);
  });
});
