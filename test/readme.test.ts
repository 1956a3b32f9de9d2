import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ClusterOptions } from '../src/cluster/options.js';
import { ENV, type MetricsConfig } from '../src/config.js';
import { ERROR_CODES } from '../src/errors.js';
import type {
  ConsoleOptions,
  OtlpOptions,
  PushgatewayOptions,
  StatsdOptions,
} from '../src/export/options.js';
import type { HttpOptions } from '../src/http/options.js';
import type { PrometheusOptions } from '../src/prometheus/options.js';
import type { HostOptions, RuntimeOptions } from '../src/runtime/options.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/**
 * Every key of an options type, under `prefix`. `Record<keyof T, true>` makes the typecheck fail when an option is
 * added to the type but not here, so a new option cannot skip the README check below.
 */
function paths<T>(prefix: string, keys: Record<keyof T, true>): string[] {
  return Object.keys(keys).map((k) => `${prefix}${k}`);
}

const OPTION_PATHS = [
  ...paths<MetricsConfig>('', {
    serviceName: true,
    serviceVersion: true,
    environment: true,
    resourceAttributes: true,
    disabled: true,
    exporters: true,
    prometheus: true,
    histograms: true,
    unitBuckets: true,
    histogramAggregation: true,
    unitHistogramAggregation: true,
    histogramAggregations: true,
    attributes: true,
    cardinalityLimit: true,
    cardinalityLimits: true,
    views: true,
    logLevel: true,
    runtime: true,
    host: true,
    promClientCompat: true,
    http: true,
    drainTimeout: true,
    otlp: true,
    pushgateway: true,
    statsd: true,
    console: true,
    readers: true,
    shutdownTimeoutMs: true,
    namespace: true,
    subsystem: true,
    instruments: true,
    cluster: true,
  }).filter((path) => path !== 'instruments'), // `instruments` has no row of its own; its limits below have theirs.
  ...paths<NonNullable<MetricsConfig['instruments']>>('instruments.', {
    maxSeries: true,
    valueLengthLimit: true,
  }),
  ...paths<PrometheusOptions>('prometheus.', {
    host: true,
    port: true,
    path: true,
    targetInfo: true,
    targetInfoEnabled: true,
    scopeInfo: true,
    nativeWithClassic: true,
    scopeInfoEnabled: true,
    translationStrategy: true,
    resourceConstantLabels: true,
    listen: true,
    healthPath: true,
    readyPath: true,
    authToken: true,
    basicAuth: true,
    compression: true,
    compressionThreshold: true,
    maxConcurrentScrapes: true,
    rateLimit: true,
    cacheTtl: true,
    scrapeTimeout: true,
    coalesceWindow: true,
    callbackTimeout: true,
    maxResponseBytes: true,
    tls: true,
    selfMetrics: true,
    rateLimitBurst: true,
    maxConnections: true,
    headerTimeout: true,
    tlsHandshakeTimeout: true,
    sendTimeout: true,
    maxQueuedBytes: true,
    ui: true,
    uiPath: true,
  }),
  ...paths<ClusterOptions>('cluster.', { timeout: true, output: true, gauges: true }),
  ...paths<RuntimeOptions>('runtime.', { monitoringPrecision: true }),
  ...paths<HostOptions>('host.', { groups: true }),
  ...paths<HttpOptions>('http.', {
    server: true,
    client: true,
    routes: true,
    ignore: true,
    optInAttributes: true,
    knownMethods: true,
    engine: true,
  }),
  ...paths<OtlpOptions>('otlp.', {
    endpoint: true,
    protocol: true,
    headers: true,
    compression: true,
    intervalMs: true,
    timeoutMs: true,
    temporality: true,
    tls: true,
  }),
  ...paths<PushgatewayOptions>('pushgateway.', {
    url: true,
    job: true,
    groupingKey: true,
    intervalMs: true,
    timeoutMs: true,
    auth: true,
    deleteOnShutdown: true,
    method: true,
  }),
  ...paths<StatsdOptions>('statsd.', {
    host: true,
    port: true,
    socketPath: true,
    prefix: true,
    protocol: true,
    tags: true,
    maxPacketBytes: true,
    intervalMs: true,
  }),
  ...paths<ConsoleOptions>('console.', { write: true, intervalMs: true }),
];

describe('README', () => {
  it.each(ERROR_CODES)('documents the error code %s in the error table', (code) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${code}\`\\s*\\|`, 'm'));
  });

  it.each(Object.keys(ENV))('documents the environment variable %s in the configuration table', (name) => {
    expect(readme).toMatch(new RegExp(`^\\|.*\`${name}\`.*\\|`, 'm'));
  });

  it.each(OPTION_PATHS)('documents the option %s in the configuration table', (path) => {
    // `prometheus` and `http` have their row as `prometheus: false` / `http: false`.
    expect(readme).toMatch(new RegExp(`^\\| \`${path.replaceAll('.', '\\.')}(\`|: )`, 'm'));
  });

  it('shows the two commands that set everything up', () => {
    expect(readme).toContain('npm install && npm run demo');
    expect(readme).toContain('npm test');
  });
});
