// Express with metrics on their own port: `node examples/express/server.js`
// (app on PORT, default 3000; metrics on OTEL_EXPORTER_PROMETHEUS_PORT, default 9464).
// Express routes need nothing: http_route comes from req.route, so /users/42 is counted as /users/:id.
import express from 'express';
import { initMeter } from 'otel-metrics-bootstrap';

// Before the app starts serving: the HTTP metrics subscribe to node:http's diagnostics channels.
const telemetry = initMeter({ serviceName: 'express-example' });

const app = express();
app.get('/users/:id', (req, res) => res.json({ id: req.params.id }));

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', async () => {
  console.log(`app:     http://127.0.0.1:${server.address().port}/users/42`);
  await telemetry.ready.catch((err) => console.error(`metrics endpoint not started: ${err.message}`));
  console.log(`metrics: ${telemetry.metricsUrl}`);
});
process.once('SIGTERM', () => server.close(() => telemetry.shutdown()));
