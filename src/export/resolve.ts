import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { commaList, isRecord, type Reader, type Section, show } from '../option-reader.js';
import {
  type ClientTls,
  EXPORT_DEFAULTS,
  EXPORT_ENV,
  EXPORTER_NAMES,
  type ExporterName,
  OTLP_PROTOCOLS,
  type PushgatewayAuth,
  type ResolvedConsoleOptions,
  type ResolvedExportOptions,
  type ResolvedOtlpOptions,
  type ResolvedPushgatewayOptions,
  type ResolvedStatsdOptions,
  TEMPORALITIES,
} from './options.js';
import {
  candidate,
  duration,
  firstSet,
  keyValueList,
  oneOf,
  type Reads,
  resolveReaders,
  stringRecord,
  TEXT,
  url,
} from './reads.js';

type Defaults = typeof EXPORT_DEFAULTS;
type PushExporter = 'otlp' | 'pushgateway' | 'statsd' | 'console';
type Pem = { ca?: string; cert?: string; key?: string };

/** The package that carries the grpc transport: an optional peer dependency, loaded only for `grpc`. */
const OTLP_GRPC_PACKAGE = '@opentelemetry/exporter-metrics-otlp-grpc';
/** Both optional peers the grpc protocol needs (otlp.ts builds the credentials and metadata with grpc-js). */
const OTLP_GRPC_PACKAGES = [OTLP_GRPC_PACKAGE, '@grpc/grpc-js'] as const;
/** Pushgateway label names: the Prometheus label syntax (its API rejects anything else). */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HTTP = ['http:', 'https:'];
const TLS_PARTS = ['ca', 'cert', 'key'] as const;

/**
 * Which exporters run: `exporters`, else `OTEL_METRICS_EXPORTER` (`none` wins). `onUnknownEnv` is the register
 * entry's rule: it takes an unknown name in the variable instead of failing the configuration.
 */
export function resolveExporters(top: Reads, onUnknownEnv?: (message: string) => void): ExporterName[] {
  const value = top.get('exporters');
  let list: unknown[];
  let source = 'exporters';
  if (value !== undefined) {
    if (!Array.isArray(value)) {
      top.r.report(
        'ERR_UNKNOWN_EXPORTER',
        source,
        `must be an array such as ['prometheus'], got ${show(value)}`,
      );
      return [...EXPORT_DEFAULTS.exporters];
    }
    list = value;
  } else {
    source = 'OTEL_METRICS_EXPORTER';
    const raw = top.r.envValue(source);
    if (raw === undefined) return [...EXPORT_DEFAULTS.exporters];
    list = commaList(raw).map((name) => name.toLowerCase());
  }
  const names: ExporterName[] = [];
  for (const name of list) {
    if (EXPORTER_NAMES.includes(name as ExporterName)) {
      names.push(name as ExporterName);
      continue;
    }
    const message = `unknown exporter ${show(name)}; supported: ${EXPORTER_NAMES.join(', ')}`;
    if (value === undefined && onUnknownEnv) onUnknownEnv(`${source}: ${message} (ERR_UNKNOWN_EXPORTER)`);
    else top.r.report('ERR_UNKNOWN_EXPORTER', source, message);
  }
  // Spec: `none` wins over anything else in the list.
  return names.includes('none') ? [] : [...new Set(names)];
}

/**
 * Resolves `otlp`, `pushgateway`, `statsd`, `console`, `readers` and `shutdownTimeoutMs` from the top-level
 * options `top` (explicit option > environment variable > default). A push exporter is on when `exporters` lists
 * it or its options object is given; `false` turns it off. An exporter that is off is not checked.
 */
export function resolveExport(
  top: Reads,
  exporters: readonly ExporterName[],
  serviceName: string | undefined,
): ResolvedExportOptions {
  const read = <N extends PushExporter, T>(name: N, resolve: (s: Section<Defaults[N]>) => T) => {
    const value = top.get(name);
    if (value === false || (value === undefined && !exporters.includes(name))) return undefined;
    const s = top.r.section(
      name,
      value,
      'must be an options object or false',
      EXPORT_ENV,
      EXPORT_DEFAULTS[name],
    );
    // section() reported a value that is not an object; that exporter stays off.
    if (value !== undefined && !isRecord(value)) return undefined;
    const resolved = resolve(s);
    s.close();
    return resolved;
  };
  return {
    exporters,
    otlp: read('otlp', resolveOtlp),
    pushgateway: read('pushgateway', (s) => resolvePushgateway(s, serviceName)),
    statsd: read('statsd', resolveStatsd),
    console: read('console', resolveConsole),
    readers: resolveReaders(top.r, top.get('readers')),
    shutdownTimeoutMs: duration(top, 'shutdownTimeoutMs', EXPORT_DEFAULTS.shutdownTimeoutMs),
  };
}

function resolveOtlp(s: Section<Defaults['otlp']>): ResolvedOtlpOptions {
  const d = s.defaults;
  const protocol = oneOf(s, 'protocol', OTLP_PROTOCOLS, d.protocol);
  const grpc = protocol === 'grpc';
  if (grpc) {
    try {
      // Resolved, not loaded: the grpc stack is imported only when the first export runs.
      const require = createRequire(import.meta.url);
      for (const name of OTLP_GRPC_PACKAGES) require.resolve(name);
    } catch {
      s.r.report(
        'ERR_MISSING_DEPENDENCY',
        'otlp.protocol',
        `protocol grpc needs ${OTLP_GRPC_PACKAGES.join(' and ')} (npm install ${OTLP_GRPC_PACKAGE}@0.301.0 @grpc/grpc-js); or use http/protobuf`,
      );
    }
  }
  return {
    endpoint: otlpEndpoint(s, grpc) ?? (grpc ? d.grpcEndpoint : d.httpEndpoint),
    protocol,
    headers: otlpHeaders(s),
    compression: oneOf(s, 'compression', ['gzip', 'none'] as const, d.compression),
    intervalMs: duration(s, 'intervalMs', d.intervalMs),
    timeoutMs: duration(s, 'timeoutMs', d.timeoutMs),
    temporality: oneOf(s, 'temporality', TEMPORALITIES, d.temporality),
    tls: clientTls(s),
  };
}

/**
 * Spec: the signal-specific variable is the full URL; the generic one is a base that gets the signal path (for
 * http; gRPC has no path). The option behaves like the base when it has no path of its own.
 */
function otlpEndpoint(s: Reads, grpc: boolean): string | undefined {
  const option = s.get('endpoint');
  const given = s.r.candidate('otlp.endpoint', option, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', TEXT);
  if (given !== undefined) {
    const raw = typeof given.value === 'string' ? given.value : show(given.value);
    const parsed = url(s.r, given.source, raw, HTTP);
    if (parsed === undefined) return undefined;
    const asBase = option !== undefined && (parsed.pathname === '/' || parsed.pathname === '');
    return asBase && !grpc ? new URL('v1/metrics', parsed).href : parsed.href;
  }
  const base = s.r.envValue('OTEL_EXPORTER_OTLP_ENDPOINT');
  const parsed = base !== undefined ? url(s.r, 'OTEL_EXPORTER_OTLP_ENDPOINT', base, HTTP) : undefined;
  if (parsed === undefined) return undefined;
  return grpc ? parsed.href : `${parsed.href.replace(/\/?$/, '/')}v1/metrics`;
}

/** The option, or both variables merged (the metrics one wins per key). */
function otlpHeaders(s: Reads): Record<string, string> {
  const value = s.get('headers');
  if (value !== undefined) return stringRecord(s.r, 'otlp.headers', value) ?? {};
  const headers: Record<string, string> = {};
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS']) {
    const raw = s.r.envValue(name);
    if (raw !== undefined) Object.assign(headers, keyValueList(s.r, name, raw));
  }
  return headers;
}

/** TLS material from the option (PEM) or the files the standard variables name (read once, now). */
function clientTls(s: Reads): Pem {
  const value = s.get('tls');
  const out = value !== undefined ? tlsOption(s.r, value) : tlsFiles(s.r);
  if ((out.cert === undefined) !== (out.key === undefined)) {
    s.r.report(
      'ERR_INVALID_TLS',
      'otlp.tls',
      'a client certificate needs its key and the key its certificate',
    );
  }
  return out;
}

function tlsOption(r: Reader, value: unknown): Pem {
  const out: Pem = {};
  if (value === null || typeof value !== 'object') {
    r.report('ERR_INVALID_TLS', 'otlp.tls', 'must be { ca?, cert?, key? } with PEM strings or Buffers');
    return out;
  }
  for (const part of TLS_PARTS) {
    const v = (value as ClientTls)[part];
    if (v === undefined) continue;
    const text = Buffer.isBuffer(v) ? v.toString('utf8') : v;
    if (typeof text !== 'string' || text === '')
      r.report('ERR_INVALID_TLS', `otlp.tls.${part}`, 'must be PEM text');
    else out[part] = text;
  }
  return out;
}

function tlsFiles(r: Reader): Pem {
  const out: Pem = {};
  for (const part of TLS_PARTS) {
    const name = firstSet(r, `otlp.tls.${part}`);
    if (name === undefined) continue;
    try {
      out[part] = readFileSync(r.envValue(name)!, 'utf8');
    } catch (err) {
      r.report('ERR_INVALID_TLS', name, `cannot read: ${(err as Error).message}`);
    }
  }
  return out;
}

function resolvePushgateway(
  s: Section<Defaults['pushgateway']>,
  serviceName: string | undefined,
): ResolvedPushgatewayOptions {
  const d = s.defaults;
  return {
    url: pushgatewayUrl(s),
    job: s.str('job') ?? serviceName ?? 'unknown_service:node',
    groupingKey: groupingKey(s),
    auth: pushgatewayAuth(s),
    intervalMs: duration(s, 'intervalMs', d.intervalMs),
    timeoutMs: duration(s, 'timeoutMs', d.timeoutMs),
    deleteOnShutdown: s.bool('deleteOnShutdown'),
    method: oneOf(s, 'method', ['put', 'post'] as const, d.method),
  };
}

function pushgatewayUrl(s: Reads): string {
  const raw = s.str('url');
  if (raw === undefined) {
    s.r.report(
      'ERR_INVALID_URL',
      'pushgateway.url',
      'is required: set OMB_PUSHGATEWAY_URL or pushgateway.url',
    );
    return '';
  }
  const source = s.get('url') !== undefined ? 'pushgateway.url' : 'OMB_PUSHGATEWAY_URL';
  return url(s.r, source, raw, HTTP)?.href.replace(/\/+$/, '') ?? '';
}

function groupingKey(s: Reads): Record<string, string> {
  const value = s.get('groupingKey');
  const env = s.env('groupingKey');
  let source = 'pushgateway.groupingKey';
  let key: Record<string, string> = {};
  if (value !== undefined) key = stringRecord(s.r, source, value) ?? {};
  else if (env !== undefined) {
    source = 'OMB_PUSHGATEWAY_GROUPING_KEY';
    key = keyValueList(s.r, source, env);
  }
  for (const name of Object.keys(key)) {
    if (!LABEL_NAME.test(name) || name === 'job') {
      s.r.report(
        'ERR_INVALID_EXPORT_OPTION',
        source,
        `${show(name)} is not a grouping label name (job is set by \`job\`)`,
      );
    }
  }
  return key;
}

function pushgatewayAuth(s: Reads): PushgatewayAuth | undefined {
  const value = s.get('auth');
  if (value !== undefined) {
    const a = value as Partial<{ username: unknown; password: unknown; token: unknown }> | null;
    if (a && typeof a.token === 'string' && a.token !== '') return { token: a.token };
    const { username, password } = a ?? {};
    if (
      typeof username === 'string' &&
      typeof password === 'string' &&
      username !== '' &&
      !username.includes(':')
    )
      return { username, password };
    s.r.report(
      'ERR_INVALID_AUTH',
      'pushgateway.auth',
      'must be { token } or { username, password } (no ":" in the username)',
    );
    return undefined;
  }
  const token = s.r.envValue('OMB_PUSHGATEWAY_AUTH_TOKEN');
  const basic = s.r.envValue('OMB_PUSHGATEWAY_BASIC_AUTH');
  if (token !== undefined && basic !== undefined) {
    s.r.report(
      'ERR_INVALID_AUTH',
      'OMB_PUSHGATEWAY_AUTH_TOKEN',
      'set either the token or basic auth, not both',
    );
    return undefined;
  }
  if (token !== undefined) return { token };
  if (basic === undefined) return undefined;
  const colon = basic.indexOf(':');
  if (colon > 0) return { username: basic.slice(0, colon), password: basic.slice(colon + 1) };
  // A secret: never echoed.
  s.r.report('ERR_INVALID_AUTH', 'OMB_PUSHGATEWAY_BASIC_AUTH', 'must be "username:password"');
  return undefined;
}

function resolveStatsd(s: Section<Defaults['statsd']>): ResolvedStatsdOptions {
  const d = s.defaults;
  const protocol = oneOf(s, 'protocol', ['udp', 'tcp', 'uds'] as const, d.protocol);
  const socketPath = s.str('socketPath');
  if (protocol === 'uds' && socketPath === undefined)
    s.r.report('ERR_INVALID_EXPORT_OPTION', 'statsd.socketPath', 'protocol uds needs a socket path');
  const port = s.r.checked(
    candidate(s, 'port', /^\d{1,5}$/),
    (n) => Number.isInteger(n) && n >= 1 && n <= 65535,
    'ERR_INVALID_PORT',
    (v) => `${v} is not a port; use an integer from 1 to 65535`,
  );
  const maxPacketBytes = s.integer('maxPacketBytes', 64);
  if (maxPacketBytes > 65_507) {
    s.r.report(
      'ERR_INVALID_LIMIT',
      'statsd.maxPacketBytes',
      `${maxPacketBytes} exceeds the largest UDP payload (65507)`,
    );
  }
  // An explicit empty prefix is allowed (no prefix), unlike an empty string elsewhere.
  const prefix = s.get('prefix');
  return {
    host: s.str('host') ?? d.host,
    port: port ?? d.port,
    socketPath,
    prefix: typeof prefix === 'string' ? prefix : (s.str('prefix') ?? d.prefix),
    protocol,
    tags: oneOf(s, 'tags', ['dogstatsd', 'none'] as const, d.tags),
    maxPacketBytes,
    intervalMs: duration(s, 'intervalMs', d.intervalMs),
  };
}

function resolveConsole(s: Section<Defaults['console']>): ResolvedConsoleOptions {
  const write = s.get('write');
  if (write !== undefined && typeof write !== 'function') {
    s.r.report(
      'ERR_INVALID_EXPORT_OPTION',
      'console.write',
      `must be a function (record) => void, got ${show(write)}`,
    );
  }
  return {
    write: typeof write === 'function' ? (write as ResolvedConsoleOptions['write']) : undefined,
    intervalMs: duration(s, 'intervalMs', s.defaults.intervalMs),
  };
}
