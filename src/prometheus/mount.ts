import { diag } from '@opentelemetry/api';
import { state } from '../global-state.js';
import type { MetricsHandle } from '../init.js';
import { type TextReply, textReply } from './endpoint-core.js';
import { type FetchHandler, serveFetch, toResponse } from './fetch.js';
import type { MetricsEndpoint, MetricsRequestHandler } from './handler.js';

// The metrics endpoint behind each handle; not part of the public handle.
const ENDPOINTS = new WeakMap<MetricsHandle, MetricsEndpoint>();

/** Makes `endpoint` the one `createMetricsHandler(handle)` serves. */
export function attachEndpoint(handle: MetricsHandle, endpoint: MetricsEndpoint): void {
  ENDPOINTS.set(handle, endpoint);
}

/**
 * A `(req, res)` handler serving the metrics of `initMeter()` from your application's own server, with the
 * same negotiation, compression, auth, limits and self-metrics as the built-in endpoint. It answers whatever
 * path it is mounted on (your router decides); health paths are not served through it.
 *
 * `telemetry` defaults to the handle of the current `initMeter()`, looked up on each request, so the handler can
 * be created before `initMeter()` runs. Until there is one with the Prometheus exporter enabled, it answers
 * 503. Pair it with `prometheus: { listen: false }` to serve metrics only on the app's port.
 *
 * ```ts
 * app.get('/metrics', createMetricsHandler());                                          // Express
 * fastify.get('/metrics', (req, reply) => { reply.hijack(); handler(req.raw, reply.raw); }); // Fastify
 * app.use((ctx, next) => ctx.path === '/metrics' ? (ctx.respond = false, handler(ctx.req, ctx.res)) : next()); // Koa
 * ```
 */
export function createMetricsHandler(telemetry?: MetricsHandle): MetricsRequestHandler {
  const missing = notInitialised('createMetricsHandler()');
  return (req, res) => {
    const endpoint = endpointOf(telemetry);
    if (endpoint) {
      endpoint.serveMetrics(req, res);
      return;
    }
    const reply = missing();
    res.statusCode = reply.status;
    for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
    res.end(reply.text);
  };
}

/**
 * A web-standard handler, `(request: Request) => Promise<Response>`, serving the metrics of `initMeter()` to
 * servers that speak Fetch: Next.js route handlers, Hono, `Bun.serve({ fetch })`, `Deno.serve()`. It makes the
 * same decisions as the built-in endpoint (same code): content negotiation from `Accept`, gzip/deflate from
 * `Accept-Encoding` (`prometheus.compression`), bearer/basic auth (`prometheus.authToken`, `basicAuth`), the
 * rate limit, `maxConcurrentScrapes`, request coalescing and `cacheTtl`, `scrapeTimeout`, `maxResponseBytes`,
 * `sendTimeout`, and the `omb_scrape_*` self-metrics. The body is a `ReadableStream` of the
 * exposition's chunks. It answers whatever path it is mounted on (your router decides) and 405 to methods other
 * than GET and HEAD; health paths and the live page are not served through it. The returned promise never
 * rejects.
 *
 * `telemetry` defaults to the handle of the current `initMeter()`, looked up on each request, so the handler can
 * be created before `initMeter()` runs; until there is one with the Prometheus exporter enabled it answers 503.
 * Pair it with `prometheus: { listen: false }` to serve metrics only on the app's port.
 *
 * ```ts
 * export const GET = createFetchHandler();                            // Next.js: app/metrics/route.ts
 * app.get('/metrics', (c) => handler(c.req.raw));                      // Hono
 * Bun.serve({ fetch: (req) => new URL(req.url).pathname === '/metrics' ? handler(req) : app(req) });
 * ```
 */
export function createFetchHandler(telemetry?: MetricsHandle): FetchHandler {
  const missing = notInitialised('createFetchHandler()');
  return async (request) => {
    const endpoint = endpointOf(telemetry);
    if (endpoint) return serveFetch(endpoint.core, request);
    return toResponse(missing(), false, 0);
  };
}

function endpointOf(telemetry: MetricsHandle | undefined): MetricsEndpoint | undefined {
  const handle = telemetry ?? state.init?.handle;
  return handle ? ENDPOINTS.get(handle) : undefined;
}

/** The 503 a handler answers before `initMeter()` set up the exporter, warning once per handler. */
function notInitialised(name: string): () => TextReply {
  let warned = false;
  return () => {
    if (!warned) {
      warned = true;
      diag.warn(
        `otel-metrics-bootstrap: ${name} was asked for metrics before initMeter() ` +
          'set up the Prometheus exporter; answering 503',
      );
    }
    return textReply(503, 'metrics not initialised: call initMeter() with the prometheus exporter enabled\n');
  };
}
