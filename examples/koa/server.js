// Koa with @koa/router and metrics on their own port: `node examples/koa/server.js`
// (app on PORT, default 3000; metrics on OTEL_EXPORTER_PROMETHEUS_PORT, default 9464).
// Koa keeps the matched route on its context, out of node:http's reach: koaHttpRoute(), mounted before the
// routers, hands it over, so /users/42 is counted as /users/:id.
import Router from '@koa/router';
import Koa from 'koa';
import { initMeter, koaHttpRoute } from 'otel-metrics-bootstrap';

const telemetry = initMeter({ serviceName: 'koa-example' });

const router = new Router();
router.get('/users/:id', (ctx) => {
  ctx.body = { id: ctx.params.id };
});

const app = new Koa();
app.use(koaHttpRoute());
app.use(router.routes());

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', async () => {
  console.log(`app:     http://127.0.0.1:${server.address().port}/users/42`);
  await telemetry.ready.catch((err) => console.error(`metrics endpoint not started: ${err.message}`));
  console.log(`metrics: ${telemetry.metricsUrl}`);
});
process.once('SIGTERM', () => server.close(() => telemetry.shutdown()));
