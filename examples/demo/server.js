// The demo: a small node:http service with metrics on http://127.0.0.1:9464/metrics and the live page on
// http://127.0.0.1:9464/.
// Run it with `npm run demo`; it sends itself a little traffic and runs until Ctrl-C.
import { createServer } from 'node:http';
import { initMeter } from 'otel-metrics-bootstrap';

const appPort = Number(process.env.DEMO_PORT ?? 8080);
// 0.0.0.0 in a container, so the app port is reachable from outside it.
const appHost = process.env.DEMO_HOST ?? '127.0.0.1';

const telemetry = initMeter({
  serviceName: 'demo-shop',
  serviceVersion: '1.0.0',
  // 127.0.0.1 so the demo matches the README; in a container set OTEL_EXPORTER_PROMETHEUS_HOST=0.0.0.0
  // (docker-compose.yml does). OTEL_EXPORTER_PROMETHEUS_PORT picks the port.
  prometheus: { host: process.env.OTEL_EXPORTER_PROMETHEUS_HOST ?? '127.0.0.1' },
  // A plain node:http app has no router to name its routes: this table gives http.route its templates
  // (Express, Fastify and NestJS need nothing; Koa needs app.use(koaHttpRoute())).
  http: { routes: ['/users/:id', '/checkout'] },
  // users.lookups carries the user id, so it grows without bound; its low limit shows what the live page's
  // cardinality view does with a metric that is exploding (one overflow series instead of unbounded memory).
  cardinalityLimits: { 'users.lookups': 20 },
});

// Business metrics: the unit decides the Prometheus suffix (`s` → _seconds, `{order}` → none, _total on counters).
const ordersPlaced = telemetry.meter.createCounter('orders.placed', {
  unit: '{order}',
  description: 'Orders placed, by payment method',
});
const checkoutDuration = telemetry.meter.createHistogram('checkout.duration', {
  unit: 's',
  description: 'Time to complete a checkout',
});

const userLookups = telemetry.meter.createCounter('users.lookups', {
  unit: '{lookup}',
  description: 'User profile lookups, by user id (a deliberate cardinality mistake)',
});

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://demo');
  if (req.method === 'POST' && url.pathname === '/checkout') {
    const started = performance.now();
    const method = Math.random() < 0.7 ? 'card' : 'paypal';
    // Simulated work of 5–120 ms.
    setTimeout(
      () => {
        ordersPlaced.add(1, { 'payment.method': method });
        checkoutDuration.record((performance.now() - started) / 1000, { 'payment.method': method });
        send(res, 201, '{"ok":true}');
      },
      5 + Math.random() * 115,
    );
    return;
  }
  const user = /^\/users\/(\d+)$/.exec(url.pathname);
  if (req.method === 'GET' && user) {
    userLookups.add(1, { 'user.id': user[1] });
    send(res, 200, JSON.stringify({ id: Number(user[1]) }));
    return;
  }
  send(res, 404, '{"error":"not found"}');
});

// writeHead() with a header object commits the headers before the body is known, so Node would send the body
// chunked and http.server.response.body.size could not be recorded; saying the length keeps it measurable.
function send(res, status, json) {
  res
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) })
    .end(json);
}

// A little traffic to itself so the endpoint has something to show.
function generateTraffic(base) {
  const paths = [
    ['POST', '/checkout'],
    ['GET', `/users/${1 + Math.floor(Math.random() * 100)}`],
    ['GET', '/nope'],
  ];
  const [method, path] = paths[Math.floor(Math.random() * paths.length)];
  const body = method === 'POST' ? JSON.stringify({ items: Math.ceil(Math.random() * 5) }) : undefined;
  fetch(new URL(path, base), {
    method,
    body,
    headers: body ? { 'content-type': 'application/json' } : {},
  }).then(
    (r) => r.arrayBuffer(),
    () => {},
  );
}

server.listen(appPort, appHost, async () => {
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    await telemetry.ready;
  } catch (err) {
    console.error(`metrics endpoint not started: ${err.message}`);
  }
  console.log(`demo app:     ${base}/users/42  (POST ${base}/checkout)`);
  console.log(`metrics:      ${telemetry.metricsUrl}`);
  // The live page is on because the endpoint is on loopback (prometheus.ui).
  if (telemetry.metricsUrl) console.log(`live page:    ${new URL('/', telemetry.metricsUrl)}`);
  console.log('Ctrl-C to stop.');
  const timer = setInterval(() => generateTraffic(base), 200);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      clearInterval(timer);
      server.close();
      await telemetry.shutdown();
      process.exit(0);
    });
  }
});
