import { describe, expect, it } from 'vitest';
import { DEFAULTS, resolveConfig } from '../src/config.js';
import { MetricsError } from '../src/errors.js';

function problemsOf(fn: () => unknown): { code: string; source: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MetricsError);
    return [...(err as MetricsError).problems];
  }
  throw new Error('expected a MetricsError');
}

describe('resolveConfig', () => {
  it('applies the defaults when nothing is set', () => {
    const c = resolveConfig({}, {});
    expect(c.prometheus).toMatchObject({
      host: 'localhost',
      port: 9464,
      path: '/metrics',
      targetInfo: true,
      scopeInfo: true,
    });
    expect(c.exporters).toEqual(['prometheus']);
    expect(c.cardinalityLimit).toBe(2000);
    expect(c.disabled).toBe(false);
    expect(c.views.unitBuckets['s']).toEqual(DEFAULTS.unitBuckets['s']);
  });

  it('prefers the explicit option over the environment, and the environment over the default', () => {
    const env = {
      OTEL_EXPORTER_PROMETHEUS_PORT: '9999',
      OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0',
      OTEL_SERVICE_NAME: 'env-svc',
    };
    expect(resolveConfig({ prometheus: { port: 1234 } }, env).prometheus?.port).toBe(1234);
    expect(resolveConfig({}, env).prometheus?.port).toBe(9999);
    expect(resolveConfig({}, env).prometheus?.host).toBe('0.0.0.0');
    expect(resolveConfig({ serviceName: 'opt-svc' }, env).serviceName).toBe('opt-svc');
    expect(resolveConfig({}, env).serviceName).toBe('env-svc');
  });

  it('keeps an explicit port 0 rather than falling back to the default', () => {
    expect(
      resolveConfig({ prometheus: { port: 0 } }, { OTEL_EXPORTER_PROMETHEUS_PORT: '9999' }).prometheus?.port,
    ).toBe(0);
  });

  it('reports every problem at once in one MetricsError', () => {
    const problems = problemsOf(() =>
      resolveConfig(
        {
          prometheus: { port: 70000, path: 'metrics' },
          histograms: { 'checkout.duration': [1, 0.5, 2] },
          // @ts-expect-error: an unknown exporter on purpose
          exporters: ['prometheus', 'zipkin'],
          cardinalityLimit: -5,
        },
        { OTEL_LOG_LEVEL: 'loud' },
      ),
    );
    expect(problems.map((p) => p.code).sort()).toEqual([
      'ERR_INVALID_BUCKETS',
      'ERR_INVALID_CARDINALITY_LIMIT',
      'ERR_INVALID_LOG_LEVEL',
      'ERR_INVALID_PATH',
      'ERR_INVALID_PORT',
      'ERR_UNKNOWN_EXPORTER',
    ]);
    const err = (() => {
      try {
        resolveConfig({ prometheus: { port: 70000 } }, { OMB_CARDINALITY_LIMIT: 'many' });
      } catch (e) {
        return e as MetricsError;
      }
    })();
    expect(err?.code).toBe('ERR_INVALID_CONFIG');
    expect(err?.message).toContain('2 problems');
    expect(err?.message).toContain('prometheus.port: 70000 is not a port');
    expect(err?.message).toContain('OMB_CARDINALITY_LIMIT: "many" is not a valid cardinality limit');
  });

  it('names the environment variable when the bad value came from the environment', () => {
    const [p] = problemsOf(() => resolveConfig({}, { OTEL_EXPORTER_PROMETHEUS_PORT: 'abc' }));
    expect(p).toMatchObject({ code: 'ERR_INVALID_PORT', source: 'OTEL_EXPORTER_PROMETHEUS_PORT' });
  });

  it('rejects a string port given in code', () => {
    // @ts-expect-error: wrong type on purpose
    const [p] = problemsOf(() => resolveConfig({ prometheus: { port: 'abc' } }, {}));
    expect(p?.code).toBe('ERR_INVALID_PORT');
    expect(p?.message).toContain('"abc" is not a port');
  });

  it('explains exactly where a bucket list stops increasing', () => {
    const [p] = problemsOf(() => resolveConfig({ histograms: { 'a.b': [0.1, 0.5, 0.5] } }, {}));
    expect(p).toMatchObject({ code: 'ERR_INVALID_BUCKETS', source: 'histograms["a.b"]' });
    expect(p?.message).toContain('0.5 follows 0.5 at index 2');
  });

  it('suggests the nearest option name for a typo', () => {
    // @ts-expect-error: typo on purpose
    const [p] = problemsOf(() => resolveConfig({ serviceNmae: 'x' }, {}));
    expect(p).toMatchObject({ code: 'ERR_UNKNOWN_OPTION', source: 'serviceNmae' });
    expect(p?.message).toContain('did you mean `serviceName`');
  });

  it('rejects wildcard instrument names in per-instrument maps', () => {
    const [p] = problemsOf(() => resolveConfig({ cardinalityLimits: { 'http.*': 10 } }, {}));
    expect(p?.code).toBe('ERR_INVALID_INSTRUMENT_NAME');
  });

  it('lets `none` in OTEL_METRICS_EXPORTER win and turns the endpoint off', () => {
    const c = resolveConfig({}, { OTEL_METRICS_EXPORTER: 'prometheus,none' });
    expect(c.exporters).toEqual([]);
    expect(c.prometheus).toBeUndefined();
  });

  it('rejects an unknown exporter named in the environment', () => {
    const [p] = problemsOf(() => resolveConfig({}, { OTEL_METRICS_EXPORTER: 'prometheus,zipkin' }));
    expect(p).toMatchObject({ code: 'ERR_UNKNOWN_EXPORTER', source: 'OTEL_METRICS_EXPORTER' });
  });

  it('treats OTEL_SDK_DISABLED per the spec: only "true" disables, anything else is false', () => {
    expect(resolveConfig({}, { OTEL_SDK_DISABLED: 'TRUE' }).disabled).toBe(true);
    expect(resolveConfig({}, { OTEL_SDK_DISABLED: 'false' }).disabled).toBe(false);
    expect(resolveConfig({}, { OTEL_SDK_DISABLED: '' }).disabled).toBe(false);
  });

  it('parses seconds buckets from OMB_SECONDS_BUCKETS', () => {
    expect(resolveConfig({}, { OMB_SECONDS_BUCKETS: '0.01, 0.1,1' }).views.unitBuckets['s']).toEqual([
      0.01, 0.1, 1,
    ]);
    const [p] = problemsOf(() => resolveConfig({}, { OMB_SECONDS_BUCKETS: '1,,2' }));
    expect(p?.code).toBe('ERR_INVALID_BUCKETS');
  });

  it('returns a frozen object', () => {
    const c = resolveConfig({ histograms: { x: [1, 2] } }, {});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.views.histograms['x'])).toBe(true);
  });
});
