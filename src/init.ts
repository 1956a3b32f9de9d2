import cluster from 'node:cluster';
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
import { ClusterPrimary } from './cluster/primary.js';
import { answerPrimary, pm2Instance } from './cluster/worker.js';
import {
  type LogLevel,
  type MetricsConfig,
  type ResolvedConfig,
  type ResolveInternals,
  resolveConfigAndWarnings,
} from './config.js';
import { createExportReaders } from './export/readers.js';
import { state } from './global-state.js';
import { HttpMetrics } from './http/instrumentation.js';
import type { Instruments } from './instruments/instruments.js';
import { attachRegistry, InstrumentRegistry } from './instruments/registry.js';
import { loadSync } from './load-sync.js';
import { isRecord } from './option-reader.js';
import { MetricsEndpoint } from './prometheus/handler.js';
import { attachEndpoint } from './prometheus/mount.js';
import { PROMETHEUS_DEFAULTS, type ResolvedPrometheusOptions } from './prometheus/options.js';
import { PrometheusReader } from './prometheus/reader.js';
import type { MetricsSource } from './prometheus/scrape.js';
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
  /** Counters, gauges, histograms, summaries and timers on pre-bound series (README "Instruments"). */
  readonly instruments: Instruments;
  /** Flushes push exporters; a no-op for pull-only setups. Never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes, closes the endpoint and unregisters the global provider. Safe to call twice. Never rejects. */
  shutdown(): Promise<void>;
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
export function startMetrics(
  config: MetricsConfig,
  internal: { logListenErrors: boolean } & ResolveInternals,
): MetricsHandle {
  const fingerprint = stableStringify(config);
  const existing = state.init;
  if (existing) {
    if (existing.fingerprint !== fingerprint) {
      const differs = differingOptions(JSON.parse(existing.fingerprint), JSON.parse(fingerprint), '');
      diag.warn(
        `otel-metrics-bootstrap: initMeter() was called again with a different configuration ` +
          `(${differs.join(', ')}); returning the first handle and ignoring the new configuration`,
      );
    }
    return existing.handle;
  }
  const { config: resolved, warnings } = resolveConfigAndWarnings(config, process.env, internal);
  setDiagLogger(resolved.logLevel);
  for (const w of warnings) diag.warn(w);
  const handle = resolved.disabled
    ? disabledHandle(resolved)
    : createHandle(resolved, internal.logListenErrors);
  state.init = { handle, fingerprint };
  return handle;
}

/**
 * The instruments API's facade (counters, gauges, histograms, summaries, timers and their option checks), loaded
 * on first use of `telemetry.instruments`: most apps never touch it (see load-sync.ts).
 */
function lazyInstruments(registry: InstrumentRegistry, config: ResolvedConfig): () => Instruments {
  let instruments: Instruments | undefined;
  return () => {
    instruments ??= loadSync<typeof import('./instruments/instruments.js')>(
      './instruments/instruments.js',
    ).instrumentsFor(registry, config.instruments);
    return instruments;
  };
}

/**
 * Every reader of the provider. The HTTP metrics and the instruments API reach each reader through its own
 * MetricProducer (pre-bound series, see src/http/series.ts).
 */
function createReaders(config: ResolvedConfig, registry: InstrumentRegistry) {
  const http =
    config.http.server || config.http.client
      ? new HttpMetrics(config.http, config.views, config.cardinalityLimit)
      : undefined;
  const prometheusReader = config.prometheus
    ? new PrometheusReader({
        cardinalityLimit: config.cardinalityLimit,
        metricProducers: http ? [http.producer(), registry.producer()] : [registry.producer()],
      })
    : undefined;
  const exporting = createExportReaders(config, http, registry);
  const readers: IMetricReader[] = prometheusReader
    ? [prometheusReader, ...exporting.readers]
    : [...exporting.readers];
  return { http, prometheusReader, exporting, readers };
}

function createHandle(config: ResolvedConfig, logListenErrors: boolean): MetricsHandle {
  const registry = new InstrumentRegistry(config.views, config.cardinalityLimit);
  const { http, prometheusReader, exporting, readers } = createReaders(config, registry);

  const guard = new CallbackGuard(config.prometheus?.callbackTimeout ?? PROMETHEUS_DEFAULTS.callbackTimeout);
  const provider = new BucketAdvisingMeterProvider(
    { resource: buildResource(config), views: buildViews(config.views), readers },
    config.views,
    guard,
  );
  // Only a missing compatibility-engine package throws here, before anything global is registered.
  http?.start(provider);
  exporting.start(provider.getMeter(SCOPE_NAME));
  metrics.setGlobalMeterProvider(provider);
  // Given our provider explicitly, so they never depend on which global provider was registered when.
  const runtimeCollectors = startRuntimeMetrics(provider, config);

  const role =
    prometheusReader && config.prometheus ? clusterRole(config, prometheusReader, provider) : undefined;
  const served =
    role?.serve && config.prometheus
      ? serveEndpoint(role.source, role.options, provider, guard, logListenErrors)
      : undefined;
  const endpoint = served?.endpoint;
  const ready = served?.ready ?? Promise.resolve();

  let shutdownPromise: Promise<void> | undefined;
  const instruments = lazyInstruments(registry, config);
  const handle: MetricsHandle = {
    meterProvider: provider,
    meter: attachRegistry(
      provider.getMeter(config.serviceName ?? SCOPE_NAME, config.serviceVersion),
      registry,
    ),
    getMeter: (name, version) => attachRegistry(provider.getMeter(name, version), registry),
    get metricsUrl() {
      return served?.server?.url;
    },
    ready,
    config,
    get instruments() {
      return instruments();
    },
    forceFlush: () =>
      provider
        .forceFlush()
        .catch((err: unknown) => diag.error('otel-metrics-bootstrap: forceFlush failed', err)),
    shutdown: () => {
      shutdownPromise ??= (async () => {
        http?.stop();
        role?.stopAnswering?.();
        endpoint?.startShutdown();
        await ready.catch(() => undefined);
        runtimeCollectors.stop();
        role?.primary?.stop();
        await Promise.allSettled([served?.server?.close(), exporting.shutdown(provider)]).then((results) => {
          for (const r of results) {
            if (r.status === 'rejected') diag.error('otel-metrics-bootstrap: shutdown step failed', r.reason);
          }
        });
        release(handle);
      })();
      return shutdownPromise;
    },
  };
  if (endpoint) attachEndpoint(handle, endpoint);
  return handle;
}

/**
 * Cluster mode: a worker binds no port and answers the primary; the primary serves everyone's data. Under PM2
 * (whose daemon is the primary) each instance serves its own endpoint on the configured port + its instance.
 * Without cluster mode, the reader serves as it is.
 */
function clusterRole(
  config: ResolvedConfig,
  reader: PrometheusReader,
  provider: BucketAdvisingMeterProvider,
) {
  const options = config.prometheus!;
  const pm2 = config.cluster ? pm2Instance(cluster.isWorker) : undefined;
  const worker = config.cluster !== undefined && cluster.isWorker && pm2 === undefined;
  const stopAnswering = worker && config.cluster ? answerPrimary(reader, config.cluster.timeout) : undefined;
  const primary =
    !cluster.isWorker && config.cluster
      ? new ClusterPrimary(reader, config.cluster, provider.getMeter(SCOPE_NAME))
      : undefined;
  return {
    serve: !worker,
    source: (primary ?? reader) as MetricsSource,
    options: pm2 !== undefined && options.port !== 0 ? { ...options, port: options.port + pm2 } : options,
    primary,
    stopAnswering,
  };
}

/**
 * The Prometheus endpoint over `reader`, listening on its own port unless `listen: false`. `server` is set once
 * it listens; a failure to listen is reported through `ready` (and logged when `logListenErrors`).
 */
function serveEndpoint(
  reader: MetricsSource,
  options: ResolvedPrometheusOptions,
  provider: BucketAdvisingMeterProvider,
  guard: CallbackGuard,
  logListenErrors: boolean,
): { endpoint: MetricsEndpoint; ready: Promise<void>; server?: ListeningServer } {
  const selfMetrics = options.selfMetrics
    ? new SelfMetrics(provider.getMeter(SCOPE_NAME), guard, provider.measurements)
    : undefined;
  const endpoint = new MetricsEndpoint(reader, options, selfMetrics, {
    onCollected: (errors) => guard.collectionErrors(errors),
  });
  if (!options.listen) return { endpoint, ready: Promise.resolve() };
  const { host, port, path, tls, maxConnections, headerTimeout, tlsHandshakeTimeout } = options;
  const listening = new WatchedPromise<void>((resolve, reject) => {
    listen(endpoint.handle, {
      host,
      port,
      path,
      tls,
      onClientError: (status) => selfMetrics?.request(status, 'bad_request'),
      onConnectionClosed: (reason) => selfMetrics?.connectionClosed(reason),
      maxConnections,
      headerTimeout,
      tlsHandshakeTimeout,
    }).then((s) => {
      served.server = s;
      resolve();
    }, reject);
  });
  const served: { endpoint: MetricsEndpoint; ready: Promise<void>; server?: ListeningServer } = {
    endpoint,
    ready: listening,
  };
  // A port clash must never become an unhandled rejection that kills the app. It reaches callers that await or
  // catch `ready`; only when nobody does is it logged here, so it is reported once.
  Promise.prototype.then.call(listening, undefined, (err: Error) => {
    if (logListenErrors && !listening.watched)
      diag.error(`otel-metrics-bootstrap: metrics endpoint not started: ${err.message}`);
  });
  return served;
}

/** `OTEL_SDK_DISABLED=true`: everything works and records nothing. */
function disabledHandle(config: ResolvedConfig): MetricsHandle {
  // Records into series no reader collects: the API works (instruments, business helpers), nothing is exported.
  const registry = new InstrumentRegistry(config.views, config.cardinalityLimit);
  const meter = attachRegistry(createNoopMeter(), registry);
  const provider: MeterProvider = { getMeter: () => meter };
  const instruments = lazyInstruments(registry, config);
  const handle: MetricsHandle = {
    meterProvider: provider,
    meter,
    getMeter: () => meter,
    metricsUrl: undefined,
    ready: Promise.resolve(),
    config,
    get instruments() {
      return instruments();
    },
    forceFlush: async () => {},
    shutdown: async () => {
      release(handle);
    },
  };
  return handle;
}

function release(handle: MetricsHandle): void {
  if (state.init?.handle !== handle) return;
  delete state.init;
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

/**
 * A promise that knows whether anyone but us subscribed to it. Being a subclass, `await` on it goes through
 * `then()` too (only plain promises skip it), so `await handle.ready` counts as well as `.then`/`.catch`.
 */
class WatchedPromise<T> extends Promise<T> {
  watched = false;
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  // biome-ignore lint/suspicious/noThenProperty: this is the promise's own then(), extended
  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.watched = true;
    return super.then(onFulfilled, onRejected);
  }
}

/** The option paths (`prometheus.port`) whose values differ between two stableStringify()'d configurations. */
function differingOptions(a: unknown, b: unknown, path: string): string[] {
  if (!isRecord(a) || !isRecord(b)) return JSON.stringify(a) === JSON.stringify(b) ? [] : [path || 'config'];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((k) => differingOptions(a[k], b[k], path ? `${path}.${k}` : k));
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
