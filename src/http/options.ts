import type { IncomingHttpHeaders } from 'node:http';
import { type Reader, type Section, show } from '../option-reader.js';
import { HTTP_KNOWN_METHODS } from '../semconv.js';
import { RouteTable, routeTemplateProblem } from './route-table.js';

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

/**
 * Automatic HTTP metrics (`http.server.*`, `http.client.*`). To add an option: a field here (JSDoc: what,
 * default, unit, env variable), its default in `HTTP_DEFAULTS`, its variable in `HTTP_ENV`, one read in
 * `resolveHttp()`, and a README row.
 */
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

export const HTTP_DEFAULTS = Object.freeze({
  server: true,
  client: true,
  engine: 'diagnostics-channel' as HttpEngine,
  knownMethods: HTTP_KNOWN_METHODS,
});

/** The HTTP metrics' environment variables, with the option each feeds. */
export const HTTP_ENV = Object.freeze({
  OMB_HTTP_SERVER: 'http.server',
  OMB_HTTP_CLIENT: 'http.client',
  OMB_HTTP_ROUTES: 'http.routes',
  OMB_HTTP_IGNORE: 'http.ignore',
  OMB_HTTP_OPT_IN_ATTRIBUTES: 'http.optInAttributes',
  OMB_HTTP_ENGINE: 'http.engine',
  OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: 'http.knownMethods',
} as const);

/** The codes the HTTP options and the compatibility engine's start can report (see the README's error table). */
export const HTTP_ERROR_CODES = [
  'ERR_INVALID_HTTP_ROUTE',
  'ERR_INVALID_HTTP_IGNORE',
  'ERR_INVALID_HTTP_OPTION',
  'ERR_UNKNOWN_HTTP_ENGINE',
  'ERR_MISSING_DEPENDENCY',
] as const;

type Reads = Section<typeof HTTP_DEFAULTS>;
type Ignore = Pick<
  ResolvedHttpConfig,
  'ignorePaths' | 'ignorePrefixes' | 'ignorePatterns' | 'ignorePredicate'
>;

/** The HTTP options; `false` turns server and client metrics off. */
export function resolveHttp(r: Reader, value: unknown): ResolvedHttpConfig {
  const s = r.section(
    'http',
    value === false ? { server: false, client: false } : value,
    'must be an options object or false',
    HTTP_ENV,
    HTTP_DEFAULTS,
  );
  const resolved: ResolvedHttpConfig = {
    server: s.bool('server'),
    client: s.bool('client'),
    routes: resolveRoutes(s),
    ...resolveIgnore(s),
    optInAttributes: resolveOptIn(s),
    knownMethods: resolveKnownMethods(s),
    engine: resolveEngine(s),
  };
  s.close();
  return resolved;
}

/** The valid templates; malformed ones and ones an earlier template shadows are reported. */
function resolveRoutes(s: Reads): string[] {
  const valid: string[] = [];
  for (const [i, t] of (s.list('routes', 'ERR_INVALID_HTTP_ROUTE') ?? []).entries()) {
    const problem = routeTemplateProblem(t);
    if (problem) s.r.report('ERR_INVALID_HTTP_ROUTE', `http.routes[${i}]`, problem);
    else valid.push(t);
  }
  for (const t of new RouteTable(valid).shadowed) {
    s.r.report(
      'ERR_INVALID_HTTP_ROUTE',
      'http.routes',
      `${show(t)} can never match: an earlier template has the same shape`,
    );
  }
  return valid;
}

function resolveIgnore(s: Reads): Ignore {
  const r = s.r;
  const ignorePaths: string[] = [];
  const ignorePrefixes: string[] = [];
  const ignorePatterns: RegExp[] = [];
  const addPath = (p: string, source: string) => {
    if (!p.startsWith('/')) r.report('ERR_INVALID_HTTP_IGNORE', source, `${show(p)} must start with "/"`);
    else if (p.endsWith('*')) ignorePrefixes.push(p.slice(0, -1));
    else ignorePaths.push(p);
  };
  const value = s.get('ignore');
  if (typeof value === 'function') {
    const ignorePredicate = value as (req: HttpRequestInfo) => boolean;
    return { ignorePaths, ignorePrefixes, ignorePatterns, ignorePredicate };
  }
  if (value === undefined) {
    for (const p of s.list('ignore', 'ERR_INVALID_HTTP_IGNORE') ?? []) addPath(p, 'OMB_HTTP_IGNORE');
  } else if (!Array.isArray(value)) {
    r.report(
      'ERR_INVALID_HTTP_IGNORE',
      'http.ignore',
      `must be an array of paths and RegExps, or a function, got ${show(value)}`,
    );
  } else {
    for (const [i, rule] of value.entries()) {
      if (typeof rule === 'string') addPath(rule, `http.ignore[${i}]`);
      else if (rule instanceof RegExp)
        ignorePatterns.push(new RegExp(rule.source, rule.flags.replace(/[gy]/g, '')));
      else
        r.report(
          'ERR_INVALID_HTTP_IGNORE',
          `http.ignore[${i}]`,
          `must be a path or a RegExp, got ${show(rule)}`,
        );
    }
  }
  return { ignorePaths, ignorePrefixes, ignorePatterns, ignorePredicate: undefined };
}

function resolveOptIn(s: Reads): HttpOptInAttribute[] {
  const picked = new Set<HttpOptInAttribute>();
  const source =
    s.get('optInAttributes') !== undefined ? 'http.optInAttributes' : 'OMB_HTTP_OPT_IN_ATTRIBUTES';
  for (const a of s.list('optInAttributes', 'ERR_INVALID_HTTP_OPTION') ?? []) {
    if (HTTP_OPT_IN_ATTRIBUTES.includes(a as HttpOptInAttribute)) picked.add(a as HttpOptInAttribute);
    else
      s.r.report(
        'ERR_INVALID_HTTP_OPTION',
        source,
        `${show(a)} is not an opt-in attribute; use ${HTTP_OPT_IN_ATTRIBUTES.join(', ')}`,
      );
  }
  return [...picked];
}

function resolveKnownMethods(s: Reads): string[] {
  const methods = s.list('knownMethods', 'ERR_INVALID_HTTP_OPTION') ?? HTTP_DEFAULTS.knownMethods;
  for (const m of methods) {
    // RFC 9110 token characters; the list is case-sensitive (semconv).
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(m))
      s.r.report('ERR_INVALID_HTTP_OPTION', 'http.knownMethods', `${show(m)} is not an HTTP method token`);
  }
  return [...new Set(methods)];
}

function resolveEngine(s: Reads): HttpEngine {
  const option = s.get('engine');
  const raw = option ?? s.env('engine');
  if (raw === undefined) return HTTP_DEFAULTS.engine;
  if (HTTP_ENGINES.includes(raw as HttpEngine)) return raw as HttpEngine;
  s.r.report(
    'ERR_UNKNOWN_HTTP_ENGINE',
    option !== undefined ? 'http.engine' : 'OMB_HTTP_ENGINE',
    `${show(raw)} is not an HTTP engine; use ${HTTP_ENGINES.join(' or ')}`,
  );
  return HTTP_DEFAULTS.engine;
}
