// Metrics on the Fastify app's own port: `node examples/fastify-metrics/server.js` (PORT=3000 by default).
// `reply.hijack()` hands the raw response to the handler, so Fastify does not send a reply of its own.
import Fastify from 'fastify';
import { createMetricsHandler, initMeter } from 'otel-metrics-bootstrap';

const telemetry = initMeter({ serviceName: 'fastify-example', prometheus: { listen: false } });
const greetings = telemetry.meter.createCounter('greetings', { description: 'Greetings sent' });
const metrics = createMetricsHandler(telemetry);

const app = Fastify();
// HEAD comes with GET (exposeHeadRoutes); other methods are answered by the handler itself with 405.
app.route({
  method: ['GET', 'POST', 'PUT', 'DELETE'],
  url: '/metrics',
  handler: (request, reply) => {
    reply.hijack();
    metrics(request.raw, reply.raw);
  },
});
app.get('/', async () => {
  greetings.add(1, { framework: 'fastify' });
  return 'hello\n';
});

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`fastify example on ${address} (metrics at /metrics)`);
process.once('SIGTERM', () => app.close().then(() => telemetry.shutdown()));
