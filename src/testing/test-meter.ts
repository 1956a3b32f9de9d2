import { diag, type Meter, type MeterOptions, type MeterProvider } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import { type MetricsConfig, type ResolvedConfig, resolveConfig } from '../config.js';
import { type Instruments, instrumentsFor } from '../instruments/instruments.js';
import { attachRegistry, InstrumentRegistry } from '../instruments/registry.js';
import { type ExpositionFormat, PrometheusSerializer } from '../prometheus/serializer.js';
import {
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  SCOPE_NAME,
} from '../semconv.js';
import { BucketAdvisingMeterProvider, buildViews } from '../views.js';
import { ResettableProducer } from './baseline.js';
import { InMemoryMetricReader } from './reader.js';
import { ResettableMeterProvider } from './resettable.js';
import { type MetricsSnapshot, toSnapshot } from './snapshot.js';

/** `createTestMeter()` options: the same configuration `initMeter()` takes, plus two test-only fields. */
export interface TestMeterOptions extends MetricsConfig {
  /**
   * Extra MetricProducers whose metrics every collection includes, as a reader of `initMeter()` would (for
   * example the HTTP metrics producer). `reset()` rebases them: afterwards, sums and histograms show only what
   * changed since the reset and unchanged series are left out; gauges are shown as they are. Default none.
   */
  metricProducers?: MetricProducer[];
  /**
   * The environment variables the configuration is resolved against. Default `{}`, so a test gives the same result
   * on every machine and CI (`OMB_SECONDS_BUCKETS` or `NODE_ENV` set there change nothing); pass `process.env` to
   * resolve exactly as `initMeter()` would in this process.
   */
  env?: Readonly<Record<string, string | undefined>>;
}

/** An isolated MeterProvider for tests, with lookups and assertions on what it recorded. */
export interface TestMeter {
  /** A meter named like `initMeter()`'s (`serviceName`, else `otel-metrics-bootstrap`), valid across `reset()`. */
  readonly meter: Meter;
  /**
   * The provider behind `meter`: hand it (or meters from it) to the code under test. Never registered globally.
   * Meters and instruments obtained from it stay valid across `reset()`.
   */
  readonly meterProvider: MeterProvider;
  /** `meterProvider.getMeter()`: another meter (scope) on the same provider. */
  getMeter(name: string, version?: string, options?: MeterOptions): Meter;
  /** The resolved configuration, as `initMeter()` would resolve it (against `options.env`). */
  readonly config: ResolvedConfig;
  /**
   * The instruments API on this provider, as `telemetry.instruments` (`createInstruments({ meter })` with this
   * meter gives the same registry). `reset()` rebases its series like other producers'.
   */
  readonly instruments: Instruments;
  /** Collects everything recorded since creation or the last `reset()` into a plain snapshot with lookups. */
  collect(): Promise<MetricsSnapshot>;
  /**
   * Collects and serializes exactly as the `/metrics` endpoint would, with the configured `targetInfo` and
   * `scopeInfo`. `target_info` carries only the configured resource attributes (no host or process detection),
   * so the text is the same on every machine. Default format `text` (Prometheus 0.0.4).
   */
  exposition(format?: ExpositionFormat): Promise<string>;
  /**
   * Starts over from empty: a fresh SDK provider and reader replace the old ones, behind the same `meter` and
   * `meterProvider`. Instruments created before the reset keep working and record into the new provider; nothing
   * recorded before it appears afterwards. Observable callbacks stay registered. Producers are rebased (see
   * `metricProducers`). Await it before recording again.
   */
  reset(): Promise<void>;
  /** Shuts the provider down; later `collect()`/`reset()` reject. Safe to call twice. */
  shutdown(): Promise<void>;
}

/**
 * Creates an isolated, never-global MeterProvider that applies the same views, bucket defaults, cardinality limits
 * and Prometheus naming as `initMeter(config)`, with an in-memory pull reader. Throws `MetricsError` for a
 * configuration `initMeter()` would reject. `disabled`, `exporters`, the endpoint's host/port/path and `logLevel`
 * have no effect here: a test meter always records, serves nothing and leaves the global `diag` logger alone.
 *
 * ```ts
 * const metrics = createTestMeter({ histograms: { 'checkout.duration': [0.1, 0.5, 1] } });
 * const service = new Checkout(metrics.meter);
 * await service.checkout();
 * expect(await metrics.collect()).toHaveCounter('orders.placed', { 'payment.method': 'card' }, 1);
 * ```
 */
export function createTestMeter(options: TestMeterOptions = {}): TestMeter {
  const { metricProducers = [], env = {}, ...config } = options;
  const resolved = resolveConfig(config, env);
  const registry = new InstrumentRegistry(resolved.views, resolved.cardinalityLimit);
  const producers = [...metricProducers, registry.producer()].map((p) => new ResettableProducer(p));
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: resolved.serviceName ?? 'unknown_service:node',
    ...(resolved.serviceVersion !== undefined && { [ATTR_SERVICE_VERSION]: resolved.serviceVersion }),
    ...(resolved.environment !== undefined && { [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: resolved.environment }),
    ...resolved.resourceAttributes,
  });
  const serializer = new PrometheusSerializer({
    targetInfo: resolved.prometheus?.targetInfo ?? true,
    scopeInfo: resolved.prometheus?.scopeInfo ?? true,
    translationStrategy: resolved.prometheus?.translationStrategy,
    resourceConstantLabels: resolved.prometheus?.resourceConstantLabels,
  });

  let reader!: InMemoryMetricReader;
  const provider = new ResettableMeterProvider(() => {
    reader = new InMemoryMetricReader({
      cardinalityLimit: resolved.cardinalityLimit,
      metricProducers: producers,
    });
    return new BucketAdvisingMeterProvider(
      { resource, views: buildViews(resolved.views), readers: [reader] },
      resolved.views,
    );
  });

  let closed = false;
  let shutdownPromise: Promise<void> | undefined;
  const retiring = new Set<Promise<void>>();
  const open = (what: string) => {
    if (closed) throw new Error(`TestMeter.${what}(): the test meter is shut down`);
  };

  return {
    meter: attachRegistry(
      provider.getMeter(resolved.serviceName ?? SCOPE_NAME, resolved.serviceVersion),
      registry,
    ),
    meterProvider: provider,
    getMeter: (name, version, meterOptions) =>
      attachRegistry(provider.getMeter(name, version, meterOptions), registry),
    config: resolved,
    instruments: instrumentsFor(registry, resolved.instruments),
    async collect() {
      open('collect');
      const { resourceMetrics, errors } = await reader.collect();
      return toSnapshot(resourceMetrics, errors);
    },
    async exposition(format = 'text') {
      open('exposition');
      const { resourceMetrics } = await reader.collect();
      return serializer.serialize(resourceMetrics, format);
    },
    async reset() {
      open('reset');
      // Swap first, synchronously: anything recorded from here on lands in the new provider.
      const previous = provider.swap() as BucketAdvisingMeterProvider;
      const done = previous
        .shutdown()
        .catch((err: unknown) => diag.warn('otel-metrics-bootstrap: test meter reset', err))
        .finally(() => retiring.delete(done));
      retiring.add(done);
      await Promise.all(producers.map((p) => p.rebase()));
    },
    shutdown() {
      closed = true;
      shutdownPromise ??= Promise.all([
        (provider.current as BucketAdvisingMeterProvider).shutdown(),
        ...retiring,
      ]).then(() => undefined);
      return shutdownPromise;
    },
  };
}
