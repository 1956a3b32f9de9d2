import type { IncomingMessage } from 'node:http';
import { diag } from '@opentelemetry/api';

/**
 * Where the server recorder keeps its per-request state: on the request (HTTP/1: the `IncomingMessage`) or on the
 * `ServerHttp2Stream` (an `Http2ServerRequest` reaches it through `.stream`). The symbol is registered globally,
 * so a second copy of the library still finds the state.
 */
export const kRequestState: unique symbol = Symbol.for('otel-metrics-bootstrap.http.request-state') as never;

/** The part of the request state that route resolution writes. */
export interface RouteSlot {
  route: string | undefined;
}

/** The state slot of a request (`IncomingMessage`, `Http2ServerRequest` or `ServerHttp2Stream`), if recorded. */
export function stateOf(req: object): RouteSlot | undefined {
  const own = (req as { [kRequestState]?: RouteSlot })[kRequestState];
  if (own !== undefined) return own;
  const stream = (req as { stream?: unknown }).stream;
  return stream !== null && typeof stream === 'object'
    ? (stream as { [kRequestState]?: RouteSlot })[kRequestState]
    : undefined;
}

let warnedBadTemplate = false;

/**
 * Sets the `http.route` attribute of the server request being handled, for frameworks the library does not
 * recognise (or to override what it found). Pass the route *template* (`/users/:id`), never the raw path: each
 * distinct value becomes a new series. It wins over every automatic source. A no-op for requests that are not
 * recorded (ignored, metrics off). Never throws.
 *
 * @param req the request: `IncomingMessage`, `Http2ServerRequest`, or a framework request wrapping one (`.raw`
 *   for Fastify, `ctx.req` for Koa).
 * @param template the low-cardinality route template.
 */
export function setHttpRoute(req: object, template: string): void {
  if (req === null || typeof req !== 'object') return;
  if (typeof template !== 'string') {
    if (!warnedBadTemplate) {
      warnedBadTemplate = true;
      diag.warn(`otel-metrics-bootstrap: setHttpRoute() needs a string template, got ${typeof template}`);
    }
    return;
  }
  const slot = stateOf(req) ?? stateOf((req as { raw?: object }).raw ?? {});
  if (slot) slot.route = template;
}

/** The part of a Koa context the middleware reads (no dependency on Koa's types). */
export interface KoaContextLike {
  readonly req: IncomingMessage;
  /** Set by `@koa/router` to the matched layer's path (with prefixes). */
  readonly _matchedRoute?: unknown;
}

/**
 * Koa middleware that reports `@koa/router`'s matched route as `http.route`. Koa keeps the route on its own
 * context, which is not reachable from the Node request the diagnostics channels see, so Koa needs this one
 * line: `app.use(koaHttpRoute())`, before the routers. Unmatched requests (404) get no route.
 */
export function koaHttpRoute(): (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void> {
  return async function httpRoute(ctx, next) {
    try {
      await next();
    } finally {
      const route = ctx._matchedRoute;
      if (typeof route === 'string') {
        const slot = stateOf(ctx.req);
        // A setHttpRoute() call in a handler wins over the router's template.
        if (slot && slot.route === undefined) slot.route = route;
      }
    }
  };
}

/** The part of Fastify's `tracing:fastify.request.handler:start` message used here. */
interface FastifyHandlerStart {
  readonly request?: { readonly raw?: object };
  readonly route?: { readonly url?: unknown };
}

/**
 * Subscriber for Fastify 5's `tracing:fastify.request.handler:start` channel: it carries the route template
 * (`route.url`, prefixes included, also for NestJS on Fastify). Fastify does not publish it for its 404
 * handler, so unmatched requests get no route.
 */
export function onFastifyHandlerStart(message: unknown): void {
  const { request, route } = message as FastifyHandlerStart;
  const raw = request?.raw;
  if (raw === undefined || typeof route?.url !== 'string') return;
  const slot = stateOf(raw);
  // An explicit setHttpRoute() in an onRequest hook wins.
  if (slot && slot.route === undefined) slot.route = route.url;
}
