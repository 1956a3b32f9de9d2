// Metrics on the Express app's own port: `node examples/express-metrics/server.js` (PORT=3000 by default).
// `prometheus.listen: false` starts no separate metrics server; the handler gets the same negotiation, gzip,
// auth (try OMB_PROMETHEUS_AUTH_TOKEN=secret) and limits as the built-in endpoint.
import express from 'express';
import { createMetricsHandler, initMeter } from 'otel-metrics-bootstrap';

const telemetry = initMeter({ serviceName: 'express-example', prometheus: { listen: false } });
const greetings = telemetry.meter.createCounter('greetings', { description: 'Greetings sent' });

const app = express();
// `all`, not `get`: the handler itself answers GET and HEAD, and 405 with `Allow` to anything else.
app.all('/metrics', createMetricsHandler(telemetry));
app.get('/', (_req, res) => {
  greetings.add(1, { framework: 'express' });
  res.send('hello\n');
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`express example on http://127.0.0.1:${server.address().port} (metrics at /metrics)`);
});
process.once('SIGTERM', () => server.close(() => telemetry.shutdown()));
