import { diag } from '@opentelemetry/api';
import { state } from '../global-state.js';
import type { MetricsHandle } from '../init.js';
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
  let warned = false;
  return (req, res) => {
    const handle = telemetry ?? state.init?.handle;
    const endpoint = handle ? ENDPOINTS.get(handle) : undefined;
    if (endpoint) {
      endpoint.serveMetrics(req, res);
      return;
    }
    if (!warned) {
      warned = true;
      diag.warn(
        'otel-metrics-bootstrap: createMetricsHandler() was asked for metrics before initMeter() ' +
          'set up the Prometheus exporter; answering 503',
      );
    }
    res.statusCode = 503;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end('metrics not initialised: call initMeter() with the prometheus exporter enabled\n');
  };
}
