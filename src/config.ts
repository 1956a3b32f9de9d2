import { type Attributes, diag } from '@opentelemetry/api';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import { BUSINESS_ENV } from './business/options.js';
import {
  CLUSTER_DEFAULTS,
  CLUSTER_ENV,
  type ClusterOptions,
  type ResolvedClusterOptions,
  resolveCluster,
} from './cluster/options.js';
import { MetricsError } from './errors.js';
import {
  EXPORT_DEFAULTS,
  EXPORT_ENV,
  type ExportOptions,
  type ResolvedExportOptions,
} from './export/options.js';
import { resolveExport, resolveExporters } from './export/resolve.js';
import {
  HTTP_DEFAULTS,
  HTTP_ENV,
  type HttpOptions,
  type ResolvedHttpConfig,
  resolveHttp,
} from './http/options.js';
import {
  INSTRUMENTS_DEFAULTS,
  INSTRUMENTS_ENV,
  type InstrumentsOptions,
  type ResolvedInstrumentsOptions,
  resolveInstruments,
} from './instruments/options.js';
import { deepFreeze, type Env, isRecord, nonEmpty, Reader, type Section, show } from './option-reader.js';
import {
  PROMETHEUS_DEFAULTS,
  PROMETHEUS_ENV,
  type PrometheusOptions,
  type ResolvedPrometheusOptions,
  resolvePrometheus,
} from './prometheus/options.js';
import {
  HOST_DEFAULTS,
  type HostMetricGroup,
  type HostOptions,
  RUNTIME_DEFAULTS,
  RUNTIME_ENV,
  type RuntimeOptions,
  resolveHost,
  resolveRuntime,
} from './runtime/options.js';
import { DEFAULT_CARDINALITY_LIMIT, type HistogramAggregation, type ViewSettings } from './views.js';
import { resolveViewOptions, resolveViews, VIEW_DEFAULTS } from './views-options.js';

export type { ExporterName } from './export/options.js';

/** `OTEL_LOG_LEVEL` values, as the OTel spec spells them (lower case). */
export type LogLevel = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';
export const LOG_LEVELS: readonly LogLevel[] = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'];

/** Everything `initMeter()` accepts. Every field is optional; explicit option > environment variable > default. */
export interface MetricsConfig extends ExportOptions, Pick<InstrumentsOptions, 'namespace' | 'subsystem'> {
  /** `service.name`. Env `OTEL_SERVICE_NAME`, then `service.name` in `OTEL_RESOURCE_ATTRIBUTES`. Default `unknown_service:node`. */
  serviceName?: string;
  /** `service.version`. Env `OMB_SERVICE_VERSION`, then `npm_package_version` (set by `npm run`). */
  serviceVersion?: string;
  /** `deployment.environment.name`. Env `OMB_ENVIRONMENT`, then `NODE_ENV`. */
  environment?: string;
  /** Extra resource attributes; they win over `OTEL_RESOURCE_ATTRIBUTES` for the same key. */
  resourceAttributes?: Attributes;
  /** Turn the SDK off: `initMeter()` returns a working no-op handle. Default `false`. Env `OTEL_SDK_DISABLED`. */
  disabled?: boolean;
  /** The Prometheus pull endpoint; `false` turns it off. */
  prometheus?: PrometheusOptions | false;
  /** Bucket boundaries per instrument name, e.g. `{ 'checkout.duration': [0.1, 0.5, 1, 5] }`. Strictly increasing. */
  histograms?: Record<string, number[]>;
  /** Default boundaries per unit for histograms created without advice. Defaults: `s` → semconv HTTP buckets, `By` → 128 B … 64 MiB. Env `OMB_SECONDS_BUCKETS` (comma list) for `s`. */
  unitBuckets?: Record<string, number[]>;
  /** Attribute allow-list per instrument name: other attribute keys are dropped before aggregation. */
  attributes?: Record<string, string[]>;
  /** Distinct attribute sets per metric stream, overflow series included. Default `2000`. Env `OMB_CARDINALITY_LIMIT`. */
  cardinalityLimit?: number;
  /** Cardinality limit per instrument name, overriding `cardinalityLimit`. */
  cardinalityLimits?: Record<string, number>;
  /**
   * How histograms aggregate when nothing more specific says: `'explicit'` buckets, or base-2 `'exponential'`
   * buckets (served to Prometheus as native histograms), optionally `{ type: 'exponential', maxSize, maxScale }`
   * (defaults 160 and 20). Applies to SDK histograms, the HTTP metrics and the instruments API. Default
   * `'explicit'`. Env `OMB_HISTOGRAM_AGGREGATION` (`explicit` or `exponential`).
   */
  histogramAggregation?: HistogramAggregation;
  /** {@link MetricsConfig.histogramAggregation} per unit, e.g. `{ s: 'exponential' }`; wins over the global one. */
  unitHistogramAggregation?: Record<string, HistogramAggregation>;
  /**
   * {@link MetricsConfig.histogramAggregation} per instrument name; wins over everything else. An instrument with
   * its own boundaries (`histograms`, the instruments API's `buckets`) stays explicit unless named here.
   */
  histogramAggregations?: Record<string, HistogramAggregation>;
  /** Raw SDK views, applied after ours. A view that matches an instrument named above adds a second stream. */
  views?: ViewOptions[];
  /** Diagnostic log level for OTel's `diag` logger. Default `warn`. Env `OTEL_LOG_LEVEL`. */
  logLevel?: LogLevel;
  /**
   * Runtime metrics (event loop, GC, V8 heap, active resources). Default on; `false` turns them off.
   * Env `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS` with `runtime-node`.
   */
  runtime?: boolean | RuntimeOptions;
  /**
   * Process and host metrics. Default on with the `process.*` groups only; `false` turns them off.
   * Env `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS` with `host-metrics`.
   */
  host?: boolean | HostOptions;
  /**
   * Also expose the metric names prom-client's `collectDefaultMetrics()` uses (`process_cpu_seconds_total`,
   * `nodejs_eventloop_lag_seconds`, …), so existing dashboards keep working while you migrate. Default `false`.
   * Env `OMB_PROM_CLIENT_COMPAT`.
   */
  promClientCompat?: boolean;
  /** Automatic HTTP server and client metrics; `false` turns both off. */
  http?: HttpOptions | false;
  /**
   * After SIGTERM/SIGINT, how long the `register` entry (and `register(config)`) keeps serving scrapes while the
   * app's own signal handler drains, before it flushes and closes anyway; it closes earlier as soon as the app's
   * event loop empties. Apps without their own handler are closed and ended at once. In milliseconds; `0` closes
   * at once. Default `30000` (Kubernetes' default grace period). Env `OMB_DRAIN_TIMEOUT`.
   */
  drainTimeout?: number;
  /** Limits of `telemetry.instruments`: `maxSeries`, `valueLengthLimit` (see {@link InstrumentsOptions}). */
  instruments?: Pick<InstrumentsOptions, 'maxSeries' | 'valueLengthLimit'>;
  /**
   * Cluster mode for `node:cluster`: `true` or options in the primary and in the workers (the same call): the
   * workers bind no port, the primary serves one endpoint with everyone's series, each with a `worker` label
   * (README "Cluster and PM2"). Default `false`. Env `OMB_CLUSTER`.
   */
  cluster?: boolean | ClusterOptions;
}

/** The resolved, validated, frozen configuration. */
export interface ResolvedConfig extends ResolvedExportOptions {
  readonly disabled: boolean;
  readonly serviceName: string | undefined;
  readonly serviceVersion: string | undefined;
  readonly environment: string | undefined;
  readonly resourceAttributes: Readonly<Attributes>;
  /** `undefined` when the Prometheus endpoint is off. */
  readonly prometheus: ResolvedPrometheusOptions | undefined;
  readonly cardinalityLimit: number;
  readonly logLevel: LogLevel;
  readonly views: ViewSettings;
  /** `undefined` when runtime metrics are off. */
  readonly runtime: Readonly<Required<RuntimeOptions>> | undefined;
  /** `undefined` when process and host metrics are off. */
  readonly host: Readonly<{ groups: readonly HostMetricGroup[] }> | undefined;
  readonly promClientCompat: boolean;
  readonly http: ResolvedHttpConfig;
  readonly drainTimeout: number;
  readonly instruments: ResolvedInstrumentsOptions;
  /** `undefined` when cluster mode is off. */
  readonly cluster: ResolvedClusterOptions | undefined;
}

/** The top-level options' defaults; each subsystem's sit in its own `options.ts`. */
const TOP_DEFAULTS = Object.freeze({
  ...VIEW_DEFAULTS,
  logLevel: 'warn' as LogLevel,
  promClientCompat: false,
  drainTimeout: 30_000,
});

/** Every default, by option: the top level's and each subsystem's. */
export const DEFAULTS = Object.freeze({
  prometheus: PROMETHEUS_DEFAULTS,
  cardinalityLimit: TOP_DEFAULTS.cardinalityLimit,
  logLevel: TOP_DEFAULTS.logLevel,
  unitBuckets: TOP_DEFAULTS.unitBuckets,
  http: HTTP_DEFAULTS,
  ...EXPORT_DEFAULTS,
  histograms: TOP_DEFAULTS.histograms,
  histogramAggregation: TOP_DEFAULTS.histogramAggregation,
  runtime: RUNTIME_DEFAULTS,
  hostGroups: HOST_DEFAULTS.groups,
  promClientCompat: TOP_DEFAULTS.promClientCompat,
  drainTimeout: TOP_DEFAULTS.drainTimeout,
  instruments: INSTRUMENTS_DEFAULTS,
  cluster: CLUSTER_DEFAULTS,
});

/** The project's own environment variables all start with this prefix. */
export const ENV_PREFIX = 'OMB_';

/** The top-level options' environment variables, with the option each feeds. */
const TOP_ENV = Object.freeze({
  OTEL_SDK_DISABLED: 'disabled',
  OTEL_SERVICE_NAME: 'serviceName',
  OTEL_RESOURCE_ATTRIBUTES: 'resourceAttributes',
  OTEL_LOG_LEVEL: 'logLevel',
  OMB_SERVICE_VERSION: 'serviceVersion',
  OMB_ENVIRONMENT: 'environment',
  OMB_CARDINALITY_LIMIT: 'cardinalityLimit',
  OMB_SECONDS_BUCKETS: 'unitBuckets.s',
  OMB_HISTOGRAM_AGGREGATION: 'histogramAggregation',
  OMB_PROM_CLIENT_COMPAT: 'promClientCompat',
  OMB_DRAIN_TIMEOUT: 'drainTimeout',
} as const);

/**
 * Every environment variable read, with the option it feeds: the top level's and each subsystem's. The README's
 * configuration table lists the same rows (a test checks that each variable is documented).
 */
export const ENV = Object.freeze({
  ...TOP_ENV,
  ...PROMETHEUS_ENV,
  ...RUNTIME_ENV,
  ...HTTP_ENV,
  ...EXPORT_ENV,
  ...INSTRUMENTS_ENV,
  ...BUSINESS_ENV,
  ...CLUSTER_ENV,
});

type TopReads = Section<typeof TOP_DEFAULTS>;

/**
 * Resolves explicit options, environment variables and defaults (in that order, with `??` so an explicit `0` or
 * `false` is kept), validates everything, and either returns a frozen config or throws one `MetricsError` that
 * lists every problem. Each subsystem resolves its own options (`src/<subsystem>/options.ts`); this composes
 * them. A value that is only doubtful (`OTEL_SDK_DISABLED=yes`) is logged through OTel `diag`.
 */
export function resolveConfig(
  options: MetricsConfig = {},
  env: Env = process.env,
  internals: ResolveInternals = {},
): ResolvedConfig {
  const { config, warnings } = resolveConfigAndWarnings(options, env, internals);
  for (const w of warnings) diag.warn(w);
  return config;
}

/** Internal knobs of `resolveConfig()`. */
export interface ResolveInternals {
  /** The register entry's rule: an unknown name in `OTEL_METRICS_EXPORTER` goes here, and the others start. */
  onUnknownExporter?: (message: string) => void;
}

/** `resolveConfig()` handing back the warnings, for `initMeter()` to log once it has set up the `diag` logger. */
export function resolveConfigAndWarnings(
  options: MetricsConfig,
  env: Env,
  internals: ResolveInternals = {},
): { config: ResolvedConfig; warnings: readonly string[] } {
  if (!isRecord(options)) {
    throw new MetricsError([{ code: 'ERR_INVALID_CONFIG', source: 'config', message: 'must be an object' }]);
  }
  const r = new Reader(env);
  const s = r.section('', options, 'must be an object', TOP_ENV, TOP_DEFAULTS);
  const disabled = r.bool('disabled', s.get('disabled'), 'OTEL_SDK_DISABLED', false, true);
  const serviceName = s.str('serviceName');
  const serviceVersion = s.str('serviceVersion') ?? nonEmpty(env['npm_package_version']);
  const environment = s.str('environment') ?? nonEmpty(env['NODE_ENV']);
  const resourceAttributes = r.attributes('resourceAttributes', s.get('resourceAttributes'));
  const exporters = resolveExporters(s, internals.onUnknownExporter);
  const prometheus = resolvePrometheus(r, s.get('prometheus'), exporters);
  const exported = resolveExport(s, exporters, serviceName);
  const { cardinalityLimit, ...viewOptions } = resolveViewOptions(s);
  const logLevel = resolveLogLevel(s);
  const http = resolveHttp(r, s.get('http'));
  const instruments = resolveInstruments(r, s.get('namespace'), s.get('subsystem'), s.get('instruments'));
  const runtime = resolveRuntime(r, s.get('runtime'));
  const host = resolveHost(r, s.get('host'));
  const promClientCompat = s.bool('promClientCompat');
  const drainTimeout = s.integer('drainTimeout', 0);
  const views = resolveViews(r, s.get('views'));
  const cluster = resolveCluster(r, s.get('cluster'));
  s.close();
  if (r.problems.length > 0) throw new MetricsError(r.problems);

  const config: ResolvedConfig = {
    disabled,
    serviceName,
    serviceVersion,
    environment,
    resourceAttributes,
    prometheus,
    cardinalityLimit: cardinalityLimit ?? DEFAULT_CARDINALITY_LIMIT,
    logLevel,
    views: { ...viewOptions, views },
    runtime,
    host,
    promClientCompat,
    http,
    drainTimeout,
    ...exported,
    instruments,
    cluster,
  };
  // The user's view objects go to the SDK as they are, unfrozen (they may hold stateful processors), and the
  // user's ignore predicate, readers and console sink are theirs: called, never frozen.
  return {
    config: deepFreeze(config, new Set<unknown>([...views, http.ignorePredicate, ...exported.readers])),
    warnings: r.warnings,
  };
}

function resolveLogLevel(s: TopReads): LogLevel {
  const value = s.get('logLevel');
  const raw = value ?? s.env('logLevel')?.toLowerCase();
  if (raw === undefined) return TOP_DEFAULTS.logLevel;
  if (LOG_LEVELS.includes(raw as LogLevel)) return raw as LogLevel;
  s.r.report(
    'ERR_INVALID_LOG_LEVEL',
    value !== undefined ? 'logLevel' : 'OTEL_LOG_LEVEL',
    `${show(raw)} is not a log level; use one of ${LOG_LEVELS.join(', ')}`,
  );
  return TOP_DEFAULTS.logLevel;
}
