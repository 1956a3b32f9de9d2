// Hono with metrics on the app's own port: `node examples/hono/server.js` (PORT=3000 by default).
// `createFetchHandler()` is a web-standard `(request: Request) => Promise<Response>`: the same handler serves a
// Next.js route handler, `Bun.serve({ fetch })` or `Deno.serve()`. It has the built-in endpoint's negotiation,
// gzip, auth (try OMB_PROMETHEUS_AUTH_TOKEN=secret) and limits. Once listening, the example scrapes itself
// once, as Prometheus would, and prints the start of what it got.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createFetchHandler, initMeter } from 'otel-metrics-bootstrap';

const telemetry = initMeter({
  serviceName: 'hono-example',
  prometheus: { listen: false },
  // The scrapes reach Hono through node:http like any route; they are not the app's traffic.
  http: { ignore: ['/metrics'] },
});
const greetings = telemetry.meter.createCounter('greetings', { description: 'Greetings sent' });
const metrics = createFetchHandler(telemetry);

const app = new Hono();
// `all`, not `get`: the handler itself answers GET and HEAD, and 405 with `Allow` to anything else.
app.all('/metrics', (c) => metrics(c.req.raw));
app.get('/', (c) => {
  greetings.add(1, { framework: 'hono' });
  return c.text('hello\n');
});

const server = serve(
  { fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' },
  async ({ port }) => {
    const base = `http://127.0.0.1:${port}`;
    const token = process.env.OMB_PROMETHEUS_AUTH_TOKEN;
    const res = await fetch(`${base}/metrics`, {
      headers: {
        accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    });
    const lines = (await res.text()).split('\n');
    console.log(
      `scrape: ${res.status} ${res.headers.get('content-type')}, ${lines.length} lines; first ones:`,
    );
    console.log(lines.slice(0, 6).join('\n'));
    console.log(`hono example on ${base} (metrics at /metrics)`);
  },
);
process.once('SIGTERM', () => server.close(() => telemetry.shutdown()));
