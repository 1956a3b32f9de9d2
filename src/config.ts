import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createSecureContext } from 'node:tls';
import type { Attributes } from '@opentelemetry/api';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import { MetricsError, type MetricsErrorCode, type MetricsProblem } from './errors.js';
import { RouteTable, routeTemplateProblem } from './http/route-table.js';
import { HTTP_KNOWN_METHODS, METRIC_V8JS_GC_DURATION } from './semconv.js';
import {
  BYTES_BUCKETS,
  DEFAULT_CARDINALITY_LIMIT,
  GC_DURATION_BUCKETS,
  SECONDS_BUCKETS,
  type ViewSettings,
} from './views.js';

/** Exporter names accepted in `exporters` and `OTEL_METRICS_EXPORTER`. */
export type ExporterName = 'prometheus' | 'none';
export const EXPORTER_NAMES: readonly ExporterName[] = ['prometheus', 'none'];

/** `OTEL_LOG_LEVEL` values, as the OTel spec spells them (lower case). */
export type LogLevel = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';
export const LOG_LEVELS: readonly LogLevel[] = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'];

/** The pull endpoint's options. */
export interface PrometheusOptions {
  /** Interface to bind. Default `localhost` (the spec default; use `0.0.0.0` in containers). Env `OTEL_EXPORTER_PROMETHEUS_HOST`. */
  host?: string;
  /** TCP port; `0` picks a free one (read it from `handle.metricsUrl`). Default `9464`. Env `OTEL_EXPORTER_PROMETHEUS_PORT`. */
  port?: number;
  /** Path of the metrics endpoint. Default `/metrics`. Env `OMB_PROMETHEUS_PATH`. */
  path?: string;
  /** Emit `target_info` with the resource attributes. Default `true`. Env `OMB_PROMETHEUS_TARGET_INFO`. */
  targetInfo?: boolean;
  /** Add `otel_scope_name` / `otel_scope_version` labels to every series. Default `true`. Env `OMB_PROMETHEUS_SCOPE_INFO`. */
  scopeInfo?: boolean;
  /**
   * Serve on our own port. `false` starts no server: mount `createMetricsHandler()` in your app instead.
   * Default `true`. Env `OMB_PROMETHEUS_LISTEN`.
   */
  listen?: boolean;
  /** Liveness path on the endpoint's server (200 while the process runs). Default `/healthz`. Env `OMB_PROMETHEUS_HEALTH_PATH`. */
  healthPath?: string;
  /**
   * Readiness path: 200 once a collection has succeeded, 503 before that and while shutting down.
   * Default `/readyz`. Env `OMB_PROMETHEUS_READY_PATH`.
   */
  readyPath?: string;
  /** Require `Authorization: Bearer <token>` on the metrics path. Default none. Env `OMB_PROMETHEUS_AUTH_TOKEN`. */
  authToken?: string;
  /**
   * Require HTTP basic auth on the metrics path. Default none. Env `OMB_PROMETHEUS_BASIC_AUTH` (`user:password`).
   * Use TLS (`tls`) or a trusted network: basic credentials travel in clear text otherwise.
   */
  basicAuth?: { username: string; password: string };
  /** Honour `Accept-Encoding: gzip` / `deflate`. Default `true`. Env `OMB_PROMETHEUS_COMPRESSION`. */
  compression?: boolean;
  /** Bodies smaller than this are sent uncompressed, in bytes. Default `1024`. Env `OMB_PROMETHEUS_COMPRESSION_THRESHOLD`. */
  compressionThreshold?: number;
  /** Scrapes served at once; more get 503 with `Retry-After`. Default `10`. Env `OMB_PROMETHEUS_MAX_CONCURRENT_SCRAPES`. */
  maxConcurrentScrapes?: number;
  /** Scrapes per second allowed (fractions allowed; `0` = unlimited); more get 429 with `Retry-After`. Default `0`. Env `OMB_PROMETHEUS_RATE_LIMIT`. */
  rateLimit?: number;
  /** Serve the same scrape again for this many milliseconds (`0` = collect on every scrape). Default `0`. Env `OMB_PROMETHEUS_CACHE_TTL`. */
  cacheTtl?: number;
  /** A scrape that takes longer gets 503 and its late result is discarded, in milliseconds. Default `10000`. Env `OMB_PROMETHEUS_SCRAPE_TIMEOUT`. */
  scrapeTimeout?: number;
  /**
   * Scrapes arriving within this long of a collection's start share it (one SDK collection), even once it has
   * finished, in milliseconds; `0` = share only a collection still in progress. Values served can be this
   * much older than the request. Default `500`. Env `OMB_PROMETHEUS_COALESCE_WINDOW`.
   */
  coalesceWindow?: number;
  /**
   * How long an async observable callback may take per collection, in milliseconds. A callback that has not
   * settled by then is left out of that collection (its instrument is missing from the scrape, which is
   * otherwise served) and counted in `omb_callback_failures_total{reason="timeout"}`. Must be below
   * `scrapeTimeout`. Applies to every reader of the provider. Default `2000`. Env `OMB_PROMETHEUS_CALLBACK_TIMEOUT`.
   */
  callbackTimeout?: number;
  /** Largest uncompressed body served; larger scrapes answer 500, in bytes. Default `67108864` (64 MiB). Env `OMB_PROMETHEUS_MAX_RESPONSE_BYTES`. */
  maxResponseBytes?: number;
  /**
   * Serve HTTPS with this PEM key and certificate. Default none (HTTP). Env `OMB_PROMETHEUS_TLS_KEY_FILE` and
   * `OMB_PROMETHEUS_TLS_CERT_FILE` (file paths, read once at start).
   */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Emit the endpoint's own `omb_*` metrics (scrapes, durations, sizes, overflow, callback failures). Default `true`. Env `OMB_PROMETHEUS_SELF_METRICS`. */
  selfMetrics?: boolean;
}

/** The resolved endpoint options: every field set except the optional protections. */
export interface ResolvedPrometheusOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly targetInfo: boolean;
  readonly scopeInfo: boolean;
  readonly listen: boolean;
  readonly healthPath: string;
  readonly readyPath: string;
  readonly authToken: string | undefined;
  readonly basicAuth: Readonly<{ username: string; password: string }> | undefined;
  readonly compression: boolean;
  readonly compressionThreshold: number;
  readonly maxConcurrentScrapes: number;
  readonly rateLimit: number;
  readonly cacheTtl: number;
  readonly scrapeTimeout: number;
  readonly coalesceWindow: number;
  readonly callbackTimeout: number;
  readonly maxResponseBytes: number;
  /** PEM text. */
  readonly tls: Readonly<{ key: string; cert: string }> | undefined;
  readonly selfMetrics: boolean;
}

/** Runtime metrics options (`nodejs.eventloop.*`, `v8js.*`, from `@opentelemetry/instrumentation-runtime-node`). */
export interface RuntimeOptions {
  /**
   * Sampling interval of the event-loop delay monitor, in milliseconds: the loop is probed this often, so
   * smaller values catch shorter stalls and cost more wake-ups. Default `10`. Env `OMB_RUNTIME_MONITORING_PRECISION`.
   */
  monitoringPrecision?: number;
}

/**
 * Groups of process and host metrics. `process.cpu` → `process.cpu.time`/`.utilization`; `process.memory` →
 * `process.memory.usage` (+ `process.memory.virtual` on Linux); `process.uptime` → `process.uptime`;
 * `process.fd` → `process.unix.file_descriptor.count`/`.limit` (Linux); `system.cpu`, `system.memory`,
 * `system.network` → the `system.*` metrics (per core, per network device). `process` and `system` stand for
 * all groups with that prefix.
 */
export type HostMetricGroup =
  | 'process.cpu'
  | 'process.memory'
  | 'process.uptime'
  | 'process.fd'
  | 'system.cpu'
  | 'system.memory'
  | 'system.network';
/** Every {@link HostMetricGroup}, in the order resolved configs list them. */
export const HOST_METRIC_GROUPS: readonly HostMetricGroup[] = [
  'process.cpu',
  'process.memory',
  'process.uptime',
  'process.fd',
  'system.cpu',
  'system.memory',
  'system.network',
];

/** Process and host metrics options (`@opentelemetry/instrumentation-host-metrics` plus our own process metrics). */
export interface HostOptions {
  /**
   * Which groups to collect. Default `['process.cpu', 'process.memory', 'process.uptime', 'process.fd']`:
   * `system.*` groups are opt-in because they add series per core and per network device.
   * Env `OMB_HOST_METRICS_GROUPS` (comma list).
   */
  groups?: (HostMetricGroup | 'process' | 'system')[];
}

/**
 * Short names accepted in `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS`, spelled
 * as `@opentelemetry/auto-instrumentations-node` spells them (package name without `@opentelemetry/instrumentation-`).
 */
export const INSTRUMENTATION_SHORT_NAMES = Object.freeze({
  runtime: 'runtime-node',
  host: 'host-metrics',
} as const);

/** Opt-in attributes of the HTTP server metrics (semconv "opt_in": taken from the Host header). */
export type HttpOptInAttribute = 'server.address' | 'server.port';
export const HTTP_OPT_IN_ATTRIBUTES: readonly HttpOptInAttribute[] = ['server.address', 'server.port'];

/** Which code records the HTTP metrics. */
export type HttpEngine = 'diagnostics-channel' | 'instrumentation-http';
export const HTTP_ENGINES: readonly HttpEngine[] = ['diagnostics-channel', 'instrumentation-http'];

/** What an `http.ignore` predicate sees: the `IncomingMessage` (HTTP/1), or method/path/headers (HTTP/2). */
export interface HttpRequestInfo {
  readonly method?: string | undefined;
  /** The request target: path and query string. */
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** Automatic HTTP metrics (`http.server.*`, `http.client.*`). */
export interface HttpOptions {
  /** Record `http.server.request.duration`, `http.server.active_requests` and the body sizes. Default `true`. Env `OMB_HTTP_SERVER`. */
  server?: boolean;
  /** Record `http.client.request.duration` for `node:http`/`https` and `fetch`. Default `true`. Env `OMB_HTTP_CLIENT`. */
  client?: boolean;
  /**
   * Route templates for apps without a router that reports routes (plain `node:http`): `/users/:id`,
   * `/files/*`. A request matching none gets no `http.route`. Env `OMB_HTTP_ROUTES` (comma list).
   */
  routes?: string[];
  /**
   * Server requests to leave out: exact paths (`/healthz`), prefixes ending in `*` (`/internal/*`), regular
   * expressions tested on the path, or one predicate. The metrics endpoint's own server is always left out.
   * Env `OMB_HTTP_IGNORE` (comma list of paths and prefixes).
   */
  ignore?: (string | RegExp)[] | ((req: HttpRequestInfo) => boolean);
  /** Opt-in attributes for the server metrics. Default none. Env `OMB_HTTP_OPT_IN_ATTRIBUTES` (comma list). */
  optInAttributes?: HttpOptInAttribute[];
  /** Methods kept as-is in `http.request.method`; others become `_OTHER`. Default: semconv's list plus QUERY. Env `OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS`. */
  knownMethods?: string[];
  /**
   * `diagnostics-channel` (default): our recorders. `instrumentation-http`: @opentelemetry/instrumentation-http
   * records the two duration histograms (and its spans); we record only the rest. Env `OMB_HTTP_ENGINE`.
   */
  engine?: HttpEngine;
}

/** The resolved HTTP options. */
export interface ResolvedHttpConfig {
  readonly server: boolean;
  readonly client: boolean;
  readonly routes: readonly string[];
  /** Exact paths to ignore. */
  readonly ignorePaths: readonly string[];
  /** Path prefixes to ignore (from entries ending in `*`). */
  readonly ignorePrefixes: readonly string[];
  /** Copies of the configured expressions without the `g`/`y` flags, so testing them is stateless. */
  readonly ignorePatterns: readonly RegExp[];
  readonly ignorePredicate: ((req: HttpRequestInfo) => boolean) | undefined;
  readonly optInAttributes: readonly HttpOptInAttribute[];
  readonly knownMethods: readonly string[];
  readonly engine: HttpEngine;
}

/** Everything `initMeter()` accepts. Every field is optional; explicit option > environment variable > default. */
export interface MetricsConfig {
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
  /** Where metrics go. Default `['prometheus']`. Env `OTEL_METRICS_EXPORTER` (comma list; `none` wins). */
  exporters?: ExporterName[];
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
}

/** The resolved, validated, frozen configuration. */
export interface ResolvedConfig {
  readonly disabled: boolean;
  readonly serviceName: string | undefined;
  readonly serviceVersion: string | undefined;
  readonly environment: string | undefined;
  readonly resourceAttributes: Readonly<Attributes>;
  readonly exporters: readonly ExporterName[];
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
}

export const DEFAULTS = Object.freeze({
  exporters: ['prometheus'] as readonly ExporterName[],
  prometheus: Object.freeze({
    host: 'localhost',
    port: 9464,
    path: '/metrics',
    targetInfo: true,
    scopeInfo: true,
    listen: true,
    healthPath: '/healthz',
    readyPath: '/readyz',
    compression: true,
    compressionThreshold: 1024,
    maxConcurrentScrapes: 10,
    rateLimit: 0,
    cacheTtl: 0,
    scrapeTimeout: 10_000,
    coalesceWindow: 500,
    callbackTimeout: 2_000,
    maxResponseBytes: 64 * 1024 * 1024,
    selfMetrics: true,
  }),
  cardinalityLimit: DEFAULT_CARDINALITY_LIMIT,
  logLevel: 'warn' as LogLevel,
  unitBuckets: Object.freeze({ s: SECONDS_BUCKETS, By: BYTES_BUCKETS }) as Readonly<
    Record<string, readonly number[]>
  >,
  http: Object.freeze({
    server: true,
    client: true,
    engine: 'diagnostics-channel' as HttpEngine,
    knownMethods: HTTP_KNOWN_METHODS,
  }),
  /** Per-instrument boundaries applied unless `histograms` names the same instrument. */
  histograms: Object.freeze({ [METRIC_V8JS_GC_DURATION]: GC_DURATION_BUCKETS }) as Readonly<
    Record<string, readonly number[]>
  >,
  runtime: Object.freeze({ monitoringPrecision: 10 }),
  hostGroups: Object.freeze([
    'process.cpu',
    'process.memory',
    'process.uptime',
    'process.fd',
  ]) as readonly HostMetricGroup[],
  promClientCompat: false,
});

/** The project's own environment variables all start with this prefix. */
export const ENV_PREFIX = 'OMB_';

/**
 * Every environment variable read, with the option it feeds. The README's configuration table lists the same
 * rows (a test checks that each variable is documented).
 */
export const ENV = Object.freeze({
  OTEL_SDK_DISABLED: 'disabled',
  OTEL_SERVICE_NAME: 'serviceName',
  OTEL_RESOURCE_ATTRIBUTES: 'resourceAttributes',
  OTEL_METRICS_EXPORTER: 'exporters',
  OTEL_EXPORTER_PROMETHEUS_HOST: 'prometheus.host',
  OTEL_EXPORTER_PROMETHEUS_PORT: 'prometheus.port',
  OTEL_LOG_LEVEL: 'logLevel',
  OMB_SERVICE_VERSION: 'serviceVersion',
  OMB_ENVIRONMENT: 'environment',
  OMB_PROMETHEUS_PATH: 'prometheus.path',
  OMB_PROMETHEUS_TARGET_INFO: 'prometheus.targetInfo',
  OMB_PROMETHEUS_SCOPE_INFO: 'prometheus.scopeInfo',
  OMB_PROMETHEUS_LISTEN: 'prometheus.listen',
  OMB_PROMETHEUS_HEALTH_PATH: 'prometheus.healthPath',
  OMB_PROMETHEUS_READY_PATH: 'prometheus.readyPath',
  OMB_PROMETHEUS_AUTH_TOKEN: 'prometheus.authToken',
  OMB_PROMETHEUS_BASIC_AUTH: 'prometheus.basicAuth',
  OMB_PROMETHEUS_COMPRESSION: 'prometheus.compression',
  OMB_PROMETHEUS_COMPRESSION_THRESHOLD: 'prometheus.compressionThreshold',
  OMB_PROMETHEUS_MAX_CONCURRENT_SCRAPES: 'prometheus.maxConcurrentScrapes',
  OMB_PROMETHEUS_RATE_LIMIT: 'prometheus.rateLimit',
  OMB_PROMETHEUS_CACHE_TTL: 'prometheus.cacheTtl',
  OMB_PROMETHEUS_SCRAPE_TIMEOUT: 'prometheus.scrapeTimeout',
  OMB_PROMETHEUS_COALESCE_WINDOW: 'prometheus.coalesceWindow',
  OMB_PROMETHEUS_CALLBACK_TIMEOUT: 'prometheus.callbackTimeout',
  OMB_PROMETHEUS_MAX_RESPONSE_BYTES: 'prometheus.maxResponseBytes',
  OMB_PROMETHEUS_TLS_KEY_FILE: 'prometheus.tls.key',
  OMB_PROMETHEUS_TLS_CERT_FILE: 'prometheus.tls.cert',
  OMB_PROMETHEUS_SELF_METRICS: 'prometheus.selfMetrics',
  OMB_CARDINALITY_LIMIT: 'cardinalityLimit',
  OMB_SECONDS_BUCKETS: 'unitBuckets.s',
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'runtime, host',
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'runtime, host',
  OMB_RUNTIME_MONITORING_PRECISION: 'runtime.monitoringPrecision',
  OMB_HOST_METRICS_GROUPS: 'host.groups',
  OMB_PROM_CLIENT_COMPAT: 'promClientCompat',
  OMB_HTTP_SERVER: 'http.server',
  OMB_HTTP_CLIENT: 'http.client',
  OMB_HTTP_ROUTES: 'http.routes',
  OMB_HTTP_IGNORE: 'http.ignore',
  OMB_HTTP_OPT_IN_ATTRIBUTES: 'http.optInAttributes',
  OMB_HTTP_ENGINE: 'http.engine',
  OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: 'http.knownMethods',
} as const);

const TOP_LEVEL_KEYS = new Set<string>([
  'serviceName',
  'serviceVersion',
  'environment',
  'resourceAttributes',
  'disabled',
  'exporters',
  'prometheus',
  'histograms',
  'unitBuckets',
  'attributes',
  'cardinalityLimit',
  'cardinalityLimits',
  'views',
  'logLevel',
  'runtime',
  'host',
  'promClientCompat',
  'http',
]);
const HTTP_KEYS = new Set<string>([
  'server',
  'client',
  'routes',
  'ignore',
  'optInAttributes',
  'knownMethods',
  'engine',
]);
const RUNTIME_KEYS = new Set<string>(['monitoringPrecision']);
const HOST_KEYS = new Set<string>(['groups']);
const PROMETHEUS_KEYS = new Set<string>([
  'host',
  'port',
  'path',
  'targetInfo',
  'scopeInfo',
  'listen',
  'healthPath',
  'readyPath',
  'authToken',
  'basicAuth',
  'compression',
  'compressionThreshold',
  'maxConcurrentScrapes',
  'rateLimit',
  'cacheTtl',
  'scrapeTimeout',
  'coalesceWindow',
  'callbackTimeout',
  'maxResponseBytes',
  'tls',
  'selfMetrics',
]);

/** The OTel API's instrument-name syntax; wildcards are for raw `views`, not for our per-name maps. */
const INSTRUMENT_NAME = /^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$/;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Resolves explicit options, environment variables and defaults (in that order, with `??` so an explicit `0` or
 * `false` is kept), validates everything, and either returns a frozen config or throws one `MetricsError` that
 * lists every problem. Validation is written by hand rather than with a schema library because most inputs are
 * environment strings that need parsing first, and each problem needs a stable code and the name of the
 * option or variable it came from.
 */
export function resolveConfig(options: MetricsConfig = {}, env: Env = process.env): ResolvedConfig {
  const problems: MetricsProblem[] = [];
  const report = (code: MetricsErrorCode, source: string, message: string) =>
    problems.push({ code, source, message });
  const r = new Reader(env, report);

  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new MetricsError([{ code: 'ERR_INVALID_CONFIG', source: 'config', message: 'must be an object' }]);
  }
  for (const key of Object.keys(options)) {
    if (!TOP_LEVEL_KEYS.has(key))
      report('ERR_UNKNOWN_OPTION', key, `unknown option${suggest(key, TOP_LEVEL_KEYS)}`);
  }

  const disabled = r.bool('disabled', options.disabled, 'OTEL_SDK_DISABLED', false, true);
  const serviceName = r.str('serviceName', options.serviceName, 'OTEL_SERVICE_NAME');
  const serviceVersion =
    r.str('serviceVersion', options.serviceVersion, 'OMB_SERVICE_VERSION') ??
    nonEmpty(env['npm_package_version']);
  const environment =
    r.str('environment', options.environment, 'OMB_ENVIRONMENT') ?? nonEmpty(env['NODE_ENV']);
  const resourceAttributes = r.attributes('resourceAttributes', options.resourceAttributes);
  const exporters = r.exporters(options.exporters);
  const prometheus = r.prometheus(options.prometheus, exporters);
  const histograms = r.instrumentMap('histograms', options.histograms, (v, src) => r.buckets(src, v));
  const attributes = r.instrumentMap('attributes', options.attributes, (v, src) => r.keyList(src, v));
  const cardinalityLimit =
    r.limit('cardinalityLimit', options.cardinalityLimit, 'OMB_CARDINALITY_LIMIT') ??
    DEFAULTS.cardinalityLimit;
  const cardinalityLimits = r.instrumentMap('cardinalityLimits', options.cardinalityLimits, (v, src) =>
    r.limit(src, v),
  );
  const unitBuckets = r.unitBuckets(options.unitBuckets);
  const logLevel = r.logLevel(options.logLevel);
  const http = r.http(options.http);
  const runtime = r.runtime(options.runtime);
  const host = r.host(options.host);
  const promClientCompat = r.bool(
    'promClientCompat',
    options.promClientCompat,
    'OMB_PROM_CLIENT_COMPAT',
    DEFAULTS.promClientCompat,
  );
  let views: ViewOptions[] = [];
  if (options.views !== undefined) {
    if (!Array.isArray(options.views) || options.views.some((v) => v === null || typeof v !== 'object')) {
      report('ERR_INVALID_VIEWS', 'views', 'must be an array of SDK ViewOptions objects');
    } else {
      views = [...options.views];
    }
  }

  if (problems.length > 0) throw new MetricsError(problems);

  // The user's view objects are passed to the SDK as they are, unfrozen: they may hold stateful processors.
  return deepFreeze(
    {
      disabled,
      serviceName,
      serviceVersion,
      environment,
      resourceAttributes,
      exporters,
      prometheus,
      cardinalityLimit,
      logLevel,
      views: {
        histograms: { ...DEFAULTS.histograms, ...histograms },
        attributes,
        cardinalityLimits,
        views,
        unitBuckets,
      },
      runtime,
      host,
      promClientCompat,
      http,
    },
    // The user's predicate is theirs: it is called, never frozen.
    new Set<unknown>([...views, http.ignorePredicate]),
  );
}

/** Reads one value from option or environment, reporting problems instead of throwing. */
class Reader {
  constructor(
    private readonly env: Env,
    private readonly report: (code: MetricsErrorCode, source: string, message: string) => void,
  ) {}

  envValue(name: keyof typeof ENV | undefined): string | undefined {
    return name === undefined ? undefined : nonEmpty(this.env[name]?.trim());
  }

  str(option: string, value: unknown, envName?: keyof typeof ENV): string | undefined {
    if (value !== undefined) {
      if (typeof value !== 'string' || value.trim() === '') {
        this.report('ERR_INVALID_STRING', option, `must be a non-empty string, got ${show(value)}`);
        return undefined;
      }
      return value;
    }
    return this.envValue(envName);
  }

  /**
   * `lenient` follows the spec for OTEL_SDK_DISABLED: only `true` (any case) is true, anything else is false
   * with a warning, never an error.
   */
  bool(
    option: string,
    value: unknown,
    envName: keyof typeof ENV,
    fallback: boolean,
    lenient = false,
  ): boolean {
    if (value !== undefined) {
      if (typeof value === 'boolean') return value;
      this.report('ERR_INVALID_BOOLEAN', option, `must be true or false, got ${show(value)}`);
      return fallback;
    }
    const raw = this.envValue(envName)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    if (lenient) {
      console.warn(
        `otel-metrics-bootstrap: ${envName}=${show(raw)} is not "true" or "false"; treating it as false`,
      );
      return false;
    }
    this.report('ERR_INVALID_BOOLEAN', envName, `must be "true" or "false", got ${show(raw)}`);
    return fallback;
  }

  port(value: unknown): number {
    const fallback = DEFAULTS.prometheus.port;
    const fix = 'use an integer from 0 to 65535 (0 picks a free port)';
    if (value !== undefined) {
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535) return value;
      this.report('ERR_INVALID_PORT', 'prometheus.port', `${show(value)} is not a port; ${fix}`);
      return fallback;
    }
    const raw = this.envValue('OTEL_EXPORTER_PROMETHEUS_PORT');
    if (raw === undefined) return fallback;
    const n = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
    if (n >= 0 && n <= 65535) return n;
    this.report('ERR_INVALID_PORT', 'OTEL_EXPORTER_PROMETHEUS_PORT', `${show(raw)} is not a port; ${fix}`);
    return fallback;
  }

  limit(source: string, value: unknown, envName?: keyof typeof ENV): number | undefined {
    let v: unknown = value;
    let src = source;
    if (v === undefined && envName) {
      const raw = this.envValue(envName);
      if (raw === undefined) return undefined;
      v = /^-?\d+$/.test(raw) ? Number(raw) : raw;
      src = envName;
    }
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return v;
    this.report(
      'ERR_INVALID_CARDINALITY_LIMIT',
      src,
      `${show(v)} is not a valid cardinality limit; use a positive integer (default ${DEFAULT_CARDINALITY_LIMIT})`,
    );
    return undefined;
  }

  buckets(source: string, value: unknown): number[] | undefined {
    if (!Array.isArray(value) || value.length === 0) {
      this.report('ERR_INVALID_BUCKETS', source, `must be a non-empty array of numbers, got ${show(value)}`);
      return undefined;
    }
    const bad = value.findIndex((b) => typeof b !== 'number' || !Number.isFinite(b));
    if (bad !== -1) {
      this.report(
        'ERR_INVALID_BUCKETS',
        source,
        `boundary ${bad} is ${show(value[bad])}; boundaries must be finite numbers`,
      );
      return undefined;
    }
    for (let i = 1; i < value.length; i++) {
      if (value[i] <= value[i - 1]) {
        this.report(
          'ERR_INVALID_BUCKETS',
          source,
          `boundaries must be strictly increasing, but ${value[i]} follows ${value[i - 1]} at index ${i}`,
        );
        return undefined;
      }
    }
    return [...value];
  }

  keyList(source: string, value: unknown): string[] | undefined {
    if (!Array.isArray(value) || value.some((k) => typeof k !== 'string' || k === '')) {
      this.report('ERR_INVALID_ATTRIBUTES', source, `must be an array of attribute keys, got ${show(value)}`);
      return undefined;
    }
    return [...value];
  }

  attributes(source: string, value: unknown): Attributes {
    if (value === undefined) return {};
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.report(
        'ERR_INVALID_RESOURCE_ATTRIBUTES',
        source,
        `must be an object of attribute values, got ${show(value)}`,
      );
      return {};
    }
    const out: Attributes = {};
    for (const [k, v] of Object.entries(value)) {
      if (['string', 'number', 'boolean'].includes(typeof v)) out[k] = v as string | number | boolean;
      else
        this.report(
          'ERR_INVALID_RESOURCE_ATTRIBUTES',
          `${source}.${k}`,
          `must be a string, number or boolean`,
        );
    }
    return out;
  }

  instrumentMap<T>(source: string, value: unknown, each: (v: unknown, source: string) => T | undefined) {
    const out: Record<string, T> = {};
    if (value === undefined) return out;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.report(
        'ERR_INVALID_CONFIG',
        source,
        `must be an object keyed by instrument name, got ${show(value)}`,
      );
      return out;
    }
    for (const [name, v] of Object.entries(value)) {
      const src = `${source}[${JSON.stringify(name)}]`;
      if (!INSTRUMENT_NAME.test(name)) {
        this.report(
          'ERR_INVALID_INSTRUMENT_NAME',
          src,
          'is not an instrument name (letters, digits, "_", ".", "-", "/"; no wildcards — use `views` for those)',
        );
        continue;
      }
      const parsed = each(v, src);
      if (parsed !== undefined) out[name] = parsed;
    }
    return out;
  }

  unitBuckets(value: unknown): Record<string, readonly number[]> {
    const out: Record<string, readonly number[]> = { ...DEFAULTS.unitBuckets };
    const raw = this.envValue('OMB_SECONDS_BUCKETS');
    if (raw !== undefined) {
      const parsed = this.buckets(
        'OMB_SECONDS_BUCKETS',
        raw.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s))),
      );
      if (parsed) out['s'] = parsed;
    }
    if (value === undefined) return out;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.report(
        'ERR_INVALID_BUCKETS',
        'unitBuckets',
        `must be an object keyed by unit, got ${show(value)}`,
      );
      return out;
    }
    for (const [unit, v] of Object.entries(value)) {
      const parsed = this.buckets(`unitBuckets[${JSON.stringify(unit)}]`, v);
      if (parsed) out[unit] = parsed;
    }
    return out;
  }

  exporters(value: unknown): ExporterName[] {
    let list: unknown[];
    let source = 'exporters';
    if (value !== undefined) {
      if (!Array.isArray(value)) {
        this.report(
          'ERR_UNKNOWN_EXPORTER',
          source,
          `must be an array such as ['prometheus'], got ${show(value)}`,
        );
        return [...DEFAULTS.exporters];
      }
      list = value;
    } else {
      const raw = this.envValue('OTEL_METRICS_EXPORTER');
      if (raw === undefined) return [...DEFAULTS.exporters];
      source = 'OTEL_METRICS_EXPORTER';
      list = raw.split(',').map((s) => s.trim().toLowerCase());
    }
    const names: ExporterName[] = [];
    for (const name of list) {
      if (EXPORTER_NAMES.includes(name as ExporterName)) names.push(name as ExporterName);
      else
        this.report(
          'ERR_UNKNOWN_EXPORTER',
          source,
          `unknown exporter ${show(name)}; supported: ${EXPORTER_NAMES.join(', ')}`,
        );
    }
    // Spec: `none` wins over anything else in the list.
    return names.includes('none') ? [] : [...new Set(names)];
  }

  prometheus(value: unknown, exporters: readonly ExporterName[]): ResolvedPrometheusOptions | undefined {
    if (value === false) return undefined;
    const opts: PrometheusOptions = {};
    if (value !== undefined) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        this.report(
          'ERR_INVALID_CONFIG',
          'prometheus',
          `must be an options object or false, got ${show(value)}`,
        );
      } else {
        for (const key of Object.keys(value)) {
          if (!PROMETHEUS_KEYS.has(key))
            this.report(
              'ERR_UNKNOWN_OPTION',
              `prometheus.${key}`,
              `unknown option${suggest(key, PROMETHEUS_KEYS)}`,
            );
        }
        Object.assign(opts, value);
      }
    }
    const host =
      this.str('prometheus.host', opts.host, 'OTEL_EXPORTER_PROMETHEUS_HOST') ?? DEFAULTS.prometheus.host;
    if (/[\s/]/.test(host))
      this.report('ERR_INVALID_HOST', 'prometheus.host', `${show(host)} is not a host name or IP`);
    const port = this.port(opts.port);
    const path = this.str('prometheus.path', opts.path, 'OMB_PROMETHEUS_PATH') ?? DEFAULTS.prometheus.path;
    if (!/^\/[^\s?#]*$/.test(path)) {
      this.report(
        'ERR_INVALID_PATH',
        'prometheus.path',
        `${show(path)} must start with "/" and hold no spaces, "?" or "#"`,
      );
    }
    const targetInfo = this.bool(
      'prometheus.targetInfo',
      opts.targetInfo,
      'OMB_PROMETHEUS_TARGET_INFO',
      true,
    );
    const scopeInfo = this.bool('prometheus.scopeInfo', opts.scopeInfo, 'OMB_PROMETHEUS_SCOPE_INFO', true);
    const hardening = this.endpoint(opts, path);
    if (!exporters.includes('prometheus')) return undefined;
    return { host, port, path, targetInfo, scopeInfo, ...hardening };
  }

  /** The endpoint's protections and HTTP behaviour (issue 3): paths, auth, compression, limits, TLS. */
  private endpoint(opts: PrometheusOptions, metricsPath: string) {
    const d = DEFAULTS.prometheus;
    const listen = this.bool('prometheus.listen', opts.listen, 'OMB_PROMETHEUS_LISTEN', d.listen);
    const healthPath = this.path('prometheus.healthPath', opts.healthPath, 'OMB_PROMETHEUS_HEALTH_PATH');
    const readyPath = this.path('prometheus.readyPath', opts.readyPath, 'OMB_PROMETHEUS_READY_PATH');
    const paths = [metricsPath, healthPath ?? d.healthPath, readyPath ?? d.readyPath];
    if (new Set(paths).size !== paths.length) {
      this.report(
        'ERR_INVALID_PATH',
        'prometheus.healthPath',
        `path, healthPath and readyPath must differ, got ${paths.map(show).join(', ')}`,
      );
    }
    const authToken = this.str('prometheus.authToken', opts.authToken, 'OMB_PROMETHEUS_AUTH_TOKEN');
    const basicAuth = this.basicAuth(opts.basicAuth);
    if (authToken !== undefined && basicAuth !== undefined) {
      this.report(
        'ERR_INVALID_AUTH',
        'prometheus.authToken',
        'set either authToken (bearer) or basicAuth, not both',
      );
    }
    const num = (
      key: keyof typeof d & keyof PrometheusOptions,
      env: keyof typeof ENV,
      integer: boolean,
      min = 0,
    ) => this.number(`prometheus.${key}`, opts[key], env, integer, min) ?? (d[key] as number);
    return {
      listen,
      healthPath: healthPath ?? d.healthPath,
      readyPath: readyPath ?? d.readyPath,
      authToken,
      basicAuth,
      compression: this.bool(
        'prometheus.compression',
        opts.compression,
        'OMB_PROMETHEUS_COMPRESSION',
        d.compression,
      ),
      compressionThreshold: num('compressionThreshold', 'OMB_PROMETHEUS_COMPRESSION_THRESHOLD', true),
      maxConcurrentScrapes: num('maxConcurrentScrapes', 'OMB_PROMETHEUS_MAX_CONCURRENT_SCRAPES', true, 1),
      rateLimit: num('rateLimit', 'OMB_PROMETHEUS_RATE_LIMIT', false),
      cacheTtl: num('cacheTtl', 'OMB_PROMETHEUS_CACHE_TTL', true),
      ...this.collection(opts, num('scrapeTimeout', 'OMB_PROMETHEUS_SCRAPE_TIMEOUT', true, 1)),
      maxResponseBytes: num('maxResponseBytes', 'OMB_PROMETHEUS_MAX_RESPONSE_BYTES', true, 1),
      tls: this.tls(opts.tls),
      selfMetrics: this.bool(
        'prometheus.selfMetrics',
        opts.selfMetrics,
        'OMB_PROMETHEUS_SELF_METRICS',
        d.selfMetrics,
      ),
    };
  }

  /**
   * The scrape timeout and what must fit inside it: the coalescing window and the callback deadline. Unset,
   * the deadline is its default or half the scrape timeout, whichever is shorter.
   */
  private collection(opts: PrometheusOptions, scrapeTimeout: number) {
    const d = DEFAULTS.prometheus;
    const coalesceWindow =
      this.number(
        'prometheus.coalesceWindow',
        opts.coalesceWindow,
        'OMB_PROMETHEUS_COALESCE_WINDOW',
        true,
        0,
      ) ?? d.coalesceWindow;
    const explicit = this.number(
      'prometheus.callbackTimeout',
      opts.callbackTimeout,
      'OMB_PROMETHEUS_CALLBACK_TIMEOUT',
      true,
      1,
    );
    // A callback allowed to run as long as the scrape would time the whole scrape out instead of being dropped.
    if (explicit !== undefined && explicit >= scrapeTimeout) {
      this.report(
        'ERR_INVALID_LIMIT',
        'prometheus.callbackTimeout',
        `${explicit} ms must be below prometheus.scrapeTimeout (${scrapeTimeout} ms), so a slow callback ` +
          'is dropped from the scrape instead of failing it',
      );
    }
    const callbackTimeout =
      explicit ?? Math.min(d.callbackTimeout, Math.max(1, Math.floor(scrapeTimeout / 2)));
    return { scrapeTimeout, coalesceWindow, callbackTimeout };
  }

  private path(option: string, value: unknown, envName: keyof typeof ENV): string | undefined {
    const path = this.str(option, value, envName);
    if (path !== undefined && !/^\/[^\s?#]*$/.test(path)) {
      this.report(
        'ERR_INVALID_PATH',
        option,
        `${show(path)} must start with "/" and hold no spaces, "?" or "#"`,
      );
    }
    return path;
  }

  /** A finite number ≥ `min` (an integer when `integer`); `0` turns a limit off where the option says so. */
  private number(option: string, value: unknown, envName: keyof typeof ENV, integer: boolean, min: number) {
    let v: unknown = value;
    let source = option;
    if (v === undefined) {
      const raw = this.envValue(envName);
      if (raw === undefined) return undefined;
      v = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
      source = envName;
    }
    if (typeof v === 'number' && Number.isFinite(v) && v >= min && (!integer || Number.isInteger(v)))
      return v;
    this.report(
      'ERR_INVALID_LIMIT',
      source,
      `${show(v)} is not valid; use ${integer ? 'an integer' : 'a number'} of at least ${min}`,
    );
    return undefined;
  }

  private basicAuth(value: unknown): { username: string; password: string } | undefined {
    if (value !== undefined) {
      const v = value as { username?: unknown; password?: unknown } | null;
      if (
        v === null ||
        typeof v !== 'object' ||
        typeof v.username !== 'string' ||
        typeof v.password !== 'string' ||
        v.username === '' ||
        v.username.includes(':') ||
        v.password === ''
      ) {
        this.report(
          'ERR_INVALID_AUTH',
          'prometheus.basicAuth',
          'must be { username, password } with non-empty strings and no ":" in the username',
        );
        return undefined;
      }
      return { username: v.username, password: v.password };
    }
    const raw = this.envValue('OMB_PROMETHEUS_BASIC_AUTH');
    if (raw === undefined) return undefined;
    const colon = raw.indexOf(':');
    if (colon <= 0 || colon === raw.length - 1) {
      // The value is a secret: never echo it.
      this.report('ERR_INVALID_AUTH', 'OMB_PROMETHEUS_BASIC_AUTH', 'must be "username:password"');
      return undefined;
    }
    return { username: raw.slice(0, colon), password: raw.slice(colon + 1) };
  }

  /** PEM key and certificate, from the option or from the files the variables name; checked to match. */
  private tls(value: unknown): { key: string; cert: string } | undefined {
    let key: unknown;
    let cert: unknown;
    let source = 'prometheus.tls';
    if (value !== undefined) {
      const v = value as { key?: unknown; cert?: unknown } | null;
      if (v === null || typeof v !== 'object') {
        this.report('ERR_INVALID_TLS', source, 'must be { key, cert } with PEM strings or Buffers');
        return undefined;
      }
      key = Buffer.isBuffer(v.key) ? v.key.toString('utf8') : v.key;
      cert = Buffer.isBuffer(v.cert) ? v.cert.toString('utf8') : v.cert;
    } else {
      const keyFile = this.envValue('OMB_PROMETHEUS_TLS_KEY_FILE');
      const certFile = this.envValue('OMB_PROMETHEUS_TLS_CERT_FILE');
      if (keyFile === undefined && certFile === undefined) return undefined;
      source = 'OMB_PROMETHEUS_TLS_KEY_FILE/OMB_PROMETHEUS_TLS_CERT_FILE';
      if (keyFile === undefined || certFile === undefined) {
        this.report('ERR_INVALID_TLS', source, 'set both the key file and the certificate file');
        return undefined;
      }
      try {
        key = readFileSync(keyFile, 'utf8');
        cert = readFileSync(certFile, 'utf8');
      } catch (err) {
        this.report('ERR_INVALID_TLS', source, `cannot read: ${(err as Error).message}`);
        return undefined;
      }
    }
    if (typeof key !== 'string' || typeof cert !== 'string' || key === '' || cert === '') {
      this.report('ERR_INVALID_TLS', source, 'both key and cert must be non-empty PEM text');
      return undefined;
    }
    try {
      // Fails now, with a clear code, on bad PEM or a key that does not belong to the certificate.
      createSecureContext({ key, cert });
    } catch (err) {
      this.report('ERR_INVALID_TLS', source, `key/certificate rejected: ${(err as Error).message}`);
      return undefined;
    }
    return { key, cert };
  }

  /**
   * On/off from `OTEL_NODE_ENABLED_INSTRUMENTATIONS` then `OTEL_NODE_DISABLED_INSTRUMENTATIONS`, as
   * auto-instrumentations-node applies them: when ENABLED is set only the names it lists are on, then DISABLED
   * turns names off. `undefined` when neither variable is set. Names this library does not know are ignored:
   * the same variables configure other instrumentations in the process.
   */
  instrumentationSwitch(shortName: string): boolean | undefined {
    const list = (name: keyof typeof ENV) =>
      this.envValue(name)
        ?.split(',')
        .map((s) => s.trim().toLowerCase());
    const enabled = list('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
    const disabled = list('OTEL_NODE_DISABLED_INSTRUMENTATIONS');
    let on: boolean | undefined;
    if (enabled !== undefined) on = enabled.includes(shortName);
    if (disabled?.includes(shortName)) on = false;
    return on;
  }

  /** An option that is `true`, `false` or an options object; returns the object (`{}` for `true`) or `undefined` for off. */
  private switchable(
    source: string,
    value: unknown,
    keys: ReadonlySet<string>,
    shortName: string,
  ): Record<string, unknown> | undefined {
    if (value === undefined) return (this.instrumentationSwitch(shortName) ?? true) ? {} : undefined;
    if (value === false) return undefined;
    if (value === true) return {};
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.report(
        'ERR_INVALID_CONFIG',
        source,
        `must be true, false or an options object, got ${show(value)}`,
      );
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!keys.has(key))
        this.report('ERR_UNKNOWN_OPTION', `${source}.${key}`, `unknown option${suggest(key, keys)}`);
    }
    return value as Record<string, unknown>;
  }

  runtime(value: unknown): Required<RuntimeOptions> | undefined {
    const opts = this.switchable('runtime', value, RUNTIME_KEYS, INSTRUMENTATION_SHORT_NAMES.runtime);
    // Validated even when off, so a bad variable is reported before someone turns the metrics on.
    let precision: unknown = opts?.['monitoringPrecision'];
    let source = 'runtime.monitoringPrecision';
    if (precision === undefined) {
      const raw = this.envValue('OMB_RUNTIME_MONITORING_PRECISION');
      if (raw !== undefined) {
        precision = /^\d+$/.test(raw) ? Number(raw) : raw;
        source = 'OMB_RUNTIME_MONITORING_PRECISION';
      }
    }
    let monitoringPrecision: number = DEFAULTS.runtime.monitoringPrecision;
    if (precision !== undefined) {
      // perf_hooks.monitorEventLoopDelay() wants a whole number of milliseconds above zero.
      if (
        typeof precision === 'number' &&
        Number.isInteger(precision) &&
        precision >= 1 &&
        precision <= 60_000
      ) {
        monitoringPrecision = precision;
      } else {
        this.report(
          'ERR_INVALID_MONITORING_PRECISION',
          source,
          `${show(precision)} is not a sampling interval; use whole milliseconds from 1 to 60000 (default 10)`,
        );
      }
    }
    return opts === undefined ? undefined : { monitoringPrecision };
  }

  host(value: unknown): { groups: HostMetricGroup[] } | undefined {
    const opts = this.switchable('host', value, HOST_KEYS, INSTRUMENTATION_SHORT_NAMES.host);
    let list: unknown = opts?.['groups'];
    let source = 'host.groups';
    if (list === undefined) {
      const raw = this.envValue('OMB_HOST_METRICS_GROUPS');
      if (raw !== undefined) {
        list = raw.split(',').map((g) => g.trim());
        source = 'OMB_HOST_METRICS_GROUPS';
      }
    }
    let groups: HostMetricGroup[] = [...DEFAULTS.hostGroups];
    if (list !== undefined) {
      if (!Array.isArray(list)) {
        this.report('ERR_UNKNOWN_METRIC_GROUP', source, `must be an array of group names, got ${show(list)}`);
      } else {
        const picked = new Set<HostMetricGroup>();
        for (const name of list) {
          const matches = HOST_METRIC_GROUPS.filter(
            (g) => g === name || ((name === 'process' || name === 'system') && g.startsWith(`${name}.`)),
          );
          if (matches.length === 0) {
            this.report(
              'ERR_UNKNOWN_METRIC_GROUP',
              source,
              `unknown group ${show(name)}; use ${HOST_METRIC_GROUPS.join(', ')}, process or system`,
            );
          }
          for (const g of matches) picked.add(g);
        }
        // Keep the canonical order so equal selections resolve to equal configs.
        groups = HOST_METRIC_GROUPS.filter((g) => picked.has(g));
      }
    }
    return opts === undefined ? undefined : { groups };
  }

  http(value: unknown): ResolvedHttpConfig {
    const opts: HttpOptions = {};
    if (value === false) Object.assign(opts, { server: false, client: false });
    else if (value !== undefined) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        this.report('ERR_INVALID_CONFIG', 'http', `must be an options object or false, got ${show(value)}`);
      } else {
        for (const key of Object.keys(value)) {
          if (!HTTP_KEYS.has(key))
            this.report('ERR_UNKNOWN_OPTION', `http.${key}`, `unknown option${suggest(key, HTTP_KEYS)}`);
        }
        Object.assign(opts, value);
      }
    }
    const server = this.bool('http.server', opts.server, 'OMB_HTTP_SERVER', DEFAULTS.http.server);
    const client = this.bool('http.client', opts.client, 'OMB_HTTP_CLIENT', DEFAULTS.http.client);

    const routes =
      this.stringList('http.routes', opts.routes, 'OMB_HTTP_ROUTES', 'ERR_INVALID_HTTP_ROUTE') ?? [];
    const validRoutes: string[] = [];
    for (const [i, t] of routes.entries()) {
      const problem = routeTemplateProblem(t);
      if (problem) this.report('ERR_INVALID_HTTP_ROUTE', `http.routes[${i}]`, problem);
      else validRoutes.push(t);
    }
    for (const t of new RouteTable(validRoutes).shadowed) {
      this.report(
        'ERR_INVALID_HTTP_ROUTE',
        'http.routes',
        `${show(t)} can never match: an earlier template has the same shape`,
      );
    }

    const ignorePaths: string[] = [];
    const ignorePrefixes: string[] = [];
    const ignorePatterns: RegExp[] = [];
    let ignorePredicate: ((req: HttpRequestInfo) => boolean) | undefined;
    const addPath = (p: string, source: string) => {
      if (!p.startsWith('/'))
        this.report('ERR_INVALID_HTTP_IGNORE', source, `${show(p)} must start with "/"`);
      else if (p.endsWith('*')) ignorePrefixes.push(p.slice(0, -1));
      else ignorePaths.push(p);
    };
    if (typeof opts.ignore === 'function') {
      ignorePredicate = opts.ignore;
    } else if (opts.ignore !== undefined) {
      if (!Array.isArray(opts.ignore)) {
        this.report(
          'ERR_INVALID_HTTP_IGNORE',
          'http.ignore',
          `must be an array of paths and RegExps, or a function, got ${show(opts.ignore)}`,
        );
      } else {
        for (const [i, rule] of opts.ignore.entries()) {
          if (typeof rule === 'string') addPath(rule, `http.ignore[${i}]`);
          else if (rule instanceof RegExp)
            ignorePatterns.push(new RegExp(rule.source, rule.flags.replace(/[gy]/g, '')));
          else
            this.report(
              'ERR_INVALID_HTTP_IGNORE',
              `http.ignore[${i}]`,
              `must be a path or a RegExp, got ${show(rule)}`,
            );
        }
      }
    } else {
      for (const p of this.stringList(
        'http.ignore',
        undefined,
        'OMB_HTTP_IGNORE',
        'ERR_INVALID_HTTP_IGNORE',
      ) ?? [])
        addPath(p, 'OMB_HTTP_IGNORE');
    }

    const optIn =
      this.stringList(
        'http.optInAttributes',
        opts.optInAttributes,
        'OMB_HTTP_OPT_IN_ATTRIBUTES',
        'ERR_INVALID_HTTP_OPTION',
      ) ?? [];
    const optInAttributes: HttpOptInAttribute[] = [];
    for (const a of optIn) {
      if (HTTP_OPT_IN_ATTRIBUTES.includes(a as HttpOptInAttribute))
        optInAttributes.push(a as HttpOptInAttribute);
      else
        this.report(
          'ERR_INVALID_HTTP_OPTION',
          opts.optInAttributes !== undefined ? 'http.optInAttributes' : 'OMB_HTTP_OPT_IN_ATTRIBUTES',
          `${show(a)} is not an opt-in attribute; use ${HTTP_OPT_IN_ATTRIBUTES.join(', ')}`,
        );
    }

    const knownMethods =
      this.stringList(
        'http.knownMethods',
        opts.knownMethods,
        'OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS',
        'ERR_INVALID_HTTP_OPTION',
      ) ?? DEFAULTS.http.knownMethods;
    for (const m of knownMethods) {
      // RFC 9110 token characters; the list is case-sensitive (semconv).
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(m))
        this.report('ERR_INVALID_HTTP_OPTION', 'http.knownMethods', `${show(m)} is not an HTTP method token`);
    }

    const engineRaw = opts.engine ?? this.envValue('OMB_HTTP_ENGINE');
    let engine = DEFAULTS.http.engine;
    if (engineRaw !== undefined) {
      if (HTTP_ENGINES.includes(engineRaw as HttpEngine)) engine = engineRaw as HttpEngine;
      else
        this.report(
          'ERR_UNKNOWN_HTTP_ENGINE',
          opts.engine !== undefined ? 'http.engine' : 'OMB_HTTP_ENGINE',
          `${show(engineRaw)} is not an HTTP engine; use ${HTTP_ENGINES.join(' or ')}`,
        );
    }

    return {
      server,
      client,
      routes: validRoutes,
      ignorePaths,
      ignorePrefixes,
      ignorePatterns,
      ignorePredicate,
      optInAttributes: [...new Set(optInAttributes)],
      knownMethods: [...new Set(knownMethods)],
      engine,
    };
  }

  /** A list option, or a comma-separated environment variable; `undefined` when neither is set. */
  stringList(
    option: string,
    value: unknown,
    envName: keyof typeof ENV,
    code: MetricsErrorCode,
  ): string[] | undefined {
    if (value !== undefined) {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
        this.report(code, option, `must be an array of strings, got ${show(value)}`);
        return undefined;
      }
      return [...value];
    }
    const raw = this.envValue(envName);
    if (raw === undefined) return undefined;
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  logLevel(value: unknown): LogLevel {
    const raw = value ?? this.envValue('OTEL_LOG_LEVEL')?.toLowerCase();
    if (raw === undefined) return DEFAULTS.logLevel;
    if (LOG_LEVELS.includes(raw as LogLevel)) return raw as LogLevel;
    this.report(
      'ERR_INVALID_LOG_LEVEL',
      value !== undefined ? 'logLevel' : 'OTEL_LOG_LEVEL',
      `${show(raw)} is not a log level; use one of ${LOG_LEVELS.join(', ')}`,
    );
    return DEFAULTS.logLevel;
  }
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  try {
    return JSON.stringify(v) ?? typeof v;
  } catch {
    return typeof v;
  }
}

/** " (did you mean `port`?)" for a near-miss option name; edit distance ≤ 2. */
function suggest(key: string, known: ReadonlySet<string>): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best ? ` (did you mean \`${best}\`?)` : '';
}

/** Levenshtein edit distance; also used by the testing kit to suggest the nearest metric names. */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

function deepFreeze<T>(value: T, skip: ReadonlySet<unknown>): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !skip.has(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v, skip);
  }
  return value;
}
