import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { diag } from '@opentelemetry/api';
import { markMetricsRequest } from '../metrics-traffic.js';
import { type Authenticator, createAuthenticator } from './auth.js';
import { CONTENT_TYPES, negotiateEncoding, negotiateFormat } from './negotiation.js';
import { type ResolvedPrometheusOptions, uiDataPath } from './options.js';
import { RateLimiter } from './rate-limit.js';
import {
  type BodyFormat,
  type CollectionState,
  type MetricsSource,
  ScrapeError,
  type ScrapeHooks,
  ScrapeProducer,
} from './scrape.js';
import { CardinalityWarnings, type ScrapeErrorType, type SelfMetrics } from './self-metrics.js';
import { BodySender } from './sender.js';
import { PrometheusSerializer } from './serializer.js';
import { uiPage } from './ui.js';

export { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from './negotiation.js';
export type { MetricsSource } from './scrape.js';

/** What the endpoint reads from the resolved configuration. */
export type EndpointOptions = Pick<
  ResolvedPrometheusOptions,
  | 'path'
  | 'targetInfo'
  | 'scopeInfo'
  | 'healthPath'
  | 'readyPath'
  | 'authToken'
  | 'basicAuth'
  | 'compression'
  | 'compressionThreshold'
  | 'maxConcurrentScrapes'
  | 'rateLimit'
  | 'rateLimitBurst'
  | 'sendTimeout'
  | 'maxQueuedBytes'
  | 'cacheTtl'
  | 'coalesceWindow'
  | 'scrapeTimeout'
  | 'maxResponseBytes'
  | 'ui'
  | 'uiPath'
>;

/** A `(req, res)` handler that also accepts (and ignores) Express's `next`: it always answers. */
export type MetricsRequestHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (err?: unknown) => void,
) => void;

const TEXT_PLAIN = 'text/plain; charset=utf-8';
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/**
 * The page runs only its own inline script and style and talks only to its own origin; it may not be framed
 * (clickjacking), and nothing else loads.
 */
const PAGE_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** `/readyz` bodies for each way the latest collection can have gone wrong. */
const NOT_READY: Readonly<Record<Exclude<CollectionState, 'ok'>, string>> = {
  none: 'no successful collection yet',
  failed: 'the latest metrics collection failed',
  timeout: 'the latest metrics collection did not finish within prometheus.scrapeTimeout',
};

/**
 * The metrics endpoint's HTTP behaviour, shared by our own server (`handle`: routes the metrics path and the
 * health paths) and by `createMetricsHandler()` (`serveMetrics`: the framework has routed already).
 *
 * Order of checks for a metrics request, cheapest and least revealing first: malformed → 400, wrong path →
 * 404, method → 405, credentials → 401, rate → 429, concurrency (one scrape at a time per connection;
 * `maxConcurrentScrapes` in all, not counting requests that share a collection already under way) → 503, then
 * the scrape itself (200, or 500 on a collection failure or an oversize body, 503 on timeout). Health paths skip auth and limits: probes must
 * stay cheap and work without secrets. Failures never escape into the host application.
 */
export class MetricsEndpoint {
  private readonly producer: ScrapeProducer;
  private readonly auth: Authenticator | undefined;
  private readonly rateLimiter: RateLimiter | undefined;
  private readonly sender: BodySender;
  private inFlight = 0;
  /**
   * Requests waiting for their body (collection, serialization, compression): what `maxConcurrentScrapes`
   * bounds. A request that is only sending is bounded by the sender instead (`sendTimeout`, `maxQueuedBytes`),
   * so clients that read slowly or never cannot hold the slots and lock new collections out.
   */
  private producing = 0;
  /** Connections with a scrape in flight: one at a time each, so a pipelining client cannot take every slot. */
  private readonly scraping = new WeakSet<Socket>();
  private shuttingDown = false;
  /** Where the live page's JSON view is served; `undefined` with the page off. */
  private readonly dataPath: string | undefined;

  constructor(
    source: MetricsSource,
    private readonly options: EndpointOptions,
    private readonly selfMetrics?: SelfMetrics,
    hooks: ScrapeHooks = {},
  ) {
    const serializer = new PrometheusSerializer({
      targetInfo: options.targetInfo,
      scopeInfo: options.scopeInfo,
    });
    const cardinality = new CardinalityWarnings();
    this.producer = new ScrapeProducer(source, serializer, options, {
      onCollected: hooks.onCollected,
      onExposition: (stats, metrics) => {
        cardinality.check(stats, metrics);
        this.selfMetrics?.exposition(stats);
        hooks.onExposition?.(stats, metrics);
      },
    });
    selfMetrics?.observeInFlight(() => this.inFlight);
    this.auth = createAuthenticator(options);
    this.rateLimiter =
      options.rateLimit > 0 ? new RateLimiter(options.rateLimit, options.rateLimitBurst) : undefined;
    this.sender = new BodySender(options, (reason) => this.selfMetrics?.connectionClosed(reason));
    this.dataPath = options.ui ? uiDataPath(options.uiPath) : undefined;
  }

  /** Metrics requests being served right now (past the auth, rate and concurrency checks). */
  get scrapesInFlight(): number {
    return this.inFlight;
  }

  /** Readiness turns false for good; metrics are still served so a last scrape can read final values. */
  startShutdown(): void {
    this.shuttingDown = true;
  }

  /** Our own server's request listener: metrics path, health paths, 404 for anything else. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.guard(res, () => this.route(req, res));
  };

  /** Serves metrics whatever the path (the host framework routed the request here). */
  readonly serveMetrics: MetricsRequestHandler = (req, res) => {
    this.guard(res, () => this.metrics(req, res, performance.now()));
  };

  private guard(res: ServerResponse, work: () => Promise<void>): void {
    work().catch((err: unknown) => {
      diag.error('otel-metrics-bootstrap: metrics request failed', err);
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const start = performance.now();
    const target = parseTarget(req.url);
    if (target === undefined) return this.reject(res, 400, 'bad_request', 'bad request: malformed URL\n');
    if (target === this.options.healthPath || target === this.options.readyPath) {
      if (!isGetOrHead(req)) {
        res.setHeader('Allow', 'GET, HEAD');
        return send(res, 405, 'method not allowed\n');
      }
      if (target === this.options.healthPath) return send(res, 200, 'ok\n', req.method === 'HEAD');
      return this.readiness(req, res);
    }
    if (target === this.options.path) return this.metrics(req, res, start);
    if (this.dataPath !== undefined) {
      if (target === this.dataPath) return this.metrics(req, res, start, 'json');
      if (target === this.options.uiPath) return this.page(req, res);
    }
    return this.reject(res, 404, 'not_found', 'not found\n');
  }

  /** The live page: static, but behind the same checks as the metrics it shows (it names every metric). */
  private async page(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.admit(req, res)) return;
    const html = uiPage(this.dataPath!);
    if (html === undefined) return send(res, 500, 'the live metrics page is missing from this install\n');
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(html),
      'Cache-Control': 'no-store',
      'Content-Security-Policy': PAGE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    res.end(req.method === 'HEAD' ? undefined : html);
  }

  /** Method, body, credentials and rate: the checks every request for metrics (page and JSON too) passes. */
  private admit(req: IncomingMessage, res: ServerResponse): boolean {
    markMetricsRequest(req);
    if (!isGetOrHead(req)) {
      this.reject(res, 405, 'method_not_allowed', 'method not allowed\n', { Allow: 'GET, HEAD' });
      return false;
    }
    // A scrape never has a body; one that does is malformed or an attempt to make us read it.
    if (hasBody(req)) {
      this.reject(res, 400, 'bad_request', 'bad request: a scrape has no body\n', { Connection: 'close' });
      return false;
    }
    if (this.auth && !this.auth.check(req.headers.authorization)) {
      this.reject(res, 401, 'unauthorized', 'unauthorized\n', { 'WWW-Authenticate': this.auth.challenge });
      return false;
    }
    const wait = this.rateLimiter?.take() ?? 0;
    if (wait > 0) {
      this.reject(res, 429, 'rate_limited', 'too many scrapes; retry later\n', {
        'Retry-After': String(wait),
      });
      return false;
    }
    return true;
  }

  private async metrics(
    req: IncomingMessage,
    res: ServerResponse,
    start: number,
    json?: 'json',
  ): Promise<void> {
    if (!this.admit(req, res)) return;
    // The limit bounds collections and serializations; a request that shares one already under way costs
    // neither, so a burst of scrapers gets one collection and 200s rather than 503s. One per connection still.
    if (
      this.scraping.has(req.socket) ||
      (this.producing >= this.options.maxConcurrentScrapes && !this.producer.joinable)
    ) {
      return this.reject(res, 503, 'too_many_concurrent_scrapes', 'too many concurrent scrapes\n', {
        'Retry-After': '1',
      });
    }
    this.inFlight++;
    this.scraping.add(req.socket);
    try {
      await this.scrape(req, res, start, json);
    } finally {
      this.inFlight--;
      this.scraping.delete(req.socket);
    }
  }

  private async scrape(
    req: IncomingMessage,
    res: ServerResponse,
    start: number,
    json: 'json' | undefined,
  ): Promise<void> {
    const format: BodyFormat = json ?? negotiateFormat(req.headers.accept);
    const encoding = this.options.compression ? negotiateEncoding(req.headers['accept-encoding']) : undefined;
    // A scrape that starts a collection will build a new body: slow readers' old ones make room for it first.
    if (!this.producer.joinable) this.sender.reserve();
    let body: Awaited<ReturnType<ScrapeProducer['body']>>;
    this.producing++;
    try {
      body = await this.producer.body(format, encoding);
    } catch (err) {
      if (!(err instanceof ScrapeError)) throw err;
      const status = err.kind === 'timeout' ? 503 : 500;
      if (err.kind === 'collection_failed') diag.error(`otel-metrics-bootstrap: ${err.message}`, err.cause);
      else diag.warn(`otel-metrics-bootstrap: ${err.message}`);
      send(res, status, `${err.message}\n`);
      this.selfMetrics?.request(status, err.kind, (performance.now() - start) / 1000);
      return;
    } finally {
      this.producing--;
    }
    const headers: OutgoingHttpHeaders = {
      'Content-Type': format === 'json' ? JSON_CONTENT_TYPE : CONTENT_TYPES[format],
      'Content-Length': body.bytes,
      'Cache-Control': 'no-store',
      // The body depends on both request headers; caches and proxies must key on them.
      Vary: 'Accept, Accept-Encoding',
      'X-Content-Type-Options': 'nosniff',
    };
    if (body.encoding) headers['Content-Encoding'] = body.encoding;
    res.writeHead(200, headers);
    let cut: ScrapeErrorType | undefined;
    if (req.method === 'HEAD') res.end();
    else cut = await this.sender.send(res, body);
    this.selfMetrics?.request(200, cut, (performance.now() - start) / 1000, cut ? undefined : body.bytes);
  }

  private async readiness(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    if (this.shuttingDown) return send(res, 503, 'not ready: shutting down\n', head);
    // A flag read while the latest collection succeeded; otherwise one collection decides (joined with any
    // scrape in progress, bounded by scrapeTimeout), so readiness comes back without waiting for a scrape.
    if (this.producer.state !== 'ok') await this.producer.collect().catch(() => undefined);
    if (this.shuttingDown) return send(res, 503, 'not ready: shutting down\n', head);
    const state = this.producer.state;
    if (state === 'ok') return send(res, 200, 'ready\n', head);
    send(res, 503, `not ready: ${NOT_READY[state]}\n`, head);
  }

  private reject(
    res: ServerResponse,
    status: number,
    errorType: ScrapeErrorType,
    text: string,
    headers: OutgoingHttpHeaders = {},
  ): void {
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) res.setHeader(k, v);
    send(res, status, text);
    this.selfMetrics?.request(status, errorType);
  }
}

/** The request path for routing; `undefined` when the target cannot be parsed or holds bad %-escapes. */
function parseTarget(url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined;
  let path: string;
  if (url.startsWith('/')) {
    const q = url.search(/[?#]/);
    path = q === -1 ? url : url.slice(0, q);
  } else {
    // Absolute form (`GET http://host/metrics`) is legal HTTP/1.1 and servers must accept it (RFC 9112 §3.2.2).
    try {
      path = new URL(url).pathname;
    } catch {
      return undefined;
    }
  }
  try {
    decodeURIComponent(path);
  } catch {
    return undefined;
  }
  return path;
}

function isGetOrHead(req: IncomingMessage): boolean {
  return req.method === 'GET' || req.method === 'HEAD';
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function send(res: ServerResponse, status: number, text: string, headOnly = false): void {
  res.statusCode = status;
  res.setHeader('Content-Type', TEXT_PLAIN);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(headOnly ? undefined : text);
}
