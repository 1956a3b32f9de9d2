// Export cost per interval for 10k series, per exporter: one forceFlush() (collect, encode, send to a local
// sink) on a provider with only that reader. Before each flush every series gets one more measurement, so delta
// exporters (StatsD) have a full interval to send; that cost is the same for all rows and shown alone first.
// OTLP is measured twice: through our push reader and as the upstream PeriodicExportingMetricReader +
// exporter alone, both http/protobuf to the same sink.
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { ExportAccounting } from '../dist/export/accounting.js';
import { consoleExporter } from '../dist/export/console.js';
import { otlpExporter } from '../dist/export/otlp.js';
import { PushReader } from '../dist/export/push-reader.js';
import { pushgatewayExporter } from '../dist/export/pushgateway.js';
import { statsdExporter } from '../dist/export/statsd.js';
import { environment, gc, median } from './util.js';

const SERIES = Number(process.env.BENCH_SERIES ?? '10000');
console.log(environment());

const http = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
http.listen(0, '127.0.0.1');
await once(http, 'listening');
const sink = `http://127.0.0.1:${http.address().port}`;
const udp = createSocket('udp4');
udp.on('message', () => {});
udp.bind(0, '127.0.0.1');
await once(udp, 'listening');

/** A provider with one reader and SERIES counter series (100 attribute sets × 100 names); `touch` adds 1 to each. */
function setup(reader) {
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('bench');
  const counters = Array.from({ length: SERIES / 100 }, (_, i) => meter.createCounter(`bench.counter.${i}`));
  const attrs = Array.from({ length: 100 }, (_, i) => ({ route: `/r/${i}`, method: 'GET', status: 200 }));
  const touch = () => {
    for (const c of counters) for (const a of attrs) c.add(1, a);
  };
  return { provider, touch };
}

const push = (exporter, temporality = 'cumulative') =>
  new PushReader(exporter, {
    intervalMs: 3_600_000,
    timeoutMs: 30_000,
    temporality,
    cardinalityLimit: 20_000,
    metricProducers: [],
    accounting: new ExportAccounting(),
  });

const contenders = {
  'measurements only (no reader work)': () => {
    const s = setup(push({ name: 'none', send: async () => {} }));
    return { ...s, flush: async () => {} };
  },
  'otlp http/protobuf (ours)': () =>
    setup(
      push(
        otlpExporter({
          endpoint: `${sink}/v1/metrics`,
          protocol: 'http/protobuf',
          headers: {},
          compression: 'none',
          intervalMs: 0,
          timeoutMs: 30_000,
          temporality: 'cumulative',
          tls: {},
        }),
      ),
    ),
  'otlp http/protobuf (upstream reader + exporter alone)': () =>
    setup(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${sink}/v1/metrics` }),
        exportIntervalMillis: 3_600_000,
      }),
    ),
  'pushgateway (text, gzip)': () =>
    setup(
      push(
        pushgatewayExporter({
          url: sink,
          job: 'bench',
          groupingKey: {},
          intervalMs: 0,
          timeoutMs: 30_000,
          auth: undefined,
          deleteOnShutdown: false,
          method: 'put',
        }),
      ),
    ),
  'statsd udp (delta, 1432-byte packets)': () =>
    setup(
      push(
        statsdExporter({
          host: '127.0.0.1',
          port: udp.address().port,
          socketPath: undefined,
          prefix: '',
          protocol: 'udp',
          tags: 'none',
          maxPacketBytes: 1432,
          intervalMs: 0,
        }),
        'delta',
      ),
    ),
  'statsd udp dogstatsd tags': () =>
    setup(
      push(
        statsdExporter({
          host: '127.0.0.1',
          port: udp.address().port,
          socketPath: undefined,
          prefix: '',
          protocol: 'udp',
          tags: 'dogstatsd',
          maxPacketBytes: 1432,
          intervalMs: 0,
        }),
        'delta',
      ),
    ),
  'console (records to a function)': () => setup(push(consoleExporter({ write: () => {}, intervalMs: 0 }))),
};

console.log(`${SERIES} series; median of 10 intervals after 3 warm-up ones`);
console.log('exporter | ms per interval | vs upstream OTLP alone');
const results = {};
for (const [name, make] of Object.entries(contenders)) {
  const c = make();
  const flush = c.flush ?? (() => c.provider.forceFlush());
  gc();
  results[name] = await median(async () => {
    c.touch();
    await flush();
  });
  await c.provider.shutdown();
}
const upstream = results['otlp http/protobuf (upstream reader + exporter alone)'];
for (const [name, ms] of Object.entries(results)) {
  console.log(`${name} | ${ms.toFixed(1)} | ${(ms / upstream).toFixed(2)}×`);
}
http.close();
udp.close();
