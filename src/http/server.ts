import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { type Attributes, diag } from '@opentelemetry/api';
import { isMetricsTraffic } from '../metrics-traffic.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_SCHEME,
  ERROR_TYPE_ABORTED,
} from '../semconv.js';
import {
  type MethodTable,
  PROTOCOL_1_0,
  PROTOCOL_1_1,
  PROTOCOL_2,
  PROTOCOL_VERSIONS,
  parseLength,
} from './attributes.js';
import { captureExemplar } from './exemplar-capture.js';
import { expressRoute } from './express.js';
import type { RequestFilter } from './ignore.js';
import type { HttpRequestInfo } from './options.js';
import { kRequestState, type RouteSlot } from './route.js';
import type { RouteTable } from './route-table.js';
import type { AnyHistogramSeries, HistogramStream, SumSeries, SumStream } from './series.js';

/** The streams a server recorder writes; any may be absent (e.g. the duration under the compatibility engine). */
export interface ServerStreams {
  readonly duration: HistogramStream | undefined;
  readonly requestSize: HistogramStream | undefined;
  readonly responseSize: HistogramStream | undefined;
  readonly active: SumStream | undefined;
}

export interface ServerRecorderOptions {
  readonly methods: MethodTable;
  readonly routes: RouteTable | undefined;
  readonly ignore: RequestFilter | undefined;
  readonly serverAddress: boolean;
  readonly serverPort: boolean;
}

/** Bound once: saves the property lookup on every call of the hot path. */
const now = performance.now.bind(performance);

/**
 * Per-request state with a fixed shape, created at request start and kept on the request itself (HTTP/1: the
 * `IncomingMessage`; HTTP/2: the stream) under `kRequestState`. It lives and dies with the request, so it is
 * young-to-young for the garbage collector and finding it at finish is one property load.
 */
class ServerRequestState implements RouteSlot {
  readonly start = now();
  // Set once, by ServerRecorder.begin(): the attribute indexes, the opt-in host and port, and the
  // active-requests series. Initialised here so every state has the same shape.
  /** HTTP/1: the request and its response, to record the request if its connection closes first. */
  request: IncomingMessage | undefined = undefined;
  response: ServerResponse | undefined = undefined;
  method = 0;
  scheme = 0;
  protocol = 0;
  active: SumSeries | undefined = undefined;
  address: string | undefined = undefined;
  port = 0;
  route: string | undefined = undefined;
  /** Set once recorded (finished or aborted), so a request is never recorded twice. */
  done = false;
  /** HTTP/1: queued behind another response on its connection (pipelining), see `pipelined`. */
  queued = false;
  /** HTTP/2 only: the request's content-length and route-table match, read from the headers at start. */
  requestLength: number | undefined = undefined;
  tableRoute: string | undefined = undefined;
}

type Http1Request = IncomingMessage & { [kRequestState]?: ServerRequestState };
/** `node:http` internals read here: the response being written on a connection, and its request. */
type Http1Socket = Socket & { _httpMessage?: (ServerResponse & { req?: Http1Request }) | null };

/** HTTP/1 requests pipelined behind another response on the same connection, oldest first (rare). */
const pipelined = new WeakMap<Socket, ServerRequestState[]>();

/** The series one finished request lands in, for all three histograms at once. */
class RequestSeries {
  constructor(
    readonly duration: AnyHistogramSeries | undefined,
    readonly requestSize: AnyHistogramSeries | undefined,
    readonly responseSize: AnyHistogramSeries | undefined,
  ) {}
}

/**
 * Beyond this many cached combinations, new ones are resolved on every request instead of cached, so a flood
 * of distinct (opt-in) Host headers or `setHttpRoute()` values cannot grow memory without bound; the streams'
 * cardinality limit folds them into the overflow series anyway.
 */
const COMBINATION_CACHE_LIMIT = 10_000;
const SCHEMES = ['http', 'https'] as const;
const NGHTTP2_NO_ERROR = 0;
const CHAR_COLON = 0x3a; // ':'

type Http1Message = {
  readonly request: Http1Request;
  readonly response: ServerResponse;
  readonly socket: Http1Socket;
  readonly server?: Server;
};
type Http2Message = {
  readonly stream: ServerHttp2Stream & { [kRequestState]?: ServerRequestState };
  readonly headers?: IncomingHttpHeaders & Record<string, string | string[] | undefined>;
};

/**
 * Records `http.server.*` from `node:diagnostics_channel`:
 * - HTTP/1.x (`node:http`, `node:https`): `http.server.request.start`, `http.server.response.finish`, and one
 *   `close` listener per connection for requests that end without a finished response (client gone, socket
 *   destroyed, timeouts; in HTTP/1 every such ending closes the connection): those are recorded with
 *   `error.type=aborted`.
 * - HTTP/2 (`node:http2`, core API and compatibility API): `http2.server.stream.start` and
 *   `http2.server.stream.close` (channels added in Node 24.2; a Node without them records no HTTP/2 requests).
 *
 * The hot path: at start, one small state object put on the request; at finish, a numeric key from (status,
 * method, scheme, protocol, aborted) looked up in a map per route, then direct aggregation into the pre-bound
 * series. Attribute objects are built only on a cache miss.
 */
export class ServerRecorder {
  private readonly streams: ServerStreams;
  private readonly options: ServerRecorderOptions;
  private readonly methodCount: number;
  private readonly optIn: boolean;
  /** Series by numeric key (see `seriesFor`): for requests without a route, and per route. */
  private readonly seriesWithoutRoute = new Map<number, RequestSeries>();
  private readonly seriesByRoute = new Map<string, Map<number, RequestSeries>>();
  /** With opt-in attributes the host and port join the key, which then is a string. */
  private readonly seriesByOptInKey = new Map<string, RequestSeries>();
  private readonly activeByIndex: (SumSeries | undefined)[] = [];
  private readonly activeByOptInKey = new Map<string, SumSeries>();
  /** Combinations in the maps above, bounded by COMBINATION_CACHE_LIMIT. */
  private cachedCombinations = 0;
  /** The last server seen and whether it is the metrics endpoint's: one comparison instead of a lookup. */
  private lastServer: Server | undefined;
  private lastServerIsMetrics = false;
  /** The last combination seen: consecutive requests usually share it, which skips even the map lookup. */
  private lastKey = -1;
  private lastRoute: string | undefined;
  private lastSeries: RequestSeries | undefined;
  /** Whether `socket._httpMessage` was checked yet (see `onResponseFinish`). */
  private checkedHttpMessage = false;
  /** Connections that have our `close` listener (one per connection, not one per request). */
  private readonly connections = new WeakSet<Socket>();
  /** One function for every connection, so adding the listener allocates no closure. */
  private readonly onSocketClose: (this: Http1Socket) => void;

  constructor(streams: ServerStreams, options: ServerRecorderOptions) {
    this.streams = streams;
    this.options = options;
    this.methodCount = options.methods.size;
    this.optIn = options.serverAddress || options.serverPort;
    const recorder = this;
    this.onSocketClose = function onSocketClose(this: Http1Socket) {
      // In flight when the connection closed: the request whose response is on the socket (node:http keeps it
      // there until it finishes), and any pipelined behind it.
      const current = this._httpMessage?.req?.[kRequestState];
      const queue = pipelined.get(this);
      pipelined.delete(this);
      if (current !== undefined) recorder.abort(current);
      if (queue !== undefined) for (const state of queue) recorder.abort(state);
    };
  }

  readonly onRequestStart = (message: unknown): void => {
    const { request, response, socket, server } = message as Http1Message;
    // Scrapes of our own endpoint are not application traffic.
    if (server !== this.lastServer) {
      this.lastServer = server;
      this.lastServerIsMetrics = server !== undefined && isMetricsTraffic(request, server);
    }
    if (this.lastServerIsMetrics) return;
    if (this.options.ignore?.(request)) return;
    const scheme = (socket as { encrypted?: boolean }).encrypted === true ? 1 : 0;
    const protocol = request.httpVersionMinor === 0 ? PROTOCOL_1_0 : PROTOCOL_1_1;
    // `request.headers` is built lazily by node:http: read only when the Host header is wanted.
    const host = this.optIn ? request.headers.host : undefined;
    const state = this.begin(request.method, scheme, protocol, host);
    state.request = request;
    state.response = response;
    if (!this.connections.has(socket)) {
      // First request on this connection: one listener for its lifetime, not one per request.
      this.connections.add(socket);
      socket.once('close', this.onSocketClose);
    }
    request[kRequestState] = state;
    // node:http puts the response on the socket right after this message, unless an earlier response is still
    // being written there: then this request is pipelined behind it and waits in a queue only node:http sees.
    if (socket._httpMessage) {
      state.queued = true;
      const queue = pipelined.get(socket);
      if (queue === undefined) pipelined.set(socket, [state]);
      else queue.push(state);
    }
  };

  readonly onResponseFinish = (message: unknown): void => {
    const { request, response, socket } = message as Http1Message;
    const state = request[kRequestState];
    if (state === undefined || state.done) return;
    state.done = true;
    if (state.queued) {
      const queue = pipelined.get(socket);
      const i = queue?.indexOf(state) ?? -1;
      if (i !== -1) queue!.splice(i, 1);
    }
    this.finishHttp1(state, request, response, false);
    // The close listener finds the request in flight through node:http's `socket._httpMessage`, which holds
    // the response until it has finished; a Node that no longer keeps it would lose aborted requests silently.
    // Checked on the first finished response only: the answer is the same for every request of this Node.
    if (!this.checkedHttpMessage) {
      this.checkedHttpMessage = true;
      if (socket._httpMessage !== undefined) return;
      diag.warn(
        'otel-metrics-bootstrap: this Node version does not keep the response on its socket (_httpMessage); ' +
          'requests whose client goes away will not be recorded as aborted and may stay in http.server.active_requests',
      );
    }
  };

  /** Records a request whose connection closed before its response finished. */
  private abort(state: ServerRequestState): void {
    if (state.done) return;
    state.done = true;
    this.finishHttp1(state, state.request!, state.response!, true);
  }

  private finishHttp1(
    state: ServerRequestState,
    request: IncomingMessage,
    response: ServerResponse,
    aborted: boolean,
  ): void {
    const seconds = this.end(state);
    // A scrape served by createMetricsHandler() inside the app is only known once the handler has seen it.
    if (isMetricsTraffic(request)) return;
    const status = aborted && !response.headersSent ? 0 : response.statusCode;
    const route = state.route ?? this.routeOf(request, status);
    const series = this.recordDuration(state, seconds, route, status, aborted);
    // Each size is read only when its histogram is on: reading it scans headers.
    if (series?.requestSize) {
      const size = requestBodySize(request);
      if (size !== undefined) series.requestSize.record(size);
    }
    if (series?.responseSize) {
      const size = responseBodySize(response);
      if (size !== undefined) series.responseSize.record(size);
    }
  }

  readonly onHttp2StreamStart = (message: unknown): void => {
    const { stream, headers } = message as Http2Message;
    if (headers === undefined) return;
    const method = headers[':method'] as string | undefined;
    if (this.options.ignore) {
      const info: HttpRequestInfo = { method, url: headers[':path'] as string | undefined, headers };
      if (this.options.ignore(info)) return;
    }
    const scheme = headers[':scheme'] === 'https' ? 1 : 0;
    const authority = headers[':authority'] ?? headers.host;
    const state = this.begin(
      method,
      scheme,
      PROTOCOL_2,
      typeof authority === 'string' ? authority : undefined,
    );
    state.requestLength = parseLength(headers['content-length']);
    stream[kRequestState] = state;
    if (this.options.routes) state.tableRoute = this.options.routes.match(String(headers[':path'] ?? ''));
  };

  readonly onHttp2StreamClose = (message: unknown): void => {
    const { stream } = message as Http2Message;
    const state = stream[kRequestState];
    if (state === undefined || state.done) return;
    state.done = true;
    const seconds = this.end(state);
    const sent = stream.sentHeaders as Record<string, unknown> | undefined;
    const sentStatus = sent?.[':status'];
    const status = typeof sentStatus === 'number' ? sentStatus : Number(sentStatus ?? 0) || 0;
    const aborted = status === 0 || (stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR);
    const series = this.recordDuration(state, seconds, state.route ?? state.tableRoute, status, aborted);
    // HTTP/2 has no chunked framing to fall back on: sizes are recorded when content-length says them.
    if (state.requestLength !== undefined) series?.requestSize?.record(state.requestLength);
    const responseSize = series?.responseSize ? parseLength(sent?.['content-length']) : undefined;
    if (responseSize !== undefined) series?.responseSize?.record(responseSize);
  };

  /**
   * A new request's state, for HTTP/1 and HTTP/2 alike: its attribute indexes, its opt-in host and port (from
   * `host` when opt-in attributes are on), and one more on its active-requests series.
   */
  private begin(
    method: string | undefined,
    scheme: number,
    protocol: number,
    host: string | undefined,
  ): ServerRequestState {
    const state = new ServerRequestState();
    state.method = this.options.methods.indexOf(method);
    state.scheme = scheme;
    state.protocol = protocol;
    if (this.optIn) [state.address, state.port] = hostAndPort(host, scheme);
    if (this.streams.active) {
      state.active = this.activeSeries(state.method, scheme, state.address, state.port);
      state.active.value++;
    }
    return state;
  }

  /** The request's duration in seconds, now that it has ended; one less on its active-requests series. */
  private end(state: ServerRequestState): number {
    if (state.active) state.active.value--;
    return (now() - state.start) / 1000;
  }

  /**
   * Records the duration; returns the series for the body sizes, or `undefined` for an exchange that ended
   * early (the sizes of a half-sent exchange would mislead).
   */
  private recordDuration(
    state: ServerRequestState,
    seconds: number,
    route: string | undefined,
    status: number,
    aborted: boolean,
  ): RequestSeries | undefined {
    const series = this.seriesFor(state, route, status, aborted);
    const duration = series.duration;
    if (duration !== undefined) {
      duration.record(seconds);
      // The request's span is the active one here: node:http publishes the finish from the write that ended
      // the response, which runs in the context of the handler's `end()` call (instrumentation-http's span).
      captureExemplar(duration, seconds);
    }
    return aborted ? undefined : series;
  }

  /** Framework route (Express), then the route table; `setHttpRoute()`/Fastify/Koa already wrote `state.route`. */
  private routeOf(request: IncomingMessage, status: number): string | undefined {
    const express = expressRoute(request as never, status);
    if (express !== undefined) return express;
    const table = this.options.routes;
    if (table === undefined) return undefined;
    return table.match((request as { originalUrl?: string }).originalUrl ?? request.url ?? '/');
  }

  private activeSeries(method: number, scheme: number, address: string | undefined, port: number): SumSeries {
    const stream = this.streams.active!;
    if (!this.optIn) {
      const i = method * 2 + scheme;
      let series = this.activeByIndex[i];
      if (series === undefined) {
        series = stream.resolve(this.activeAttributes(method, scheme, address, port));
        this.activeByIndex[i] = series;
      }
      return series;
    }
    const key = `${method}|${scheme}|${address}|${port}`;
    let series = this.activeByOptInKey.get(key);
    if (series === undefined) {
      series = stream.resolve(this.activeAttributes(method, scheme, address, port));
      if (this.cachedCombinations < COMBINATION_CACHE_LIMIT) {
        this.activeByOptInKey.set(key, series);
        this.cachedCombinations++;
      }
    }
    return series;
  }

  private activeAttributes(method: number, scheme: number, address: string | undefined, port: number) {
    const attrs: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: this.options.methods.names[method],
      [ATTR_URL_SCHEME]: SCHEMES[scheme],
    };
    this.addOptIn(attrs, address, port);
    return attrs;
  }

  /** The series for this combination: cached, or resolved (and cached while under the limit). */
  private seriesFor(
    state: ServerRequestState,
    route: string | undefined,
    status: number,
    aborted: boolean,
  ): RequestSeries {
    // Every part is a small integer, so the key is one number (status < 1000, see node:http's range check).
    const key =
      (((status * 2 + (aborted ? 1 : 0)) * 3 + state.protocol) * 2 + state.scheme) * this.methodCount +
      state.method;
    if (this.optIn) {
      const optInKey = `${key}|${state.address}|${state.port}|${route ?? ''}|${route === undefined ? 0 : 1}`;
      let series = this.seriesByOptInKey.get(optInKey);
      if (series === undefined) {
        series = this.resolveSeries(state, route, status, aborted);
        if (this.cachedCombinations < COMBINATION_CACHE_LIMIT) {
          this.seriesByOptInKey.set(optInKey, series);
          this.cachedCombinations++;
        }
      }
      return series;
    }
    if (key === this.lastKey && route === this.lastRoute) return this.lastSeries!;
    let map = route === undefined ? this.seriesWithoutRoute : this.seriesByRoute.get(route);
    let series = map?.get(key);
    if (series !== undefined) {
      this.lastKey = key;
      this.lastRoute = route;
      this.lastSeries = series;
      return series;
    }
    series = this.resolveSeries(state, route, status, aborted);
    if (this.cachedCombinations < COMBINATION_CACHE_LIMIT) {
      if (map === undefined) {
        map = new Map();
        this.seriesByRoute.set(route!, map);
      }
      map.set(key, series);
      this.cachedCombinations++;
    }
    return series;
  }

  /** Builds the attributes of a combination (only on a cache miss) and resolves its three series. */
  private resolveSeries(
    state: ServerRequestState,
    route: string | undefined,
    status: number,
    aborted: boolean,
  ): RequestSeries {
    const attrs: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: this.options.methods.names[state.method],
      [ATTR_URL_SCHEME]: SCHEMES[state.scheme],
      [ATTR_NETWORK_PROTOCOL_VERSION]: PROTOCOL_VERSIONS[state.protocol],
    };
    if (status !== 0) attrs[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
    // semconv: the status code as a string for 5xx; for an exchange that ended early, what happened.
    if (status >= 500) attrs[ATTR_ERROR_TYPE] = String(status);
    else if (aborted) attrs[ATTR_ERROR_TYPE] = ERROR_TYPE_ABORTED;
    if (route !== undefined) attrs[ATTR_HTTP_ROUTE] = route;
    this.addOptIn(attrs, state.address, state.port);
    const { duration, requestSize, responseSize } = this.streams;
    return new RequestSeries(
      duration?.resolve(attrs),
      requestSize?.resolve(attrs),
      responseSize?.resolve(attrs),
    );
  }

  private addOptIn(attrs: Attributes, address: string | undefined, port: number): void {
    if (this.options.serverAddress && address !== undefined) attrs[ATTR_SERVER_ADDRESS] = address;
    if (this.options.serverPort && port !== 0) attrs[ATTR_SERVER_PORT] = port;
  }
}

/**
 * The request body size without materialising `req.headers` (Node builds that object lazily): `content-length`
 * from the raw header list; 0 when the request has neither `content-length` nor `transfer-encoding` (it has no
 * body, RFC 9112 §6.3); unknown for chunked uploads, which are not counted.
 */
function requestBodySize(req: IncomingMessage): number | undefined {
  const raw = req.rawHeaders;
  let chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') return parseLength(raw[i + 1]);
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') chunked = true;
  }
  return chunked ? undefined : 0;
}

/**
 * The response body size: 0 for responses that carry none (HEAD, 204, 304); else the length node:http sent in
 * `content-length` (it sets `_contentLength` itself for `res.end(body)`). Chunked responses of unknown length are
 * not counted: summing their chunks would need a listener on every write.
 */
function responseBodySize(res: ServerResponse): number | undefined {
  const internal = res as { _hasBody?: boolean; _contentLength?: unknown };
  if (internal._hasBody === false) return 0;
  const len = internal._contentLength;
  if (typeof len === 'number') return len >= 0 ? len : undefined;
  return parseLength(res.getHeader('content-length'));
}

/** `server.address` / `server.port` from a Host (or `:authority`) header; the port defaults by scheme. */
function hostAndPort(host: string | undefined, scheme: number): [string | undefined, number] {
  const defaultPort = scheme === 1 ? 443 : 80;
  if (host === undefined || host === '') return [undefined, 0];
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close === -1) return [host, defaultPort];
    const port = host.charCodeAt(close + 1) === CHAR_COLON ? Number(host.slice(close + 2)) : defaultPort;
    return [host.slice(1, close), Number.isInteger(port) && port > 0 && port < 65536 ? port : defaultPort];
  }
  const colon = host.lastIndexOf(':');
  if (colon === -1) return [host, defaultPort];
  const port = Number(host.slice(colon + 1));
  return [host.slice(0, colon), Number.isInteger(port) && port > 0 && port < 65536 ? port : defaultPort];
}
