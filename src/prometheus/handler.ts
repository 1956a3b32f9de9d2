import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import { markMetricsRequest } from '../metrics-traffic.js';
import {
  EndpointCore,
  type EndpointOptions,
  type MetricsReply,
  type MetricsRequest,
  TEXT_PLAIN,
} from './endpoint-core.js';
import { uiDataPath } from './options.js';
import type { CollectionState, MetricsSource, ScrapeHooks } from './scrape.js';
import type { ScrapeErrorType, SelfMetrics } from './self-metrics.js';
import { BodySender } from './sender.js';
import { uiPage } from './ui.js';

export type { EndpointOptions } from './endpoint-core.js';
export { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from './negotiation.js';
export type { MetricsSource } from './scrape.js';

/** A `(req, res)` handler that also accepts (and ignores) Express's `next`: it always answers. */
export type MetricsRequestHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (err?: unknown) => void,
) => void;

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
 * The metrics endpoint over node:http, shared by our own server (`handle`: routes the metrics path and the
 * health paths) and by `createMetricsHandler()` (`serveMetrics`: the framework has routed already). What to
 * answer a request for metrics is decided by {@link EndpointCore} (also behind `createFetchHandler()`); this
 * class routes, writes the answers and sends bodies as the socket drains ({@link BodySender}).
 *
 * Routing: malformed → 400, wrong path → 404, then the core's checks. Health paths skip auth and limits: probes
 * must stay cheap and work without secrets. Failures never escape into the host application.
 */
export class MetricsEndpoint {
  /** The transport-neutral decisions, shared with the Fetch handler of the same handle. */
  readonly core: EndpointCore;
  private readonly sender: BodySender;
  private shuttingDown = false;
  /** Where the live page's JSON view is served; `undefined` with the page off. */
  private readonly dataPath: string | undefined;

  constructor(
    source: MetricsSource,
    private readonly options: EndpointOptions,
    private readonly selfMetrics?: SelfMetrics,
    hooks: ScrapeHooks = {},
  ) {
    // Slow readers' old bodies make room before a new collection builds its body.
    this.core = new EndpointCore(source, options, selfMetrics, hooks, () => this.sender.reserve());
    this.sender = new BodySender(options, (reason) => this.selfMetrics?.connectionClosed(reason));
    this.dataPath = options.ui ? uiDataPath(options.uiPath) : undefined;
  }

  /** Metrics requests being served right now (past the auth, rate and concurrency checks). */
  get scrapesInFlight(): number {
    return this.core.scrapesInFlight;
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
    if (target === undefined)
      return this.reject(req, res, 400, 'bad_request', 'bad request: malformed URL\n');
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
    return this.reject(req, res, 404, 'not_found', 'not found\n');
  }

  /** The live page: static, but behind the same checks as the metrics it shows (it names every metric). */
  private async page(req: IncomingMessage, res: ServerResponse): Promise<void> {
    markMetricsRequest(req);
    const refused = this.core.admit(metricsRequest(req, performance.now()));
    if (refused !== undefined) return this.write(req, res, refused);
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

  private async metrics(
    req: IncomingMessage,
    res: ServerResponse,
    start: number,
    json?: 'json',
  ): Promise<void> {
    markMetricsRequest(req);
    const reply = await this.core.metrics(metricsRequest(req, start), json);
    await this.write(req, res, reply);
  }

  /** Writes the core's answer; a body goes out as the socket drains, then the reply is finished. */
  private async write(req: IncomingMessage, res: ServerResponse, reply: MetricsReply): Promise<void> {
    for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
    if (reply.body === undefined) return send(res, reply.status, reply.text);
    res.writeHead(reply.status);
    let cut: ScrapeErrorType | undefined;
    try {
      if (req.method === 'HEAD') res.end();
      else cut = await this.sender.send(res, reply.body);
    } finally {
      reply.finished(cut);
    }
  }

  private async readiness(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    if (this.shuttingDown) return send(res, 503, 'not ready: shutting down\n', head);
    // A flag read while the latest collection succeeded; otherwise one collection decides (joined with any
    // scrape in progress, bounded by scrapeTimeout), so readiness comes back without waiting for a scrape.
    const producer = this.core.producer;
    if (producer.state !== 'ok') await producer.collect().catch(() => undefined);
    if (this.shuttingDown) return send(res, 503, 'not ready: shutting down\n', head);
    const state = producer.state;
    if (state === 'ok') return send(res, 200, 'ready\n', head);
    send(res, 503, `not ready: ${NOT_READY[state]}\n`, head);
  }

  private reject(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    errorType: ScrapeErrorType,
    text: string,
  ): Promise<void> {
    return this.write(req, res, this.core.reject(status, errorType, text));
  }
}

/** The core's view of a node:http request. */
function metricsRequest(req: IncomingMessage, start: number): MetricsRequest {
  const headers = req.headers;
  return {
    method: req.method,
    header: (name) => {
      const value = headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    connection: req.socket,
    start,
  };
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

function send(res: ServerResponse, status: number, text: string, headOnly = false): void {
  res.statusCode = status;
  res.setHeader('Content-Type', TEXT_PLAIN);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(headOnly ? undefined : text);
}
