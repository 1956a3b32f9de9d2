import {
  createNoopMeter,
  DiagConsoleLogger,
  DiagLogLevel,
  diag,
  type Meter,
  type MeterProvider,
  metrics,
} from '@opentelemetry/api';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  type Resource,
  type ResourceDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from '@opentelemetry/resources';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { CallbackGuard } from './callback-guard.js';
import { DEFAULTS, type LogLevel, type MetricsConfig, type ResolvedConfig, resolveConfig } from './config.js';
import { HttpMetrics } from './http/instrumentation.js';
import { MetricsEndpoint } from './prometheus/handler.js';
import { PrometheusReader } from './prometheus/reader.js';
import { SelfMetrics } from './prometheus/self-metrics.js';
import { type ListeningServer, listen } from './prometheus/server.js';
import { startRuntimeMetrics } from './runtime/collectors.js';
import { processCreationTimeDetector } from './runtime/process.js';
import {
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_PROCESS_COMMAND_ARGS,
  ATTR_PROCESS_COMMAND_LINE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  SCOPE_NAME,
} from './semconv.js';
import { BucketAdvisingMeterProvider, buildViews } from './views.js';

/** What `initMeter()` returns. */
export interface MetricsHandle {
  /** The global MeterProvider (also reachable as `metrics.getMeterProvider()` from `@opentelemetry/api`). */
  readonly meterProvider: MeterProvider;
  /** A meter named after the service, for the application's own instruments. */
  readonly meter: Meter;
  /** Another meter from the same provider, e.g. one per library or component. */
  getMeter(name: string, version?: string): Meter;
  /** Where Prometheus can scrape, once `ready` has resolved; `undefined` when the endpoint is off or failed. */
  readonly metricsUrl: string | undefined;
  /** Resolves when the endpoint listens; rejects with `MetricsError` (`ERR_PORT_IN_USE`, …) if it cannot. */
  readonly ready: Promise<void>;
  /** The resolved, frozen configuration. */
  readonly config: ResolvedConfig;
  /** Flushes push exporters; a no-op for pull-only setups. Never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes, closes the endpoint and unregisters the global provider. Safe to call twice. Never rejects. */
  shutdown(): Promise<void>;
}

interface GlobalSlot {
  handle: MetricsHandle;
  fingerprint: string;
}

// One slot for the whole process, shared by every copy of this package that might be loaded (ESM and CJS).
const SLOT = Symbol.for('otel-metrics-bootstrap.handle');
type Global = typeof globalThis & { [SLOT]?: GlobalSlot };

// The metrics endpoint behind each handle, for `createMetricsHandler()`; not part of the public handle.
const ENDPOINTS = new WeakMap<MetricsHandle, MetricsEndpoint>();

/** The handle `initMeter()` returned and has not shut down yet, if any. */
export function currentHandle(): MetricsHandle | undefined {
  return (globalThis as Global)[SLOT]?.handle;
}

/** The metrics endpoint of a handle; `undefined` when its Prometheus endpoint is off. */
export function endpointOf(handle: MetricsHandle): MetricsEndpoint | undefined {
  return ENDPOINTS.get(handle);
}

/**
 * Sets up metrics for this process: validates the configuration (throwing one `MetricsError` that lists every
 * problem), builds the resource, views and readers, registers the global MeterProvider and starts the
 * Prometheus endpoint. A second call returns the same handle (with a warning if the configuration differs).
 * After it returns, nothing the library does throws into the application.
 */
export function initMeter(config: MetricsConfig = {}): MetricsHandle {
  return startMetrics(config, { logListenErrors: true });
}

/**
 * `initMeter()` with internal knobs. `logListenErrors: false` is for callers that report a failed `ready`
 * themselves (the register entry), so the reason is printed once.
 */
export function startMetrics(config: MetricsConfig, internal: { logListenErrors: boolean }): MetricsHandle {
  const g = globalThis as Global;
  const fingerprint = stableStringify(config);
  const existing = g[SLOT];
  if (existing) {
    if (existing.fingerprint !== fingerprint) {
      diag.warn(
        'otel-metrics-bootstrap: initMeter() was called again with a different configuration; ' +
          'returning the first handle and ignoring the new configuration',
      );
      console.warn(
        'otel-metrics-bootstrap: initMeter() called twice with different configs; keeping the first',
      );
    }
    return existing.handle;
  }
  const resolved = resolveConfig(config);
  setDiagLogger(resolved.logLevel);
  const handle = resolved.disabled
    ? disabledHandle(resolved)
    : createHandle(resolved, internal.logListenErrors);
  g[SLOT] = { handle, fingerprint };
  return handle;
}

function createHandle(config: ResolvedConfig, logListenErrors: boolean): MetricsHandle {
  const readers: IMetricReader[] = [];
  // HTTP metrics reach each reader through its own MetricProducer (pre-bound series, see src/http/series.ts).
  const http =
    config.http.server || config.http.client
      ? new HttpMetrics(config.http, config.views, config.cardinalityLimit)
      : undefined;
  const prometheusReader = config.prometheus
    ? new PrometheusReader({
        cardinalityLimit: config.cardinalityLimit,
        metricProducers: http ? [http.producer()] : [],
      })
    : undefined;
  if (prometheusReader) readers.push(prometheusReader);

  const guard = new CallbackGuard(config.prometheus?.callbackTimeout ?? DEFAULTS.prometheus.callbackTimeout);
  const provider = new BucketAdvisingMeterProvider(
    { resource: buildResource(config), views: buildViews(config.views), readers },
    config.views.unitBuckets,
    guard,
  );
  // Only a missing compatibility-engine package throws here, before anything global is registered.
  http?.start(provider);
  metrics.setGlobalMeterProvider(provider);
  // Given our provider explicitly, so they never depend on which global provider was registered when.
  const runtimeCollectors = startRuntimeMetrics(provider, config);

  let server: ListeningServer | undefined;
  let metricsUrl: string | undefined;
  let ready: Promise<void> = Promise.resolve();
  let endpoint: MetricsEndpoint | undefined;
  if (prometheusReader && config.prometheus) {
    const { host, port, path, tls, listen: serve } = config.prometheus;
    const selfMetrics = config.prometheus.selfMetrics
      ? new SelfMetrics(provider.getMeter(SCOPE_NAME), guard)
      : undefined;
    endpoint = new MetricsEndpoint(prometheusReader, config.prometheus, selfMetrics, {
      onCollected: (errors) => guard.collectionErrors(errors),
    });
    if (serve) {
      ready = listen(endpoint.handle, {
        host,
        port,
        path,
        tls,
        onClientError: (status) => selfMetrics?.request(status, 'bad_request'),
      }).then((s) => {
        server = s;
        metricsUrl = s.url;
      });
      // A port clash must never become an unhandled rejection that kills the app; it is reported here and
      // through `ready` for callers that await it.
      ready.catch((err: Error) => {
        if (logListenErrors)
          diag.error(`otel-metrics-bootstrap: metrics endpoint not started: ${err.message}`);
      });
    }
  }

  let shutdownPromise: Promise<void> | undefined;
  const handle: MetricsHandle = {
    meterProvider: provider,
    meter: provider.getMeter(config.serviceName ?? SCOPE_NAME, config.serviceVersion),
    getMeter: (name, version) => provider.getMeter(name, version),
    get metricsUrl() {
      return metricsUrl;
    },
    ready,
    config,
    forceFlush: () =>
      provider
        .forceFlush()
        .catch((err: unknown) => diag.error('otel-metrics-bootstrap: forceFlush failed', err)),
    shutdown: () => {
      shutdownPromise ??= (async () => {
        http?.stop();
        endpoint?.startShutdown();
        await ready.catch(() => undefined);
        runtimeCollectors.stop();
        await Promise.allSettled([server?.close(), provider.shutdown()]).then((results) => {
          for (const r of results) {
            if (r.status === 'rejected') diag.error('otel-metrics-bootstrap: shutdown step failed', r.reason);
          }
        });
        release(handle);
      })();
      return shutdownPromise;
    },
  };
  if (endpoint) ENDPOINTS.set(handle, endpoint);
  return handle;
}

/** `OTEL_SDK_DISABLED=true`: everything works and records nothing. */
function disabledHandle(config: ResolvedConfig): MetricsHandle {
  const meter = createNoopMeter();
  const provider: MeterProvider = { getMeter: () => meter };
  const handle: MetricsHandle = {
    meterProvider: provider,
    meter,
    getMeter: () => meter,
    metricsUrl: undefined,
    ready: Promise.resolve(),
    config,
    forceFlush: async () => {},
    shutdown: async () => {
      release(handle);
    },
  };
  return handle;
}

function release(handle: MetricsHandle): void {
  const g = globalThis as Global;
  if (g[SLOT]?.handle !== handle) return;
  delete g[SLOT];
  if (handle.meterProvider === metrics.getMeterProvider()) metrics.disable();
}

/**
 * SDK defaults (telemetry.sdk.*), then the detectors (env, process, host, os, instance id), then what the
 * configuration says, each layer winning over the one before. `process.command_args`/`command_line` are
 * dropped: they are long, change with every flag, and often carry secrets — the wrong thing for a label.
 */
function buildResource(config: ResolvedConfig): Resource {
  const detected = detectResources({
    detectors: [
      envDetector,
      processDetectorWithoutArgs,
      processCreationTimeDetector,
      hostDetector,
      osDetector,
      serviceInstanceIdDetector,
    ],
  });
  const own: Record<string, string | number | boolean> = {};
  if (config.serviceName !== undefined) own[ATTR_SERVICE_NAME] = config.serviceName;
  if (config.serviceVersion !== undefined) own[ATTR_SERVICE_VERSION] = config.serviceVersion;
  if (config.environment !== undefined) own[ATTR_DEPLOYMENT_ENVIRONMENT_NAME] = config.environment;
  Object.assign(own, config.resourceAttributes);
  return defaultResource().merge(detected).merge(resourceFromAttributes(own));
}

const processDetectorWithoutArgs: ResourceDetector = {
  detect(config) {
    const { attributes = {} } = processDetector.detect(config);
    const { [ATTR_PROCESS_COMMAND_ARGS]: _args, [ATTR_PROCESS_COMMAND_LINE]: _line, ...rest } = attributes;
    return { attributes: rest };
  },
};

const DIAG_LEVELS: Readonly<Record<LogLevel, DiagLogLevel>> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

function setDiagLogger(level: LogLevel): void {
  if (level === 'none') return;
  diag.setLogger(new DiagConsoleLogger(), { logLevel: DIAG_LEVELS[level], suppressOverrideMessage: true });
}

/** Key-order-independent JSON, to tell whether a second `initMeter()` asked for something else. */
function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : typeof v === 'function'
        ? `[function ${(v as { name?: string }).name ?? ''}]`
        : v,
  );
}
