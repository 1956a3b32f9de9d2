import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Attributes, SpanContext } from '@opentelemetry/api';
import { isExportRequest } from '../metrics-traffic.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ERROR_TYPE_ABORTED,
} from '../semconv.js';
import {
  errorTypeOf,
  type MethodTable,
  PROTOCOL_1_0,
  PROTOCOL_1_1,
  PROTOCOL_VERSIONS,
} from './attributes.js';
import { exemplarOf, sampledSpanContext } from './exemplar-capture.js';
import type { AnyHistogramSeries, HistogramStream } from './series.js';

const kClientState: unique symbol = Symbol.for('otel-metrics-bootstrap.http.client-state') as never;
/** No `network.protocol.version`: undici's channels do not say which protocol a request used. */
const PROTOCOL_UNKNOWN = 3;
const ORIGIN_CACHE_LIMIT = 1_000;
const SERIES_CACHE_LIMIT = 10_000;

/** Everything about one destination that is fixed: its attributes and its cached series. */
class Origin {
  readonly byKey = new Map<number, AnyHistogramSeries>();
  readonly byError = new Map<string, AnyHistogramSeries>();

  constructor(
    readonly address: string,
    readonly port: number,
  ) {}
}

class ClientState {
  done = false;
  status = 0;
  protocol = PROTOCOL_UNKNOWN;
  /**
   * The sampled span active when the request was created (the client span of instrumentation-http, or the
   * caller's span for fetch): the response ends in other contexts, so it is taken here.
   */
  readonly span: SpanContext | undefined = sampledSpanContext();

  constructor(
    readonly start: number,
    readonly method: number,
    readonly origin: Origin,
  ) {}
}

type WithState = { [kClientState]?: ClientState };
type UndiciRequest = WithState & { readonly origin?: unknown; readonly method?: string };

/**
 * Records `http.client.request.duration` from `node:diagnostics_channel`, from request creation to the end of
 * the response body (as instrumentation-http and instrumentation-undici measure it), or to the error:
 * - `node:http` / `node:https`: `http.client.request.created` (or `.start` where Node lacks it),
 *   `http.client.response.finish` (headers
 *   received; the body's end is the response's `close`), `http.client.request.error`;
 * - `fetch` and undici: `undici:request:create`, `undici:request:headers`, `undici:request:trailers` (body
 *   complete), `undici:request:error`.
 * Attributes: method, `server.address`, `server.port`, status code, `network.protocol.version` (node:http only),
 * and `error.type` (the status code for 4xx/5xx, which semconv counts as client errors; the error code for
 * failures; `aborted` when the response stopped early).
 */
export class ClientRecorder {
  private readonly origins = new Map<string, Origin>();
  private readonly methodCount: number;
  private cached = 0;
  private readonly onResponseClose: (this: IncomingMessage) => void;

  constructor(
    private readonly stream: HistogramStream,
    private readonly methods: MethodTable,
  ) {
    this.methodCount = methods.size;
    const recorder = this;
    this.onResponseClose = function onResponseClose(this: IncomingMessage) {
      const request = (this as { req?: WithState }).req;
      const state = request?.[kClientState];
      if (state === undefined || state.done) return;
      state.done = true;
      recorder.record(state, this.complete ? undefined : ERROR_TYPE_ABORTED);
    };
  }

  readonly onHttpRequestCreated = (message: unknown): void => {
    const { request } = message as { request: ClientRequest & WithState };
    // `http.client.request.start` also lands here (for Node lines without `.created`); keep the earlier start.
    if (request[kClientState] !== undefined || isExportRequest(request)) return;
    const https = request.protocol === 'https:';
    const address = request.host;
    const port = portFromHost(request.getHeader('host'), https ? 443 : 80);
    const origin = this.origin(`${address}\u0000${port}`, address, port);
    request[kClientState] = new ClientState(performance.now(), this.methods.indexOf(request.method), origin);
  };

  readonly onHttpResponseFinish = (message: unknown): void => {
    const { request, response } = message as {
      request: ClientRequest & WithState;
      response: IncomingMessage;
    };
    const state = request[kClientState];
    if (state === undefined || state.done) return;
    state.status = response.statusCode ?? 0;
    state.protocol = response.httpVersionMinor === 0 ? PROTOCOL_1_0 : PROTOCOL_1_1;
    response.on('close', this.onResponseClose);
  };

  readonly onHttpRequestError = (message: unknown): void => {
    const { request, error } = message as { request: WithState; error: unknown };
    const state = request[kClientState];
    if (state === undefined || state.done) return;
    state.done = true;
    this.record(state, errorTypeOf(error));
  };

  readonly onUndiciCreate = (message: unknown): void => {
    const { request } = message as { request: UndiciRequest };
    const originText = typeof request.origin === 'string' ? request.origin : String(request.origin);
    let origin = this.origins.get(originText);
    if (origin === undefined) {
      let url: URL;
      try {
        url = new URL(originText);
      } catch {
        return;
      }
      const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
      const address = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      origin = this.origin(originText, address, port);
    }
    request[kClientState] = new ClientState(performance.now(), this.methods.indexOf(request.method), origin);
  };

  readonly onUndiciHeaders = (message: unknown): void => {
    const { request, response } = message as { request: WithState; response: { statusCode?: number } };
    const state = request[kClientState];
    if (state !== undefined) state.status = response.statusCode ?? 0;
  };

  readonly onUndiciTrailers = (message: unknown): void => {
    const { request } = message as { request: WithState };
    const state = request[kClientState];
    if (state === undefined || state.done) return;
    state.done = true;
    this.record(state, undefined);
  };

  readonly onUndiciError = (message: unknown): void => {
    const { request, error } = message as { request: WithState; error: unknown };
    const state = request[kClientState];
    if (state === undefined || state.done) return;
    state.done = true;
    this.record(state, errorTypeOf(error));
  };

  private origin(key: string, address: string, port: number): Origin {
    let origin = this.origins.get(key);
    if (origin === undefined) {
      origin = new Origin(address, port);
      if (this.origins.size < ORIGIN_CACHE_LIMIT) this.origins.set(key, origin);
    }
    return origin;
  }

  private record(state: ClientState, failure: string | undefined): void {
    const seconds = (performance.now() - state.start) / 1000;
    const { status, origin } = state;
    let series: AnyHistogramSeries | undefined;
    if (failure === undefined) {
      const key = (status * 4 + state.protocol) * this.methodCount + state.method;
      series = origin.byKey.get(key);
      if (series === undefined) {
        series = this.stream.resolve(this.attributes(state, undefined));
        if (this.cached < SERIES_CACHE_LIMIT) {
          origin.byKey.set(key, series);
          this.cached++;
        }
      }
    } else {
      const key = `${state.method}|${status}|${state.protocol}|${failure}`;
      series = origin.byError.get(key);
      if (series === undefined) {
        series = this.stream.resolve(this.attributes(state, failure));
        if (this.cached < SERIES_CACHE_LIMIT) {
          origin.byError.set(key, series);
          this.cached++;
        }
      }
    }
    series.record(seconds);
    if (state.span !== undefined) series.keep(exemplarOf(seconds, state.span));
  }

  private attributes(state: ClientState, failure: string | undefined): Attributes {
    const attrs: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: this.methods.names[state.method],
      [ATTR_SERVER_ADDRESS]: state.origin.address,
      [ATTR_SERVER_PORT]: state.origin.port,
    };
    if (state.status !== 0) attrs[ATTR_HTTP_RESPONSE_STATUS_CODE] = state.status;
    if (state.protocol !== PROTOCOL_UNKNOWN)
      attrs[ATTR_NETWORK_PROTOCOL_VERSION] = PROTOCOL_VERSIONS[state.protocol];
    const errorType = failure ?? (state.status >= 400 ? String(state.status) : undefined);
    if (errorType !== undefined) attrs[ATTR_ERROR_TYPE] = errorType;
    return attrs;
  }
}

/** The port in a Host header (`example.com:8080`, `[::1]:8080`), else the scheme's default. */
function portFromHost(host: unknown, fallback: number): number {
  if (typeof host !== 'string') return fallback;
  const colon = host.lastIndexOf(':');
  if (colon === -1 || host.indexOf(']', colon) !== -1) return fallback;
  const port = Number(host.slice(colon + 1));
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : fallback;
}
