/**
 * The series mix every Prometheus benchmark here uses (ARCHITECTURE.md §4 anchors): of N series, half are
 * counter series, a quarter gauge series and a quarter 11-bucket histogram series, each with 3 attributes,
 * spread over instruments of SERIES_PER_INSTRUMENT series each. The same data is built for the OTel SDK and for
 * prom-client so the outputs are equivalent.
 */
export const SERIES_PER_INSTRUMENT = 250;
export const BOUNDARIES = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function plan(n) {
  const per = Math.min(SERIES_PER_INSTRUMENT, Math.max(1, Math.floor(n / 4)));
  return { counters: n / 2 / per, gauges: n / 4 / per, histograms: n / 4 / per, per };
}

function attrs(i) {
  return { region: `region-${i % 5}`, shard: `shard-${i}`, kind: i % 2 === 0 ? 'read' : 'write' };
}

/**
 * Records N series on an OTel meter (one scope). Returns `record()`, which records into every series again
 * (fresh attribute objects, as an application's calls make them): what a busy application does between scrapes.
 */
export function populateOtel(meter, n) {
  const p = plan(n);
  const counters = [];
  const gauges = [];
  const histograms = [];
  for (let c = 0; c < p.counters; c++) {
    counters.push(
      meter.createCounter(`bench.requests.${c}`, { description: 'Requests handled', unit: '{request}' }),
    );
  }
  for (let g = 0; g < p.gauges; g++) {
    gauges.push(meter.createGauge(`bench.queue.depth.${g}`, { description: 'Queue depth', unit: '{item}' }));
  }
  for (let h = 0; h < p.histograms; h++) {
    histograms.push(
      meter.createHistogram(`bench.latency.${h}`, {
        description: 'Latency',
        unit: 's',
        advice: { explicitBucketBoundaries: BOUNDARIES },
      }),
    );
  }
  const record = () => {
    for (const counter of counters) for (let i = 0; i < p.per; i++) counter.add(i + 1, attrs(i));
    for (const gauge of gauges) for (let i = 0; i < p.per; i++) gauge.record(i * 0.5, attrs(i));
    for (const hist of histograms) {
      for (let i = 0; i < p.per; i++) {
        const a = attrs(i);
        hist.record(0.003 * (i % 7), a);
        hist.record(0.2 + (i % 3), a);
      }
    }
  };
  record();
  return record;
}

/** The same N series on a prom-client registry, named as our serializer names them. */
export function populatePromClient(client, registry, n) {
  const p = plan(n);
  const labelNames = ['region', 'shard', 'kind'];
  for (let c = 0; c < p.counters; c++) {
    const counter = new client.Counter({
      name: `bench_requests_${c}_total`,
      help: 'Requests handled',
      labelNames,
      registers: [registry],
    });
    for (let i = 0; i < p.per; i++) counter.inc(attrs(i), i + 1);
  }
  for (let g = 0; g < p.gauges; g++) {
    const gauge = new client.Gauge({
      name: `bench_queue_depth_${g}`,
      help: 'Queue depth',
      labelNames,
      registers: [registry],
    });
    for (let i = 0; i < p.per; i++) gauge.set(attrs(i), i * 0.5);
  }
  for (let h = 0; h < p.histograms; h++) {
    const hist = new client.Histogram({
      name: `bench_latency_${h}_seconds`,
      help: 'Latency',
      labelNames,
      buckets: BOUNDARIES,
      registers: [registry],
    });
    for (let i = 0; i < p.per; i++) {
      const a = attrs(i);
      hist.observe(a, 0.003 * (i % 7));
      hist.observe(a, 0.2 + (i % 3));
    }
  }
}

/** Our `MetricsEndpoint` (not listening) over N fixture series, default options overridden by `options`. */
async function ourMetricsEndpoint(n, options) {
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
  const { DEFAULTS } = await import('../dist/config.js');
  const { MetricsEndpoint } = await import('../dist/prometheus/handler.js');
  const { PrometheusReader } = await import('../dist/prometheus/reader.js');
  const reader = new PrometheusReader({ cardinalityLimit: 2000 });
  const provider = new MeterProvider({ readers: [reader] });
  const record = populateOtel(provider.getMeter('bench'), n);
  const endpoint = new MetricsEndpoint(reader, {
    ...DEFAULTS.prometheus,
    authToken: undefined,
    basicAuth: undefined,
    ...options,
  });
  return { reader, provider, record, endpoint };
}

/**
 * Our endpoint over N fixture series, listening on a free loopback port, with the default endpoint options
 * overridden by `options`: the reader (to time `collect()` alone), the node:http server, the scrape URL,
 * `close()`, and `record()` (see `populateOtel`).
 */
export async function ourEndpoint(n, options = {}) {
  const { listen } = await import('../dist/prometheus/server.js');
  const { reader, provider, record, endpoint } = await ourMetricsEndpoint(n, options);
  const server = await listen(endpoint.handle, { host: '127.0.0.1', port: 0, path: '/metrics' });
  return {
    reader,
    record,
    server: server.server,
    url: server.url,
    async close() {
      await server.close();
      await provider.shutdown();
    },
  };
}

/**
 * Our endpoint over N fixture series through `createFetchHandler()`'s code, served by `@hono/node-server` (a
 * Fetch server on node:http, as Hono on Node runs): the reader, the scrape URL, `record()` and `close()`.
 */
export async function ourFetchEndpoint(n, options = {}) {
  const { serve } = await import('@hono/node-server');
  const { serveFetch } = await import('../dist/prometheus/fetch.js');
  const { reader, provider, record, endpoint } = await ourMetricsEndpoint(n, options);
  const server = await new Promise((resolve) => {
    const s = serve(
      { fetch: (request) => serveFetch(endpoint.core, request), port: 0, hostname: '127.0.0.1' },
      () => resolve(s),
    );
  });
  return {
    reader,
    record,
    url: `http://127.0.0.1:${server.address().port}/metrics`,
    async close() {
      await new Promise((r) => server.close(r));
      await provider.shutdown();
    },
  };
}

/** The upstream exporter with its own server over N fixture series: the exporter, the scrape URL, `record()` and `close()`. */
export async function upstreamEndpoint(n) {
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
  const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
  const exporter = new PrometheusExporter({ port: 0, host: '127.0.0.1' });
  const provider = new MeterProvider({ readers: [exporter] });
  const record = populateOtel(provider.getMeter('bench'), n);
  await exporter.startServer();
  return {
    exporter,
    record,
    url: `http://127.0.0.1:${exporter._server.address().port}/metrics`,
    close: () => provider.shutdown(),
  };
}
