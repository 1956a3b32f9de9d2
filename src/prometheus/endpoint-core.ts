import { diag } from '@opentelemetry/api';
import { type Authenticator, createAuthenticator } from './auth.js';
import type { EscapingScheme } from './naming.js';
import { type Encoding, negotiate, negotiateEncoding, SERVED_OFFERS } from './negotiation.js';
import type { ResolvedPrometheusOptions } from './options.js';
import { ProtobufSerializer } from './protobuf.js';
import { RateLimiter } from './rate-limit.js';
import {
  type Body,
  type BodyFormat,
  type MetricsSource,
  ScrapeError,
  type ScrapeHooks,
  ScrapeProducer,
} from './scrape.js';
import { CardinalityWarnings, type ScrapeErrorType, type SelfMetrics } from './self-metrics.js';

/** What the endpoint reads from the resolved configuration. */
export type EndpointOptions = Pick<
  ResolvedPrometheusOptions,
  | 'path'
  | 'targetInfo'
  | 'scopeInfo'
  | 'nativeWithClassic'
  | 'translationStrategy'
  | 'resourceConstantLabels'
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

/** The request headers the endpoint reads (lower case). */
export type RequestHeader =
  | 'accept'
  | 'accept-encoding'
  | 'authorization'
  | 'content-length'
  | 'transfer-encoding';

/** A request for metrics as the core sees it, whatever the transport (node:http, Fetch). */
export interface MetricsRequest {
  readonly method: string | undefined;
  header(name: RequestHeader): string | undefined;
  /**
   * The connection it came on, for the one-scrape-per-connection rule (a pipelining client cannot take every
   * slot); `undefined` where the transport does not show connections (Fetch).
   */
  readonly connection: object | undefined;
  /** When the request arrived (`performance.now()`), for `omb.scrape.duration`. */
  readonly start: number;
}

/** Headers of a reply, by their canonical names. */
export type ReplyHeaders = Readonly<Record<string, string>>;

/** A short text answer: refusals, failures. */
export interface TextReply {
  readonly status: number;
  readonly headers: ReplyHeaders;
  readonly text: string;
  readonly body?: undefined;
}

/**
 * A scrape body (status 200), to be ended with `finished()` exactly once, when the body is out or its send was
 * given up (with the reason when the transport cut it): that frees the concurrency slot and records the
 * request's self-metrics.
 */
export interface BodyReply {
  readonly status: 200;
  readonly headers: ReplyHeaders;
  readonly body: Body;
  finished(cut?: ScrapeErrorType): void;
}

/** What to answer a request for metrics. */
export type MetricsReply = TextReply | BodyReply;

export const TEXT_PLAIN = 'text/plain; charset=utf-8';
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * The metrics endpoint's decisions, free of any transport: the node:http endpoint (`MetricsEndpoint`) and the
 * Fetch handler (`createFetchHandler()`) both ask it what to answer and only write the answer their own way.
 *
 * Order of checks for a metrics request, cheapest and least revealing first: method → 405, a body → 400,
 * credentials → 401, rate → 429, concurrency (one scrape at a time per connection; `maxConcurrentScrapes` in
 * all, not counting requests that share a collection already under way) → 503, then the scrape itself (200, or
 * 500 on a collection failure or an oversize body, 503 on timeout). Every answer is counted in the self-metrics.
 */
export class EndpointCore {
  readonly producer: ScrapeProducer;
  private readonly auth: Authenticator | undefined;
  private readonly rateLimiter: RateLimiter | undefined;
  private inFlight = 0;
  /**
   * Requests waiting for their body (collection, serialization, compression): what `maxConcurrentScrapes`
   * bounds. A request that is only sending is bounded by the transport instead (`sendTimeout`, `maxQueuedBytes`),
   * so clients that read slowly or never cannot hold the slots and lock new collections out.
   */
  private producing = 0;
  /** Connections with a scrape in flight. */
  private readonly scraping = new WeakSet<object>();

  constructor(
    source: MetricsSource,
    readonly options: EndpointOptions,
    readonly selfMetrics?: SelfMetrics,
    hooks: ScrapeHooks = {},
    /** Called before a request starts a new collection, so the transport can make room for its body. */
    private readonly beforeCollection?: () => void,
  ) {
    const serializer = new ProtobufSerializer({
      targetInfo: options.targetInfo,
      scopeInfo: options.scopeInfo,
      nativeWithClassic: options.nativeWithClassic,
      translationStrategy: options.translationStrategy,
      resourceConstantLabels: options.resourceConstantLabels,
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
  }

  /** Metrics requests being served right now (past the auth, rate and concurrency checks). */
  get scrapesInFlight(): number {
    return this.inFlight;
  }

  /**
   * Method, body, credentials and rate: the checks every request for metrics (the live page and its JSON too)
   * passes. The refusal to send, or `undefined` when the request may go ahead.
   */
  admit(req: MetricsRequest): MetricsReply | undefined {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return this.reject(405, 'method_not_allowed', 'method not allowed\n', { Allow: 'GET, HEAD' });
    }
    // A scrape never has a body; one that does is malformed or an attempt to make us read it.
    const length = req.header('content-length');
    if ((length !== undefined && length !== '0') || req.header('transfer-encoding') !== undefined) {
      return this.reject(400, 'bad_request', 'bad request: a scrape has no body\n', { Connection: 'close' });
    }
    if (this.auth && !this.auth.check(req.header('authorization'))) {
      return this.reject(401, 'unauthorized', 'unauthorized\n', { 'WWW-Authenticate': this.auth.challenge });
    }
    const wait = this.rateLimiter?.take() ?? 0;
    if (wait > 0) {
      return this.reject(429, 'rate_limited', 'too many scrapes; retry later\n', {
        'Retry-After': String(wait),
      });
    }
    return undefined;
  }

  /** The answer to a request for metrics (`json`: the live page's JSON view of them). */
  async metrics(req: MetricsRequest, json?: 'json'): Promise<MetricsReply> {
    const refused = this.admit(req);
    if (refused !== undefined) return refused;
    const connection = req.connection;
    // The limit bounds collections and serializations; a request that shares one already under way costs
    // neither, so a burst of scrapers gets one collection and 200s rather than 503s. One per connection still.
    if (
      (connection !== undefined && this.scraping.has(connection)) ||
      (this.producing >= this.options.maxConcurrentScrapes && !this.producer.joinable)
    ) {
      return this.reject(503, 'too_many_concurrent_scrapes', 'too many concurrent scrapes\n', {
        'Retry-After': '1',
      });
    }
    this.inFlight++;
    if (connection !== undefined) this.scraping.add(connection);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.inFlight--;
      if (connection !== undefined) this.scraping.delete(connection);
    };
    try {
      return await this.scrape(req, json, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  private async scrape(
    req: MetricsRequest,
    json: 'json' | undefined,
    release: () => void,
  ): Promise<MetricsReply> {
    const { format, escaping, contentType, encoding } = this.negotiate(req, json);
    if (!this.producer.joinable) this.beforeCollection?.();
    let body: Body;
    this.producing++;
    try {
      body = await this.producer.body(format, encoding, escaping);
    } catch (err) {
      if (!(err instanceof ScrapeError)) throw err;
      release();
      const status = err.kind === 'timeout' ? 503 : 500;
      if (err.kind === 'collection_failed') diag.error(`otel-metrics-bootstrap: ${err.message}`, err.cause);
      else diag.warn(`otel-metrics-bootstrap: ${err.message}`);
      this.selfMetrics?.request(status, err.kind, seconds(req));
      return textReply(status, `${err.message}\n`);
    } finally {
      this.producing--;
    }
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      'Content-Length': String(body.bytes),
      'Cache-Control': 'no-store',
      // The body depends on both request headers; caches and proxies must key on them.
      Vary: 'Accept, Accept-Encoding',
      'X-Content-Type-Options': 'nosniff',
    };
    if (body.encoding) headers['Content-Encoding'] = body.encoding;
    let ended = false;
    return {
      status: 200,
      headers,
      body,
      finished: (cut) => {
        if (ended) return;
        ended = true;
        release();
        this.selfMetrics?.request(200, cut, seconds(req), cut ? undefined : body.bytes);
      },
    };
  }

  /**
   * The one place where the request's headers choose the body: its format, name escaping and `Content-Type`
   * (from `Accept`) and its compression (from `Accept-Encoding`, when compression is on).
   */
  private negotiate(
    req: MetricsRequest,
    json: 'json' | undefined,
  ): { format: BodyFormat; escaping: EscapingScheme; contentType: string; encoding: Encoding | undefined } {
    const encoding = this.options.compression ? negotiateEncoding(req.header('accept-encoding')) : undefined;
    if (json) return { format: json, escaping: 'underscores', contentType: JSON_CONTENT_TYPE, encoding };
    const { format, escaping, contentType } = negotiate(req.header('accept'), SERVED_OFFERS);
    return { format, escaping, contentType, encoding };
  }

  /** A refusal: its text answer, counted in the self-metrics with why. */
  reject(status: number, errorType: ScrapeErrorType, text: string, headers: ReplyHeaders = {}): TextReply {
    this.selfMetrics?.request(status, errorType);
    return textReply(status, text, headers);
  }
}

/** A short plain-text answer that no cache keeps. */
export function textReply(status: number, text: string, headers: ReplyHeaders = {}): TextReply {
  return {
    status,
    headers: { ...headers, 'Content-Type': TEXT_PLAIN, 'Cache-Control': 'no-store' },
    text,
  };
}

function seconds(req: MetricsRequest): number {
  return (performance.now() - req.start) / 1000;
}
