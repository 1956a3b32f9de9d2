// Metrics on the Koa app's own port: `node examples/koa-metrics/server.js` (PORT=3000 by default).
// `ctx.respond = false` tells Koa that the handler writes the raw response itself.
import Koa from 'koa';
import { createMetricsHandler, initMeter } from 'otel-metrics-bootstrap';

const telemetry = initMeter({ serviceName: 'koa-example', prometheus: { listen: false } });
const greetings = telemetry.meter.createCounter('greetings', { description: 'Greetings sent' });
const metrics = createMetricsHandler(telemetry);

const app = new Koa();
app.use(async (ctx, next) => {
  if (ctx.path !== '/metrics') return next();
  ctx.respond = false;
  metrics(ctx.req, ctx.res);
});
app.use((ctx) => {
  greetings.add(1, { framework: 'koa' });
  ctx.body = 'hello\n';
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`koa example on http://127.0.0.1:${server.address().port} (metrics at /metrics)`);
});
process.once('SIGTERM', () => server.close(() => telemetry.shutdown()));
