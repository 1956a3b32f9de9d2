// A plain node:http service (CommonJS): `node examples/plain-http-cjs/server.cjs`
// (app on PORT, default 3000; metrics on OTEL_EXPORTER_PROMETHEUS_PORT, default 9464).
// The package is ES modules only; require() loads it on Node >= 22.12, where require(esm) needs no flag.
const { createServer } = require('node:http');
const { initMeter } = require('otel-metrics-bootstrap');

const telemetry = initMeter({ serviceName: 'plain-http-cjs', http: { routes: ['/users/:id'] } });

const server = createServer((req, res) => {
  const user = /^\/users\/([^/]+)$/.exec(req.url ?? '');
  if (user) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: user[1] }));
  else res.writeHead(404).end('not found');
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', async () => {
  console.log(`app:     http://127.0.0.1:${server.address().port}/users/42`);
  await telemetry.ready.catch((err) => console.error(`metrics endpoint not started: ${err.message}`));
  console.log(`metrics: ${telemetry.metricsUrl}`);
});
process.once('SIGTERM', () => server.close(() => telemetry.shutdown()));
