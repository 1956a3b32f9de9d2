import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { ExporterName, Reader } from '../config.js';
// config.ts imports this module for its values; everything else imports only its types, so config.ts is always
// evaluated first and this cycle never reads an uninitialised binding.
import { show, suggest } from '../config.js';

/** OTLP transport. `http/protobuf` (default) and `http/json` POST to `/v1/metrics`; `grpc` needs `@opentelemetry/exporter-metrics-otlp-grpc`. */
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
export const OTLP_PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];

/**
 * Aggregation temporality per instrument kind, as the OTLP exporter spec defines the three preferences:
 * `cumulative` everywhere; `delta` for counters, histograms and gauges (up-down counters stay cumulative);
 * `lowmemory` delta only for synchronous counters and histograms.
 */
export type Temporality = 'cumulative' | 'delta' | 'lowmemory';
export const TEMPORALITIES: readonly Temporality[] = ['cumulative', 'delta', 'lowmemory'];

/** PEM text (or Buffers) for TLS towards a backend. */
export interface ClientTls {
  /** Trusted root certificate(s). Default: Node's bundled roots. */
  ca?: string | Buffer;
  /** Client certificate, for mutual TLS. */
  cert?: string | Buffer;
  /** Client private key, for mutual TLS. */
  key?: string | Buffer;
}

/** Push to an OpenTelemetry Collector (or any OTLP receiver) with the upstream OTLP exporters. */
export interface OtlpOptions {
  /**
   * Receiver URL. For `http/*`, a URL without a path gets `/v1/metrics`; one with a path is used as-is. For
   * `grpc`, the URL is used as-is. Default `http://localhost:4318/v1/metrics` (`http://localhost:4317` for
   * grpc). Env `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` (used as-is), else `OTEL_EXPORTER_OTLP_ENDPOINT` (gets
   * `/v1/metrics` for http).
   */
  endpoint?: string;
  /** Default `http/protobuf`. Env `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`. */
  protocol?: OtlpProtocol;
  /**
   * Extra request headers (gRPC metadata for grpc). Default none. Env `OTEL_EXPORTER_OTLP_HEADERS` and
   * `OTEL_EXPORTER_OTLP_METRICS_HEADERS` (`k=v,k2=v2`, values percent-decoded; the metrics one wins per key).
   */
  headers?: Record<string, string>;
  /** Default `none`. Env `OTEL_EXPORTER_OTLP_METRICS_COMPRESSION`, else `OTEL_EXPORTER_OTLP_COMPRESSION`. */
  compression?: 'gzip' | 'none';
  /** Time between exports, in milliseconds. Default `60000`. Env `OTEL_METRIC_EXPORT_INTERVAL`. */
  intervalMs?: number;
  /**
   * Deadline of one export, retries included, in milliseconds. Default `10000`. Env
   * `OTEL_EXPORTER_OTLP_METRICS_TIMEOUT`, else `OTEL_EXPORTER_OTLP_TIMEOUT`, else `OTEL_METRIC_EXPORT_TIMEOUT`.
   */
  timeoutMs?: number;
  /** Default `cumulative`. Env `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`. */
  temporality?: Temporality;
  /**
   * TLS towards the receiver (https:// or grpc with TLS). Default none. Env (file paths, read once at start)
   * `OTEL_EXPORTER_OTLP_[METRICS_]CERTIFICATE`, `…_CLIENT_CERTIFICATE`, `…_CLIENT_KEY`.
   */
  tls?: ClientTls;
}

/** Basic or bearer credentials for the Pushgateway. */
export type PushgatewayAuth = { username: string; password: string } | { token: string };

/** Push the same exposition the endpoint serves to a Prometheus Pushgateway: batch jobs, CLIs, cron. */
export interface PushgatewayOptions {
  /** Gateway base URL, e.g. `http://pushgateway:9091`. Required. Env `OMB_PUSHGATEWAY_URL`. */
  url?: string;
  /** The `job` grouping label. Default: the service name. Env `OMB_PUSHGATEWAY_JOB`. */
  job?: string;
  /**
   * More grouping labels (`{ instance: 'a' }`). Values with `/` or empty ones are sent base64-encoded, as the
   * Pushgateway API asks. Default none. Env `OMB_PUSHGATEWAY_GROUPING_KEY` (`k=v,k2=v2`).
   */
  groupingKey?: Record<string, string>;
  /** Time between pushes, in milliseconds; a last push always happens at shutdown. Default `15000`. Env `OMB_PUSHGATEWAY_INTERVAL`. */
  intervalMs?: number;
  /** Deadline of one push, retries included, in milliseconds. Default `10000`. Env `OMB_PUSHGATEWAY_TIMEOUT`. */
  timeoutMs?: number;
  /** Credentials. Default none. Env `OMB_PUSHGATEWAY_BASIC_AUTH` (`user:password`) or `OMB_PUSHGATEWAY_AUTH_TOKEN`. */
  auth?: PushgatewayAuth;
  /**
   * Delete the group at shutdown (after the last push), for jobs whose metrics must not outlive them.
   * Default `false`. Env `OMB_PUSHGATEWAY_DELETE_ON_SHUTDOWN`.
   */
  deleteOnShutdown?: boolean;
  /** `put` replaces the whole group on every push; `post` replaces only the metric names pushed. Default `put`. Env `OMB_PUSHGATEWAY_METHOD`. */
  method?: 'put' | 'post';
}

/** Send per-interval deltas to a StatsD (or DogStatsD) agent. */
export interface StatsdOptions {
  /** Agent host. Default `localhost`. Env `OMB_STATSD_HOST`. */
  host?: string;
  /** Agent port. Default `8125`. Env `OMB_STATSD_PORT`. */
  port?: number;
  /** Unix socket path, for `protocol: 'uds'` (DogStatsD's stream socket). Env `OMB_STATSD_SOCKET_PATH`. */
  socketPath?: string;
  /** Prepended to every name, e.g. `checkout.`. Default none. Env `OMB_STATSD_PREFIX`. */
  prefix?: string;
  /** Default `udp`. Env `OMB_STATSD_PROTOCOL`. */
  protocol?: 'udp' | 'tcp' | 'uds';
  /** `dogstatsd` adds `|#key:value` tags and `|d` distributions; `none` sends plain StatsD. Default `none`. Env `OMB_STATSD_TAGS`. */
  tags?: 'dogstatsd' | 'none';
  /** Lines are batched into packets (UDP datagrams, TCP/UDS writes) of at most this many bytes. Default `1432`. Env `OMB_STATSD_MAX_PACKET_BYTES`. */
  maxPacketBytes?: number;
  /** Time between flushes, in milliseconds. Default `10000`. Env `OMB_STATSD_INTERVAL`. */
  intervalMs?: number;
}

/** One data point as the console exporter writes it (one JSON line each). */
export interface ConsoleRecord {
  /** Export time, ISO 8601. */
  readonly time: string;
  readonly name: string;
  readonly unit: string;
  /** `counter`, `updowncounter`, `gauge` or `histogram`. */
  readonly type: string;
  readonly temporality: 'cumulative' | 'delta';
  readonly attributes: Readonly<Record<string, unknown>>;
  /** A number, or `{ count, sum, min?, max?, buckets: { boundaries, counts } }` for histograms. */
  readonly value: unknown;
  readonly scope: string;
  /** The resource attributes (`service.name`, …); the same object for every record of one export. */
  readonly resource: Readonly<Record<string, unknown>>;
}

/** Metrics as JSON lines, for development and log-ingesting platforms. */
export interface ConsoleOptions {
  /** Where records go: stdout as JSON lines (default), or this function (e.g. `(r) => logger.info(r)`). */
  write?: (record: ConsoleRecord) => void;
  /** Time between exports, in milliseconds. Default `60000`. Env `OTEL_METRIC_EXPORT_INTERVAL`. */
  intervalMs?: number;
}

/** The export options `MetricsConfig` accepts (each exporter's options object also turns it on). */
export interface ExportOptions {
  /** OTLP push; `false` turns it off even when `OTEL_METRICS_EXPORTER` lists it. */
  otlp?: OtlpOptions | false;
  /** Pushgateway push; `false` turns it off. */
  pushgateway?: PushgatewayOptions | false;
  /** StatsD / DogStatsD; `false` turns it off. */
  statsd?: StatsdOptions | false;
  /** JSON lines to stdout or a function; `false` turns it off. */
  console?: ConsoleOptions | false;
  /**
   * Your own readers (the SDK 3 provider takes readers only at construction). Each gets the same views and the
   * HTTP metrics (through `createHttpMetricProducer()`) as the built-in ones. Default none.
   */
  readers?: IMetricReader[];
  /**
   * How long `shutdown()` waits for the last exports (and Pushgateway delete), in milliseconds; what is not
   * delivered by then is logged. Default `5000`. Env `OMB_SHUTDOWN_TIMEOUT`.
   */
  shutdownTimeoutMs?: number;
}

export interface ResolvedOtlpOptions {
  readonly endpoint: string;
  readonly protocol: OtlpProtocol;
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: 'gzip' | 'none';
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly temporality: Temporality;
  /** PEM text. */
  readonly tls: Readonly<{ ca?: string; cert?: string; key?: string }>;
}

export interface ResolvedPushgatewayOptions {
  readonly url: string;
  readonly job: string;
  readonly groupingKey: Readonly<Record<string, string>>;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly auth: Readonly<PushgatewayAuth> | undefined;
  readonly deleteOnShutdown: boolean;
  readonly method: 'put' | 'post';
}

export interface ResolvedStatsdOptions {
  readonly host: string;
  readonly port: number;
  readonly socketPath: string | undefined;
  readonly prefix: string;
  readonly protocol: 'udp' | 'tcp' | 'uds';
  readonly tags: 'dogstatsd' | 'none';
  readonly maxPacketBytes: number;
  readonly intervalMs: number;
}

export interface ResolvedConsoleOptions {
  readonly write: ((record: ConsoleRecord) => void) | undefined;
  readonly intervalMs: number;
}

/** The export part of the resolved configuration; each exporter `undefined` when off. */
export interface ResolvedExportOptions {
  readonly otlp: ResolvedOtlpOptions | undefined;
  readonly pushgateway: ResolvedPushgatewayOptions | undefined;
  readonly statsd: ResolvedStatsdOptions | undefined;
  readonly console: ResolvedConsoleOptions | undefined;
  readonly readers: readonly IMetricReader[];
  readonly shutdownTimeoutMs: number;
}

export const EXPORT_DEFAULTS = Object.freeze({
  otlp: Object.freeze({
    httpEndpoint: 'http://localhost:4318/v1/metrics',
    grpcEndpoint: 'http://localhost:4317',
    protocol: 'http/protobuf' as OtlpProtocol,
    compression: 'none' as const,
    intervalMs: 60_000,
    timeoutMs: 10_000,
    temporality: 'cumulative' as Temporality,
  }),
  pushgateway: Object.freeze({
    intervalMs: 15_000,
    timeoutMs: 10_000,
    deleteOnShutdown: false,
    method: 'put' as const,
  }),
  statsd: Object.freeze({
    host: 'localhost',
    port: 8125,
    prefix: '',
    protocol: 'udp' as const,
    tags: 'none' as const,
    // The largest UDP payload that fits a 1500-byte Ethernet frame without IP fragmentation (as DogStatsD's
    // client libraries default to).
    maxPacketBytes: 1432,
    intervalMs: 10_000,
  }),
  console: Object.freeze({ intervalMs: 60_000 }),
  shutdownTimeoutMs: 5_000,
});

/** The export environment variables, with the option each feeds (merged into `ENV` in config.ts). */
export const EXPORT_ENV = Object.freeze({
  OTEL_EXPORTER_OTLP_ENDPOINT: 'otlp.endpoint',
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'otlp.endpoint',
  OTEL_EXPORTER_OTLP_PROTOCOL: 'otlp.protocol',
  OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'otlp.protocol',
  OTEL_EXPORTER_OTLP_HEADERS: 'otlp.headers',
  OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'otlp.headers',
  OTEL_EXPORTER_OTLP_COMPRESSION: 'otlp.compression',
  OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'otlp.compression',
  OTEL_EXPORTER_OTLP_TIMEOUT: 'otlp.timeoutMs',
  OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: 'otlp.timeoutMs',
  OTEL_EXPORTER_OTLP_CERTIFICATE: 'otlp.tls.ca',
  OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: 'otlp.tls.ca',
  OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: 'otlp.tls.cert',
  OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: 'otlp.tls.cert',
  OTEL_EXPORTER_OTLP_CLIENT_KEY: 'otlp.tls.key',
  OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: 'otlp.tls.key',
  OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'otlp.temporality',
  OTEL_METRIC_EXPORT_INTERVAL: 'otlp.intervalMs, console.intervalMs',
  OTEL_METRIC_EXPORT_TIMEOUT: 'otlp.timeoutMs',
  OMB_PUSHGATEWAY_URL: 'pushgateway.url',
  OMB_PUSHGATEWAY_JOB: 'pushgateway.job',
  OMB_PUSHGATEWAY_GROUPING_KEY: 'pushgateway.groupingKey',
  OMB_PUSHGATEWAY_INTERVAL: 'pushgateway.intervalMs',
  OMB_PUSHGATEWAY_TIMEOUT: 'pushgateway.timeoutMs',
  OMB_PUSHGATEWAY_BASIC_AUTH: 'pushgateway.auth',
  OMB_PUSHGATEWAY_AUTH_TOKEN: 'pushgateway.auth',
  OMB_PUSHGATEWAY_DELETE_ON_SHUTDOWN: 'pushgateway.deleteOnShutdown',
  OMB_PUSHGATEWAY_METHOD: 'pushgateway.method',
  OMB_STATSD_HOST: 'statsd.host',
  OMB_STATSD_PORT: 'statsd.port',
  OMB_STATSD_SOCKET_PATH: 'statsd.socketPath',
  OMB_STATSD_PREFIX: 'statsd.prefix',
  OMB_STATSD_PROTOCOL: 'statsd.protocol',
  OMB_STATSD_TAGS: 'statsd.tags',
  OMB_STATSD_MAX_PACKET_BYTES: 'statsd.maxPacketBytes',
  OMB_STATSD_INTERVAL: 'statsd.intervalMs',
  OMB_SHUTDOWN_TIMEOUT: 'shutdownTimeoutMs',
} as const);
type EnvName = keyof typeof EXPORT_ENV;

/** Top-level option names this module owns. */
export const EXPORT_KEYS: readonly string[] = [
  'otlp',
  'pushgateway',
  'statsd',
  'console',
  'readers',
  'shutdownTimeoutMs',
];

const OTLP_KEYS = new Set([
  'endpoint',
  'protocol',
  'headers',
  'compression',
  'intervalMs',
  'timeoutMs',
  'temporality',
  'tls',
]);
const PUSHGATEWAY_KEYS = new Set([
  'url',
  'job',
  'groupingKey',
  'intervalMs',
  'timeoutMs',
  'auth',
  'deleteOnShutdown',
  'method',
]);
const STATSD_KEYS = new Set([
  'host',
  'port',
  'socketPath',
  'prefix',
  'protocol',
  'tags',
  'maxPacketBytes',
  'intervalMs',
]);
const CONSOLE_KEYS = new Set(['write', 'intervalMs']);

/** The package that carries the grpc transport: an optional peer dependency, loaded only for `grpc`. */
const OTLP_GRPC_PACKAGE = '@opentelemetry/exporter-metrics-otlp-grpc';
/** Both optional peers the grpc protocol needs (otlp.ts builds the credentials and metadata with grpc-js). */
const OTLP_GRPC_PACKAGES = [OTLP_GRPC_PACKAGE, '@grpc/grpc-js'] as const;

/** Pushgateway label names: the Prometheus label syntax (its API rejects anything else). */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Resolves `otlp`, `pushgateway`, `statsd`, `console`, `readers` and `shutdownTimeoutMs` (explicit option >
 * environment variable > default), reporting every problem through `r`. An exporter is on when `exporters`
 * (or `OTEL_METRICS_EXPORTER`) lists it or its options object is given; `false` turns it off.
 */
export function resolveExportOptions(
  options: ExportOptions,
  exporters: readonly ExporterName[],
  serviceName: string | undefined,
  r: Reader,
): ResolvedExportOptions {
  const section = (name: 'otlp' | 'pushgateway' | 'statsd' | 'console', keys: ReadonlySet<string>) => {
    const value: unknown = options[name];
    if (value === false) return undefined;
    if (value !== undefined) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        r.report('ERR_INVALID_CONFIG', name, `must be an options object or false, got ${show(value)}`);
        return undefined;
      }
      for (const key of Object.keys(value)) {
        if (!keys.has(key))
          r.report('ERR_UNKNOWN_OPTION', `${name}.${key}`, `unknown option${suggest(key, keys)}`);
      }
      return value as Record<string, unknown>;
    }
    return exporters.includes(name) ? {} : undefined;
  };
  const otlp = section('otlp', OTLP_KEYS);
  const pushgateway = section('pushgateway', PUSHGATEWAY_KEYS);
  const statsd = section('statsd', STATSD_KEYS);
  const consoleOpts = section('console', CONSOLE_KEYS);
  return {
    otlp: otlp && resolveOtlp(otlp as OtlpOptions, r),
    pushgateway: pushgateway && resolvePushgateway(pushgateway as PushgatewayOptions, serviceName, r),
    statsd: statsd && resolveStatsd(statsd as StatsdOptions, r),
    console: consoleOpts && resolveConsole(consoleOpts as ConsoleOptions, r),
    readers: resolveReaders(options.readers, r),
    shutdownTimeoutMs:
      duration(r, 'shutdownTimeoutMs', options.shutdownTimeoutMs, ['OMB_SHUTDOWN_TIMEOUT']) ??
      EXPORT_DEFAULTS.shutdownTimeoutMs,
  };
}

/** A value from the option, else the first variable set; `source` names where it came from. */
function pick(r: Reader, option: string, value: unknown, envNames: readonly EnvName[]) {
  if (value !== undefined) return { value, source: option, fromEnv: false };
  for (const name of envNames) {
    const raw = r.envValue(name);
    if (raw !== undefined) return { value: raw as unknown, source: name, fromEnv: true };
  }
  return undefined;
}

/** Whole milliseconds ≥ 1, from the option or the first variable set. */
function duration(
  r: Reader,
  option: string,
  value: unknown,
  envNames: readonly EnvName[],
): number | undefined {
  const got = pick(r, option, value, envNames);
  if (got === undefined) return undefined;
  const v = got.fromEnv && /^\d+$/.test(got.value as string) ? Number(got.value) : got.value;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return v;
  r.report(
    'ERR_INVALID_LIMIT',
    got.source,
    `${show(v)} is not a duration; use whole milliseconds of at least 1`,
  );
  return undefined;
}

/** One of `allowed` (case-insensitive from a variable). */
function oneOf<T extends string>(
  r: Reader,
  option: string,
  value: unknown,
  envNames: readonly EnvName[],
  allowed: readonly T[],
  fallback: T,
): T {
  const got = pick(r, option, value, envNames);
  if (got === undefined) return fallback;
  const v = got.fromEnv ? (got.value as string).toLowerCase() : got.value;
  if (allowed.includes(v as T)) return v as T;
  r.report('ERR_INVALID_EXPORT_OPTION', got.source, `${show(v)} is not valid; use ${allowed.join(', ')}`);
  return fallback;
}

function url(r: Reader, source: string, raw: string, protocols: readonly string[]): URL | undefined {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    r.report('ERR_INVALID_URL', source, `${show(raw)} is not an absolute URL such as http://collector:4318`);
    return undefined;
  }
  if (!protocols.includes(parsed.protocol)) {
    r.report('ERR_INVALID_URL', source, `${show(raw)} must use ${protocols.join(' or ')}`);
    return undefined;
  }
  return parsed;
}

/** `k=v,k2=v2` with percent-encoded values (the OTel spec's header and resource-attribute list format). */
function keyValueList(r: Reader, source: string, raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    let value: string;
    try {
      value = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      value = '';
      r.report('ERR_INVALID_EXPORT_OPTION', source, `bad percent-encoding in the value of ${show(key)}`);
    }
    // Header values may be secrets: name the key, never echo the value.
    if (key === '') r.report('ERR_INVALID_EXPORT_OPTION', source, 'must be a comma list of key=value pairs');
    else out[key] = value;
  }
  return out;
}

function stringRecord(r: Reader, source: string, value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    r.report('ERR_INVALID_EXPORT_OPTION', source, `must be an object of string values, got ${show(value)}`);
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      r.report('ERR_INVALID_EXPORT_OPTION', `${source}.${k}`, 'must be a string');
      return undefined;
    }
  }
  return { ...(value as Record<string, string>) };
}

function resolveOtlp(o: OtlpOptions, r: Reader): ResolvedOtlpOptions {
  const d = EXPORT_DEFAULTS.otlp;
  const protocol = oneOf(
    r,
    'otlp.protocol',
    o.protocol,
    ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    OTLP_PROTOCOLS,
    d.protocol,
  );
  const grpc = protocol === 'grpc';
  if (grpc) {
    try {
      // Resolved, not loaded: the grpc stack is imported only when the first export runs.
      const require = createRequire(import.meta.url);
      for (const name of OTLP_GRPC_PACKAGES) require.resolve(name);
    } catch {
      r.report(
        'ERR_MISSING_DEPENDENCY',
        'otlp.protocol',
        `protocol grpc needs ${OTLP_GRPC_PACKAGES.join(' and ')} (npm install ${OTLP_GRPC_PACKAGE}@0.301.0 @grpc/grpc-js); or use http/protobuf`,
      );
    }
  }
  // Spec: the signal-specific variable is the full URL; the generic one is a base that gets the signal path
  // (for http; gRPC has no path). The option behaves like the base when it has no path of its own.
  let endpoint: string = grpc ? d.grpcEndpoint : d.httpEndpoint;
  const schemes = ['http:', 'https:'];
  const given = pick(r, 'otlp.endpoint', o.endpoint, ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT']);
  if (given !== undefined) {
    const raw = typeof given.value === 'string' ? given.value : show(given.value);
    const parsed = url(r, given.source, raw, schemes);
    if (parsed) {
      const asBase = given.source === 'otlp.endpoint' && (parsed.pathname === '/' || parsed.pathname === '');
      endpoint = asBase && !grpc ? new URL('v1/metrics', parsed).href : parsed.href;
    }
  } else {
    const base = r.envValue('OTEL_EXPORTER_OTLP_ENDPOINT');
    const parsed = base !== undefined ? url(r, 'OTEL_EXPORTER_OTLP_ENDPOINT', base, schemes) : undefined;
    if (parsed) endpoint = grpc ? parsed.href : `${parsed.href.replace(/\/?$/, '/')}v1/metrics`;
  }

  let headers: Record<string, string> = {};
  if (o.headers !== undefined) headers = stringRecord(r, 'otlp.headers', o.headers) ?? {};
  else {
    for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS'] as const) {
      const raw = r.envValue(name);
      if (raw !== undefined) Object.assign(headers, keyValueList(r, name, raw));
    }
  }

  return {
    endpoint,
    protocol,
    headers,
    compression: oneOf(
      r,
      'otlp.compression',
      o.compression,
      ['OTEL_EXPORTER_OTLP_METRICS_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION'],
      ['gzip', 'none'] as const,
      d.compression,
    ),
    intervalMs: duration(r, 'otlp.intervalMs', o.intervalMs, ['OTEL_METRIC_EXPORT_INTERVAL']) ?? d.intervalMs,
    timeoutMs:
      duration(r, 'otlp.timeoutMs', o.timeoutMs, [
        'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT',
        'OTEL_EXPORTER_OTLP_TIMEOUT',
        'OTEL_METRIC_EXPORT_TIMEOUT',
      ]) ?? d.timeoutMs,
    temporality: oneOf(
      r,
      'otlp.temporality',
      o.temporality,
      ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE'],
      TEMPORALITIES,
      d.temporality,
    ),
    tls: clientTls(r, o.tls),
  };
}

/** TLS material from the option (PEM) or the files the standard variables name (read once, now). */
function clientTls(r: Reader, value: unknown): { ca?: string; cert?: string; key?: string } {
  const out: { ca?: string; cert?: string; key?: string } = {};
  if (value !== undefined) {
    if (value === null || typeof value !== 'object') {
      r.report('ERR_INVALID_TLS', 'otlp.tls', 'must be { ca?, cert?, key? } with PEM strings or Buffers');
      return out;
    }
    for (const part of ['ca', 'cert', 'key'] as const) {
      const v = (value as ClientTls)[part];
      if (v === undefined) continue;
      const text = Buffer.isBuffer(v) ? v.toString('utf8') : v;
      if (typeof text !== 'string' || text === '')
        r.report('ERR_INVALID_TLS', `otlp.tls.${part}`, 'must be PEM text');
      else out[part] = text;
    }
  } else {
    const files = {
      ca: ['OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CERTIFICATE'],
      cert: ['OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE'],
      key: ['OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY', 'OTEL_EXPORTER_OTLP_CLIENT_KEY'],
    } as const;
    for (const part of ['ca', 'cert', 'key'] as const) {
      const got = pick(r, '', undefined, files[part]);
      if (got === undefined) continue;
      try {
        out[part] = readFileSync(got.value as string, 'utf8');
      } catch (err) {
        r.report('ERR_INVALID_TLS', got.source, `cannot read: ${(err as Error).message}`);
      }
    }
  }
  if ((out.cert === undefined) !== (out.key === undefined)) {
    r.report('ERR_INVALID_TLS', 'otlp.tls', 'a client certificate needs its key and the key its certificate');
  }
  return out;
}

function resolvePushgateway(
  o: PushgatewayOptions,
  serviceName: string | undefined,
  r: Reader,
): ResolvedPushgatewayOptions {
  const d = EXPORT_DEFAULTS.pushgateway;
  const raw = r.str('pushgateway.url', o.url, 'OMB_PUSHGATEWAY_URL');
  let base = '';
  if (raw === undefined) {
    r.report('ERR_INVALID_URL', 'pushgateway.url', 'is required: set OMB_PUSHGATEWAY_URL or pushgateway.url');
  } else {
    const parsed = url(r, o.url !== undefined ? 'pushgateway.url' : 'OMB_PUSHGATEWAY_URL', raw, [
      'http:',
      'https:',
    ]);
    if (parsed) base = parsed.href.replace(/\/+$/, '');
  }
  const job = r.str('pushgateway.job', o.job, 'OMB_PUSHGATEWAY_JOB') ?? serviceName ?? 'unknown_service:node';

  let groupingKey: Record<string, string> = {};
  let keySource = 'pushgateway.groupingKey';
  if (o.groupingKey !== undefined) groupingKey = stringRecord(r, keySource, o.groupingKey) ?? {};
  else {
    const env = r.envValue('OMB_PUSHGATEWAY_GROUPING_KEY');
    if (env !== undefined) {
      keySource = 'OMB_PUSHGATEWAY_GROUPING_KEY';
      groupingKey = keyValueList(r, keySource, env);
    }
  }
  for (const name of Object.keys(groupingKey)) {
    if (!LABEL_NAME.test(name) || name === 'job')
      r.report(
        'ERR_INVALID_EXPORT_OPTION',
        keySource,
        `${show(name)} is not a grouping label name (job is set by \`job\`)`,
      );
  }

  let auth: PushgatewayAuth | undefined;
  if (o.auth !== undefined) {
    const a = o.auth as Partial<{ username: unknown; password: unknown; token: unknown }> | null;
    if (a && typeof a.token === 'string' && a.token !== '') auth = { token: a.token };
    else if (
      a &&
      typeof a.username === 'string' &&
      typeof a.password === 'string' &&
      a.username !== '' &&
      !a.username.includes(':')
    )
      auth = { username: a.username, password: a.password };
    else
      r.report(
        'ERR_INVALID_AUTH',
        'pushgateway.auth',
        'must be { token } or { username, password } (no ":" in the username)',
      );
  } else {
    const token = r.envValue('OMB_PUSHGATEWAY_AUTH_TOKEN');
    const basic = r.envValue('OMB_PUSHGATEWAY_BASIC_AUTH');
    if (token !== undefined && basic !== undefined)
      r.report(
        'ERR_INVALID_AUTH',
        'OMB_PUSHGATEWAY_AUTH_TOKEN',
        'set either the token or basic auth, not both',
      );
    else if (token !== undefined) auth = { token };
    else if (basic !== undefined) {
      const colon = basic.indexOf(':');
      // A secret: never echoed.
      if (colon <= 0)
        r.report('ERR_INVALID_AUTH', 'OMB_PUSHGATEWAY_BASIC_AUTH', 'must be "username:password"');
      else auth = { username: basic.slice(0, colon), password: basic.slice(colon + 1) };
    }
  }

  return {
    url: base,
    job,
    groupingKey,
    intervalMs:
      duration(r, 'pushgateway.intervalMs', o.intervalMs, ['OMB_PUSHGATEWAY_INTERVAL']) ?? d.intervalMs,
    timeoutMs: duration(r, 'pushgateway.timeoutMs', o.timeoutMs, ['OMB_PUSHGATEWAY_TIMEOUT']) ?? d.timeoutMs,
    auth,
    deleteOnShutdown: r.bool(
      'pushgateway.deleteOnShutdown',
      o.deleteOnShutdown,
      'OMB_PUSHGATEWAY_DELETE_ON_SHUTDOWN',
      d.deleteOnShutdown,
    ),
    method: oneOf(
      r,
      'pushgateway.method',
      o.method,
      ['OMB_PUSHGATEWAY_METHOD'],
      ['put', 'post'] as const,
      d.method,
    ),
  };
}

function resolveStatsd(o: StatsdOptions, r: Reader): ResolvedStatsdOptions {
  const d = EXPORT_DEFAULTS.statsd;
  const protocol = oneOf(
    r,
    'statsd.protocol',
    o.protocol,
    ['OMB_STATSD_PROTOCOL'],
    ['udp', 'tcp', 'uds'] as const,
    d.protocol,
  );
  const socketPath = r.str('statsd.socketPath', o.socketPath, 'OMB_STATSD_SOCKET_PATH');
  if (protocol === 'uds' && socketPath === undefined)
    r.report('ERR_INVALID_EXPORT_OPTION', 'statsd.socketPath', 'protocol uds needs a socket path');
  let port: number = d.port;
  const portGot = pick(r, 'statsd.port', o.port, ['OMB_STATSD_PORT']);
  if (portGot !== undefined) {
    const v =
      portGot.fromEnv && /^\d{1,5}$/.test(portGot.value as string) ? Number(portGot.value) : portGot.value;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535) port = v;
    else
      r.report(
        'ERR_INVALID_PORT',
        portGot.source,
        `${show(v)} is not a port; use an integer from 1 to 65535`,
      );
  }
  const maxPacketBytes = r.number(
    'statsd.maxPacketBytes',
    o.maxPacketBytes,
    'OMB_STATSD_MAX_PACKET_BYTES',
    true,
    64,
  );
  if (maxPacketBytes !== undefined && maxPacketBytes > 65_507)
    r.report(
      'ERR_INVALID_LIMIT',
      'statsd.maxPacketBytes',
      `${maxPacketBytes} exceeds the largest UDP payload (65507)`,
    );
  return {
    host: r.str('statsd.host', o.host, 'OMB_STATSD_HOST') ?? d.host,
    port,
    socketPath,
    prefix:
      typeof o.prefix === 'string'
        ? o.prefix
        : (r.str('statsd.prefix', o.prefix, 'OMB_STATSD_PREFIX') ?? d.prefix),
    protocol,
    tags: oneOf(r, 'statsd.tags', o.tags, ['OMB_STATSD_TAGS'], ['dogstatsd', 'none'] as const, d.tags),
    maxPacketBytes: maxPacketBytes ?? d.maxPacketBytes,
    intervalMs: duration(r, 'statsd.intervalMs', o.intervalMs, ['OMB_STATSD_INTERVAL']) ?? d.intervalMs,
  };
}

function resolveConsole(o: ConsoleOptions, r: Reader): ResolvedConsoleOptions {
  if (o.write !== undefined && typeof o.write !== 'function')
    r.report(
      'ERR_INVALID_EXPORT_OPTION',
      'console.write',
      `must be a function (record) => void, got ${show(o.write)}`,
    );
  return {
    write: typeof o.write === 'function' ? o.write : undefined,
    intervalMs:
      duration(r, 'console.intervalMs', o.intervalMs, ['OTEL_METRIC_EXPORT_INTERVAL']) ??
      EXPORT_DEFAULTS.console.intervalMs,
  };
}

function resolveReaders(value: unknown, r: Reader): IMetricReader[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    r.report(
      'ERR_INVALID_READER',
      'readers',
      `must be an array of MetricReader instances, got ${show(value)}`,
    );
    return [];
  }
  const readers: IMetricReader[] = [];
  for (const [i, reader] of value.entries()) {
    const ok =
      reader !== null &&
      typeof reader === 'object' &&
      ['setMetricProducer', 'collect', 'shutdown', 'forceFlush', 'selectAggregationTemporality'].every(
        (m) => typeof (reader as Record<string, unknown>)[m] === 'function',
      );
    if (ok) readers.push(reader as IMetricReader);
    else
      r.report(
        'ERR_INVALID_READER',
        `readers[${i}]`,
        'is not a MetricReader (extend MetricReader from @opentelemetry/sdk-metrics 3.x)',
      );
  }
  if (new Set(readers).size !== readers.length)
    r.report(
      'ERR_INVALID_READER',
      'readers',
      'the same reader is listed twice; a reader serves one provider',
    );
  return readers;
}
