import type { IMetricReader } from '@opentelemetry/sdk-metrics';

/**
 * The exporters' options: which exporters run, each push exporter's options, your own readers and the shutdown
 * deadline. To add one: a field here (JSDoc: what, default, unit, env variable), its default in
 * `EXPORT_DEFAULTS`, its variables in `EXPORT_ENV`, one read in `resolve.ts`, and a README row. Nothing here
 * loads an exporter: resolving the configuration must stay cheap for a Prometheus-only app.
 */

/** Exporter names accepted in `exporters` and `OTEL_METRICS_EXPORTER`. */
export const EXPORTER_NAMES = ['prometheus', 'otlp', 'pushgateway', 'statsd', 'console', 'none'] as const;
export type ExporterName = (typeof EXPORTER_NAMES)[number];

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
  /**
   * Where metrics go, all at once from one provider: `prometheus`, `otlp`, `pushgateway`, `statsd`, `console`,
   * `none`. Default `['prometheus']`. Giving an exporter's options object (`otlp: {…}`) turns it on too.
   * Env `OTEL_METRICS_EXPORTER` (comma list; `none` wins).
   */
  exporters?: ExporterName[];
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
  readonly exporters: readonly ExporterName[];
  readonly otlp: ResolvedOtlpOptions | undefined;
  readonly pushgateway: ResolvedPushgatewayOptions | undefined;
  readonly statsd: ResolvedStatsdOptions | undefined;
  readonly console: ResolvedConsoleOptions | undefined;
  readonly readers: readonly IMetricReader[];
  readonly shutdownTimeoutMs: number;
}

export const EXPORT_DEFAULTS = Object.freeze({
  exporters: ['prometheus'] as readonly ExporterName[],
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

/**
 * The export environment variables, with the option each feeds (merged into `ENV` in config.ts). Where several
 * feed one option, they are listed in the order they win: the signal-specific one (`…_METRICS_…`) first.
 */
export const EXPORT_ENV = Object.freeze({
  OTEL_METRICS_EXPORTER: 'exporters',
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'otlp.endpoint',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'otlp.endpoint',
  OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'otlp.protocol',
  OTEL_EXPORTER_OTLP_PROTOCOL: 'otlp.protocol',
  OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'otlp.headers',
  OTEL_EXPORTER_OTLP_HEADERS: 'otlp.headers',
  OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'otlp.compression',
  OTEL_EXPORTER_OTLP_COMPRESSION: 'otlp.compression',
  OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: 'otlp.timeoutMs',
  OTEL_EXPORTER_OTLP_TIMEOUT: 'otlp.timeoutMs',
  OTEL_METRIC_EXPORT_TIMEOUT: 'otlp.timeoutMs',
  OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: 'otlp.tls.ca',
  OTEL_EXPORTER_OTLP_CERTIFICATE: 'otlp.tls.ca',
  OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: 'otlp.tls.cert',
  OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: 'otlp.tls.cert',
  OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: 'otlp.tls.key',
  OTEL_EXPORTER_OTLP_CLIENT_KEY: 'otlp.tls.key',
  OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'otlp.temporality',
  OTEL_METRIC_EXPORT_INTERVAL: 'otlp.intervalMs, console.intervalMs',
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

/** The codes only the exporters' options report (they share the rest: see the README's error table). */
export const EXPORT_ERROR_CODES = [
  'ERR_INVALID_URL',
  'ERR_INVALID_EXPORT_OPTION',
  'ERR_INVALID_READER',
] as const;
