// Fastify with metrics on their own port: `node examples/fastify/server.js`
// (app on PORT, default 3000; metrics on OTEL_EXPORTER_PROMETHEUS_PORT, default 9464).
// Fastify routes need nothing: its diagnostics channel names the route, so /users/42 is counted as /users/:id.
import Fastify from 'fastify';
import { initMeter } from 'otel-metrics-bootstrap';

const telemetry = initMeter({ serviceName: 'fastify-example' });

const app = Fastify();
app.get('/users/:id', async (request) => ({ id: request.params.id }));

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`app:     ${address}/users/42`);
await telemetry.ready.catch((err) => console.error(`metrics endpoint not started: ${err.message}`));
console.log(`metrics: ${telemetry.metricsUrl}`);
process.once('SIGTERM', () => app.close().then(() => telemetry.shutdown()));
