// The incident-management service of the users' Rust guide, in Node: `node examples/incidents/server.js`
// (API on PORT, default 3000: POST /v1/incidents, POST /v1/incidents/:id/resolve, GET /v1/incidents; metrics on a
// free port). `--demo` creates and resolves a few incidents through the API, prints a scrape excerpt and exits.
// LLM triage goes to a fake LLM API on localhost (../llm-app/fake-llm.js), so it runs offline.
import { createServer } from 'node:http';
import { createLlmMetrics, initMeter, setHttpRoute } from 'otel-metrics-bootstrap';
import { startFakeLlm } from '../llm-app/fake-llm.js';
import { createIncidentMetrics } from './metrics.js';
import { IncidentService } from './service.js';

const demo = process.argv.includes('--demo');
const telemetry = initMeter({
  serviceName: 'incident-service',
  prometheus: { port: Number(process.env.METRICS_PORT ?? 0), host: '127.0.0.1' },
  runtime: false,
  host: false,
});
const llmApi = await startFakeLlm();
const service = new IncidentService({
  metrics: createIncidentMetrics(telemetry.instruments),
  llm: createLlmMetrics({ provider: 'openai', serverAddress: '127.0.0.1', serverPort: llmApi.port }),
  llmUrl: llmApi.url,
});

async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return JSON.parse(body || '{}');
}

const server = createServer(async (req, res) => {
  const send = (status, value) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const resolve = /^\/v1\/incidents\/([^/]+)\/resolve$/.exec(req.url ?? '');
  if (req.method === 'POST' && req.url === '/v1/incidents') {
    setHttpRoute(req, '/v1/incidents');
    send(201, await service.create(await readJson(req)));
  } else if (req.method === 'POST' && resolve) {
    setHttpRoute(req, '/v1/incidents/:id/resolve');
    const incident = service.resolve(resolve[1]);
    send(incident ? 200 : 404, incident ?? { error: 'no open incident with that id' });
  } else if (req.method === 'GET' && req.url === '/v1/incidents') {
    setHttpRoute(req, '/v1/incidents');
    send(200, [...service.incidents.values()]);
  } else send(404, { error: 'not found' });
});
await new Promise((resolve) =>
  server.listen(demo ? 0 : Number(process.env.PORT ?? 3000), '127.0.0.1', resolve),
);
const base = `http://127.0.0.1:${server.address().port}`;
await telemetry.ready;

if (!demo) {
  console.log(`incidents: ${base}/v1/incidents\nmetrics:   ${telemetry.metricsUrl}`);
  process.once('SIGTERM', () => server.close(() => Promise.all([llmApi.close(), telemetry.shutdown()])));
} else {
  const post = async (path, body) =>
    (
      await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      })
    ).json();
  const a = await post('/v1/incidents', {
    title: 'payments API down',
    source: 'alertmanager',
    category: 'availability',
  });
  await post('/v1/incidents', {
    title: 'payments API down',
    source: 'alertmanager',
    category: 'availability',
  }); // duplicate
  const b = await post('/v1/incidents', {
    title: 'checkout 5xx error rate above 5%',
    source: 'alertmanager',
    category: 'errors',
  });
  await post('/v1/incidents', {
    title: 'disk 80% full on batch-3',
    source: 'node-exporter',
    category: 'capacity',
  });
  await post(`/v1/incidents/${a.id}/resolve`);
  await post(`/v1/incidents/${b.id}/resolve`);
  console.log(
    `created 3 incidents (${a.severity}, ${b.severity}, …), 1 duplicate folded, 2 resolved. Scrape excerpt:`,
  );
  const scrape = await (await fetch(telemetry.metricsUrl)).text();
  for (const line of scrape.split('\n'))
    if (
      /^(incidents_\w+|incident_resolution_duration_seconds_count|gen_ai_client_operation_duration_seconds_count)\{/.test(
        line,
      )
    )
      console.log(`  ${line.replace(/otel_scope_name="[^"]*",?/, '')}`);
  server.close();
  await llmApi.close();
  await telemetry.shutdown();
}
