// A node:cluster service with one metrics endpoint: `node examples/cluster/server.js`
// (app on PORT, default 3000, served by WORKERS workers, default 4; metrics on OTEL_EXPORTER_PROMETHEUS_PORT,
// default 9464, served by the primary). The same initMeter() call runs in the primary and in every worker: the
// workers bind no metrics port, the primary asks them for their data on each scrape and serves it with a
// `worker` label ("1"…"4", kept by a replacement worker; "primary" for its own runtime metrics).
// The same works with no code at all: `OMB_CLUSTER=true node --import otel-metrics-bootstrap/register app.js`.
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { initMeter } from 'otel-metrics-bootstrap';

const telemetry = initMeter({
  serviceName: 'cluster-example',
  cluster: true,
  http: { routes: ['/users/:id'] },
});

if (cluster.isPrimary) {
  const workers = Number(process.env.WORKERS ?? 4);
  for (let i = 0; i < workers; i++) cluster.fork();
  // A worker that dies is replaced; its replacement serves under the same `worker` label.
  cluster.on('exit', (worker, code, signal) => {
    if (worker.exitedAfterDisconnect) return;
    console.log(`worker ${worker.process.pid} died (${signal ?? code}); starting another`);
    cluster.fork();
  });
  // Announced once every worker listens, so the first requests are spread over all of them (a replacement
  // worker's 'listening' comes later and announces nothing).
  let listening = 0;
  cluster.on('listening', async (_worker, address) => {
    if (++listening !== workers) return;
    console.log(`app:     http://127.0.0.1:${address.port}/users/42`);
    await telemetry.ready.catch((err) => console.error(`metrics endpoint not started: ${err.message}`));
    console.log(`metrics: ${telemetry.metricsUrl}`);
  });
  process.once('SIGTERM', () => {
    cluster.disconnect();
    telemetry.shutdown();
  });
} else {
  createServer((req, res) => {
    const user = /^\/users\/([^/]+)$/.exec(req.url ?? '');
    if (user) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: user[1] }));
    else res.writeHead(404).end('not found');
  }).listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
}
