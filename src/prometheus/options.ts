import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { type Reader, type Section, show } from '../option-reader.js';
import type { ResourceConstantLabels } from './labels.js';
import { TRANSLATION_STRATEGIES, type TranslationStrategy } from './naming.js';

/**
 * The pull endpoint's options. To add one: a field here (JSDoc: what, default, unit, env variable), its default
 * in `PROMETHEUS_DEFAULTS`, its variable in `PROMETHEUS_ENV`, one read in `resolvePrometheus()`, and a README row.
 */
export interface PrometheusOptions {
  /** Interface to bind. Default `localhost` (the spec default; use `0.0.0.0` in containers). Env `OTEL_EXPORTER_PROMETHEUS_HOST`. */
  host?: string;
  /** TCP port; `0` picks a free one (read it from `handle.metricsUrl`). Default `9464`. Env `OTEL_EXPORTER_PROMETHEUS_PORT`. */
  port?: number;
  /** Path of the metrics endpoint. Default `/metrics`. Env `OMB_PROMETHEUS_PATH`. */
  path?: string;
  /**
   * Emit `target_info` with the resource attributes (the spec's `target_info_enabled`). Default `true`. Env
   * `OMB_PROMETHEUS_TARGET_INFO`. `targetInfo` is the same switch under its earlier name.
   */
  targetInfoEnabled?: boolean;
  /** Earlier name of `targetInfoEnabled`, still accepted (set one of the two). */
  targetInfo?: boolean;
  /**
   * Add `otel_scope_name` / `otel_scope_version` labels to every series (the spec's `scope_info_enabled`).
   * Default `true`. Env `OMB_PROMETHEUS_SCOPE_INFO`. `scopeInfo` is the same switch under its earlier name.
   */
  scopeInfoEnabled?: boolean;
  /** Earlier name of `scopeInfoEnabled`, still accepted (set one of the two). */
  scopeInfo?: boolean;
  /**
   * In the protobuf format (which Prometheus asks for when native histograms are on), send classic buckets
   * alongside each native histogram, derived from its exponential buckets (bounds ±base^k and 0), for servers
   * that keep both (`scrape_classic_histograms`, `always_scrape_classic_histograms`). Explicit-bucket histograms
   * are always classic. Default `false`. Env `OMB_PROMETHEUS_NATIVE_WITH_CLASSIC`.
   */
  nativeWithClassic?: boolean;
  /**
   * How instrument names and attribute keys become Prometheus names (the spec's `translation_strategy`):
   * `UnderscoreEscapingWithSuffixes` (unit and `_total` suffixes, invalid characters → `_`),
   * `UnderscoreEscapingWithoutSuffixes`, `NoUTF8EscapingWithSuffixes` (names keep `.` and other UTF-8, served
   * as they are to scrapers that send `escaping=allow-utf-8`, escaped for the others) or `NoTranslation`.
   * Default `UnderscoreEscapingWithSuffixes`. Env `OMB_PROMETHEUS_TRANSLATION_STRATEGY`.
   */
  translationStrategy?: TranslationStrategy;
  /**
   * Resource attributes copied as labels onto every series (the spec's `resource_constant_labels`), so e.g.
   * `service_name` can be matched without a join on `target_info`: keys matching an `include` pattern (all keys
   * when `include` is left out) and no `exclude` pattern; `*` and `?` are wildcards. An attribute of a series
   * whose label would repeat one of these gets the `key_` prefix. Default none. Env
   * `OMB_PROMETHEUS_RESOURCE_CONSTANT_LABELS` (include patterns, comma-separated) and
   * `OMB_PROMETHEUS_RESOURCE_CONSTANT_LABELS_EXCLUDE`.
   */
  resourceConstantLabels?: ResourceConstantLabels;
  /**
   * Serve on our own port. `false` starts no server: mount `createMetricsHandler()` in your app instead.
   * Default `true`. Env `OMB_PROMETHEUS_LISTEN`.
   */
  listen?: boolean;
  /** Liveness path on the endpoint's server (200 while the process runs). Default `/healthz`. Env `OMB_PROMETHEUS_HEALTH_PATH`. */
  healthPath?: string;
  /**
   * Readiness path: 200 while the latest collection succeeded, 503 before the first, after one that failed or
   * timed out, and while shutting down. Default `/readyz`. Env `OMB_PROMETHEUS_READY_PATH`.
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
  /** Scrapes served at once; more get 503 with `Retry-After`, except scrapes that share a collection already under way (in progress, within `coalesceWindow` or cached), which are always served. Default `10`. Env `OMB_PROMETHEUS_MAX_CONCURRENT_SCRAPES`. */
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
   * `scrapeTimeout`. Applies to every reader of the provider. Default `2000`, or half of `scrapeTimeout` when
   * that is shorter. Env `OMB_PROMETHEUS_CALLBACK_TIMEOUT`.
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
  // Connection hygiene (issue 10): what slow, idle or greedy clients may hold.
  /** Scrapes allowed at once above the rate (token-bucket size, an integer ≥ 1). Default `max(1, rateLimit)`. Env `OMB_PROMETHEUS_RATE_LIMIT_BURST`. */
  rateLimitBurst?: number;
  /**
   * Open connections to our own server. At the limit a new connection closes the one that has waited longest
   * without a request in progress; if every connection is being served, the new one is closed. Default `256`.
   * Env `OMB_PROMETHEUS_MAX_CONNECTIONS`.
   */
  maxConnections?: number;
  /**
   * Time a connection has to deliver a request's complete headers once it is ready for one (after connecting or
   * after the previous response), in milliseconds; then 408 and close. Default `10000`. Env `OMB_PROMETHEUS_HEADER_TIMEOUT`.
   */
  headerTimeout?: number;
  /** Time a TLS client has to finish its handshake, in milliseconds; then the connection is closed. Default `5000`. Env `OMB_PROMETHEUS_TLS_HANDSHAKE_TIMEOUT`. */
  tlsHandshakeTimeout?: number;
  /**
   * Time a client has to take a whole scrape body, in milliseconds; then the connection is closed (the body is
   * cut short). Default `30000`. Env `OMB_PROMETHEUS_SEND_TIMEOUT`.
   */
  sendTimeout?: number;
  /**
   * Response bytes held for clients still receiving them, over all connections (a body shared by several
   * clients counts once), in bytes. A response that would go over closes the connections that have been
   * receiving longest. Default `67108864` (64 MiB). Env `OMB_PROMETHEUS_MAX_QUEUED_BYTES`.
   */
  maxQueuedBytes?: number;
  /**
   * Serve the live metrics page at `uiPath` and its JSON view at `<uiPath>/data.json`, on our own server only,
   * behind the same auth and limits as the metrics path. Default `true` when `host` is a loopback address
   * (`localhost`, `127.x.x.x`, `::1`), `false` otherwise. Env `OMB_PROMETHEUS_UI`.
   */
  ui?: boolean;
  /** Path of the live metrics page. Default `/`. Env `OMB_PROMETHEUS_UI_PATH`. */
  uiPath?: string;
}

/** The resolved endpoint options: every field set except the optional protections; TLS as PEM text. */
export type ResolvedPrometheusOptions = Readonly<
  Required<
    Omit<
      PrometheusOptions,
      'authToken' | 'basicAuth' | 'tls' | 'targetInfoEnabled' | 'scopeInfoEnabled' | 'resourceConstantLabels'
    >
  >
> & {
  /** Resource attribute key patterns, or `undefined` when none are copied. */
  readonly resourceConstantLabels: Readonly<ResourceConstantLabels> | undefined;
  readonly authToken: string | undefined;
  readonly basicAuth: Readonly<{ username: string; password: string }> | undefined;
  /** PEM text. */
  readonly tls: Readonly<{ key: string; cert: string }> | undefined;
};

export const PROMETHEUS_DEFAULTS = Object.freeze({
  host: 'localhost',
  port: 9464,
  path: '/metrics',
  targetInfo: true,
  scopeInfo: true,
  nativeWithClassic: false,
  translationStrategy: 'UnderscoreEscapingWithSuffixes' as TranslationStrategy,
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
  maxConnections: 256,
  headerTimeout: 10_000,
  tlsHandshakeTimeout: 5_000,
  sendTimeout: 30_000,
  maxQueuedBytes: 64 * 1024 * 1024,
  uiPath: '/',
});

/** The endpoint's environment variables, with the option each feeds. */
export const PROMETHEUS_ENV = Object.freeze({
  OTEL_EXPORTER_PROMETHEUS_HOST: 'prometheus.host',
  OTEL_EXPORTER_PROMETHEUS_PORT: 'prometheus.port',
  OMB_PROMETHEUS_PATH: 'prometheus.path',
  OMB_PROMETHEUS_TARGET_INFO: 'prometheus.targetInfo',
  OMB_PROMETHEUS_SCOPE_INFO: 'prometheus.scopeInfo',
  OMB_PROMETHEUS_NATIVE_WITH_CLASSIC: 'prometheus.nativeWithClassic',
  OMB_PROMETHEUS_TRANSLATION_STRATEGY: 'prometheus.translationStrategy',
  OMB_PROMETHEUS_RESOURCE_CONSTANT_LABELS: 'prometheus.resourceConstantLabels.include',
  OMB_PROMETHEUS_RESOURCE_CONSTANT_LABELS_EXCLUDE: 'prometheus.resourceConstantLabels.exclude',
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
  OMB_PROMETHEUS_RATE_LIMIT_BURST: 'prometheus.rateLimitBurst',
  OMB_PROMETHEUS_MAX_CONNECTIONS: 'prometheus.maxConnections',
  OMB_PROMETHEUS_HEADER_TIMEOUT: 'prometheus.headerTimeout',
  OMB_PROMETHEUS_TLS_HANDSHAKE_TIMEOUT: 'prometheus.tlsHandshakeTimeout',
  OMB_PROMETHEUS_SEND_TIMEOUT: 'prometheus.sendTimeout',
  OMB_PROMETHEUS_MAX_QUEUED_BYTES: 'prometheus.maxQueuedBytes',
  OMB_PROMETHEUS_UI: 'prometheus.ui',
  OMB_PROMETHEUS_UI_PATH: 'prometheus.uiPath',
} as const);

/** The codes the endpoint's options and its start can report (see the README's error table). */
export const PROMETHEUS_ERROR_CODES = [
  'ERR_INVALID_PORT',
  'ERR_INVALID_HOST',
  'ERR_INVALID_PATH',
  'ERR_INVALID_AUTH',
  'ERR_INVALID_TLS',
  'ERR_PORT_IN_USE',
  'ERR_LISTEN_FAILED',
  'ERR_INVALID_TRANSLATION_STRATEGY',
  'ERR_INVALID_CONSTANT_LABELS',
] as const;

type Reads = Section<typeof PROMETHEUS_DEFAULTS>;

/**
 * The endpoint's options; `undefined` when `prometheus: false` or when `exporters` leaves Prometheus out (the
 * options and variables are still checked then, so a mistake shows before someone turns the endpoint on).
 */
export function resolvePrometheus(
  r: Reader,
  value: unknown,
  exporters: readonly string[],
): ResolvedPrometheusOptions | undefined {
  if (value === false) return undefined;
  const s = r.section(
    'prometheus',
    value,
    'must be an options object or false',
    PROMETHEUS_ENV,
    PROMETHEUS_DEFAULTS,
  );
  const host = s.str('host') ?? PROMETHEUS_DEFAULTS.host;
  if (/[\s/]/.test(host))
    r.report('ERR_INVALID_HOST', 'prometheus.host', `${show(host)} is not a host name or IP`);
  const port = r.port(s.source('port'), s.get('port'), s.envName('port')!, PROMETHEUS_DEFAULTS.port);
  const path = urlPath(s, 'path');
  const nativeWithClassic = s.bool('nativeWithClassic');
  const targetInfo = renamedSwitch(s, 'targetInfoEnabled', 'targetInfo');
  const scopeInfo = renamedSwitch(s, 'scopeInfoEnabled', 'scopeInfo');
  const translationStrategy =
    s.oneOf(
      'translationStrategy',
      TRANSLATION_STRATEGIES,
      'ERR_INVALID_TRANSLATION_STRATEGY',
      'a translation strategy',
    ) ?? PROMETHEUS_DEFAULTS.translationStrategy;
  const resourceConstantLabels = resolveConstantLabels(s);
  const listen = s.bool('listen');
  const healthPath = urlPath(s, 'healthPath');
  const readyPath = urlPath(s, 'readyPath');
  // The page is on by default only where nobody else can reach it: a page anyone on the network can read shows
  // every metric name and label without a scraper's credentials being involved.
  const ui = r.bool(s.source('ui'), s.get('ui'), s.envName('ui'), isLoopback(host));
  const uiPath = urlPath(s, 'uiPath');
  const paths = [path, healthPath, readyPath, ...(ui ? [uiPath, uiDataPath(uiPath)] : [])];
  if (new Set(paths).size !== paths.length) {
    r.report(
      'ERR_INVALID_PATH',
      'prometheus.healthPath',
      `${ui ? 'path, healthPath, readyPath, uiPath and its data.json' : 'path, healthPath and readyPath'} ` +
        `must differ, got ${paths.map(show).join(', ')}`,
    );
  }
  const authToken = s.str('authToken');
  const basicAuth = resolveBasicAuth(s);
  if (authToken !== undefined && basicAuth !== undefined) {
    r.report(
      'ERR_INVALID_AUTH',
      'prometheus.authToken',
      'set either authToken (bearer) or basicAuth, not both',
    );
  }
  const read = {
    host,
    port,
    path,
    targetInfo,
    scopeInfo,
    nativeWithClassic,
    translationStrategy,
    resourceConstantLabels,
    listen,
    healthPath,
    readyPath,
    ui,
    uiPath,
    authToken,
    basicAuth,
    compression: s.bool('compression'),
    compressionThreshold: s.integer('compressionThreshold', 0),
    maxConcurrentScrapes: s.integer('maxConcurrentScrapes', 1),
    rateLimit: s.number('rateLimit', 0),
    cacheTtl: s.integer('cacheTtl', 0),
    ...resolveCollection(s),
    maxResponseBytes: s.integer('maxResponseBytes', 1),
    tls: resolveTls(s),
    selfMetrics: s.bool('selfMetrics'),
  };
  const resolved: ResolvedPrometheusOptions = {
    ...read,
    // No fixed default: the bucket holds one second's worth of the rate, and at least one scrape.
    rateLimitBurst:
      r.limit(s.source('rateLimitBurst'), s.get('rateLimitBurst'), s.envName('rateLimitBurst'), true, 1) ??
      Math.max(1, read.rateLimit),
    maxConnections: s.integer('maxConnections', 1),
    headerTimeout: s.integer('headerTimeout', 1),
    tlsHandshakeTimeout: s.integer('tlsHandshakeTimeout', 1),
    sendTimeout: s.integer('sendTimeout', 1),
    maxQueuedBytes: s.integer('maxQueuedBytes', 1),
  };
  s.close();
  return exporters.includes('prometheus') ? resolved : undefined;
}

/**
 * The scrape timeout and what must fit inside it: the coalescing window and the callback deadline. Unset, the
 * deadline is its default or half the scrape timeout, whichever is shorter.
 */
function resolveCollection(s: Reads) {
  const scrapeTimeout = s.integer('scrapeTimeout', 1);
  const coalesceWindow = s.integer('coalesceWindow', 0);
  const explicit = s.r.limit(
    s.source('callbackTimeout'),
    s.get('callbackTimeout'),
    s.envName('callbackTimeout'),
    true,
    1,
  );
  // A callback allowed to run as long as the scrape would time the whole scrape out instead of being dropped.
  if (explicit !== undefined && explicit >= scrapeTimeout) {
    s.r.report(
      'ERR_INVALID_LIMIT',
      s.source('callbackTimeout'),
      `${explicit} ms must be below prometheus.scrapeTimeout (${scrapeTimeout} ms), so a slow callback ` +
        'is dropped from the scrape instead of failing it',
    );
  }
  const callbackTimeout =
    explicit ?? Math.min(PROMETHEUS_DEFAULTS.callbackTimeout, Math.max(1, Math.floor(scrapeTimeout / 2)));
  return { scrapeTimeout, coalesceWindow, callbackTimeout };
}

/**
 * A switch the spec renamed: `name` (the spec's) or `alias` (ours before), which also owns the variable. Both set
 * to different values is a mistake worth reporting rather than guessing.
 */
function renamedSwitch(
  s: Reads,
  name: 'targetInfoEnabled' | 'scopeInfoEnabled',
  alias: 'targetInfo' | 'scopeInfo',
) {
  const value = s.get(name);
  const old = s.get(alias);
  if (value !== undefined && old !== undefined && value !== old) {
    s.r.report(
      'ERR_INVALID_CONFIG',
      s.source(name),
      `${show(value)} conflicts with prometheus.${alias} (${show(old)}); set only ${name}`,
    );
  }
  if (value === undefined) return s.bool(alias);
  return s.r.bool(s.source(name), value, undefined, PROMETHEUS_DEFAULTS[alias]);
}

/** `{ include?, exclude? }` lists of key patterns, from the option or the two variables. */
function resolveConstantLabels(s: Reads): ResourceConstantLabels | undefined {
  const source = s.source('resourceConstantLabels');
  const value = s.get('resourceConstantLabels');
  const code = 'ERR_INVALID_CONSTANT_LABELS';
  if (value === undefined) {
    const include = s.r.list(
      `${source}.include`,
      undefined,
      s.envName('resourceConstantLabels.include'),
      code,
    );
    const exclude = s.r.list(
      `${source}.exclude`,
      undefined,
      s.envName('resourceConstantLabels.exclude'),
      code,
    );
    if (include === undefined && exclude === undefined) return undefined;
    return { ...(include && { include }), ...(exclude && { exclude }) };
  }
  const v = value as { include?: unknown; exclude?: unknown } | null;
  const extra =
    v !== null && typeof v === 'object'
      ? Object.keys(v).filter((k) => k !== 'include' && k !== 'exclude')
      : [];
  if (v === null || typeof v !== 'object' || Array.isArray(v) || extra.length > 0) {
    s.r.report(code, source, `must be { include?: string[], exclude?: string[] }, got ${show(value)}`);
    return undefined;
  }
  const include =
    v.include === undefined ? undefined : s.r.list(`${source}.include`, v.include, undefined, code);
  const exclude =
    v.exclude === undefined ? undefined : s.r.list(`${source}.exclude`, v.exclude, undefined, code);
  return { ...(include && { include }), ...(exclude && { exclude }) };
}

/** The JSON view the page polls: `data.json` under the page's path (`/data.json` for `/`, `/ui/data.json` for `/ui`). */
export function uiDataPath(uiPath: string): string {
  return `${uiPath.endsWith('/') ? uiPath : `${uiPath}/`}data.json`;
}

/** `localhost`, `127.0.0.0/8`, `::1` (bracketed or not), `::ffff:127.x.x.x`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(h);
}

/** A path served by the endpoint's server: `/` first, no spaces, `?` or `#`. */
function urlPath(s: Reads, key: 'path' | 'healthPath' | 'readyPath' | 'uiPath'): string {
  const path = s.str(key);
  if (path !== undefined && !/^\/[^\s?#]*$/.test(path)) {
    s.r.report(
      'ERR_INVALID_PATH',
      s.source(key),
      `${show(path)} must start with "/" and hold no spaces, "?" or "#"`,
    );
  }
  return path ?? PROMETHEUS_DEFAULTS[key];
}

function resolveBasicAuth(s: Reads): { username: string; password: string } | undefined {
  const value = s.get('basicAuth');
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
      s.r.report(
        'ERR_INVALID_AUTH',
        'prometheus.basicAuth',
        'must be { username, password } with non-empty strings and no ":" in the username',
      );
      return undefined;
    }
    return { username: v.username, password: v.password };
  }
  const raw = s.env('basicAuth');
  if (raw === undefined) return undefined;
  const colon = raw.indexOf(':');
  if (colon <= 0 || colon === raw.length - 1) {
    // The value is a secret: never echo it.
    s.r.report('ERR_INVALID_AUTH', 'OMB_PROMETHEUS_BASIC_AUTH', 'must be "username:password"');
    return undefined;
  }
  return { username: raw.slice(0, colon), password: raw.slice(colon + 1) };
}

/** PEM key and certificate, from the option or from the files the variables name; checked to match. */
function resolveTls(s: Reads): { key: string; cert: string } | undefined {
  const r = s.r;
  const pem = readTls(s);
  if (pem === undefined) return undefined;
  const { key, cert, source } = pem;
  if (typeof key !== 'string' || typeof cert !== 'string' || key === '' || cert === '') {
    r.report('ERR_INVALID_TLS', source, 'both key and cert must be non-empty PEM text');
    return undefined;
  }
  try {
    // Fails now, with a clear code, on bad PEM or a key that does not belong to the certificate.
    createSecureContext({ key, cert });
  } catch (err) {
    r.report('ERR_INVALID_TLS', source, `key/certificate rejected: ${(err as Error).message}`);
    return undefined;
  }
  return { key, cert };
}

/** The unchecked key and certificate and where they came from; `undefined` when not set or unreadable. */
function readTls(s: Reads): { key: unknown; cert: unknown; source: string } | undefined {
  const value = s.get('tls');
  if (value !== undefined) {
    const v = value as { key?: unknown; cert?: unknown } | null;
    if (v === null || typeof v !== 'object') {
      s.r.report('ERR_INVALID_TLS', 'prometheus.tls', 'must be { key, cert } with PEM strings or Buffers');
      return undefined;
    }
    const text = (pem: unknown) => (Buffer.isBuffer(pem) ? pem.toString('utf8') : pem);
    return { key: text(v.key), cert: text(v.cert), source: 'prometheus.tls' };
  }
  const keyFile = s.r.envValue('OMB_PROMETHEUS_TLS_KEY_FILE');
  const certFile = s.r.envValue('OMB_PROMETHEUS_TLS_CERT_FILE');
  if (keyFile === undefined && certFile === undefined) return undefined;
  const source = 'OMB_PROMETHEUS_TLS_KEY_FILE/OMB_PROMETHEUS_TLS_CERT_FILE';
  if (keyFile === undefined || certFile === undefined) {
    s.r.report('ERR_INVALID_TLS', source, 'set both the key file and the certificate file');
    return undefined;
  }
  try {
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), source };
  } catch (err) {
    s.r.report('ERR_INVALID_TLS', source, `cannot read: ${(err as Error).message}`);
    return undefined;
  }
}
