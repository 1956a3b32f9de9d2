// The text side of issue 18 against the real Prometheus server (Debian 2.42, exemplar storage on): it scrapes an
// endpoint that records into an exponential histogram, an explicit one and a counter, with exemplars on the
// points, under the UTF-8 translation strategy. Prometheus 2 negotiates OpenMetrics 1.0.0 without `escaping=`,
// so it must get underscore-escaped names, the exponential histogram as classic buckets, `_created` and the
// exemplars, and store them all.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXEMPLARS, type Exemplar } from '../../src/exemplars.js';
import type { ListeningServer } from '../../src/prometheus/server.js';
import { freePort, startProcess, waitFor } from '../processes.js';
import { startEndpoint, TestReader } from '../prometheus/support.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const VALUES = Array.from({ length: 500 }, (_, i) => 0.001 * 1.02 ** i);

let prometheus: ChildProcess | undefined;
let server: ListeningServer | undefined;
let provider: MeterProvider | undefined;
let dir = '';
let api = '';
let url = '';
const accepts: string[] = [];

async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${api}/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data.result;
}

beforeAll(async () => {
  const reader = new TestReader();
  provider = new MeterProvider({
    readers: [reader],
    resource: resourceFromAttributes({ 'service.name': 'checkout' }),
    views: [{ instrumentName: 'exp.latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('e2e');
  const exp = meter.createHistogram('exp.latency', { unit: 's' });
  const classic = meter.createHistogram('classic.latency', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.01, 0.1, 1] },
  });
  for (const v of VALUES) {
    exp.record(v, { 'http.route': '/pay' });
    classic.record(v, { 'http.route': '/pay' });
  }
  meter.createCounter('jobs.done').add(3);
  // The series this library aggregates itself put exemplars on their points; here they are put on by hand.
  const source = {
    async collect() {
      const result = await reader.collect();
      for (const scope of result.resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          for (const point of metric.dataPoints) {
            const exemplar: Exemplar = { value: 0.05, timestamp: Date.now(), traceId: TRACE, spanId: SPAN };
            Object.assign(point, { [EXEMPLARS]: [exemplar] });
          }
        }
      }
      return result;
    },
  };
  const started = await startEndpoint(source, {
    translationStrategy: 'NoUTF8EscapingWithSuffixes',
    resourceConstantLabels: { include: ['service.name'] },
  });
  server = started.server;
  url = started.url;
  // Record what the real scraper asks for.
  server.server.prependListener('request', (req) => accepts.push(String(req.headers.accept)));

  dir = mkdtempSync(join(tmpdir(), 'omb-text-prom-'));
  const target = new URL(started.url);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: app\n    static_configs: [{ targets: ['${target.host}'] }]\n`,
  );
  const port = await freePort();
  const prom = await startProcess(
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=exemplar-storage',
    ],
    [/(Server is ready to receive web requests)/],
    { command: 'prometheus' },
  );
  prometheus = prom.child;
  api = `http://127.0.0.1:${port}/api/v1`;
  await waitFor(
    'two scrapes',
    async () => ((await query('count_over_time(up[1m]) >= 2')).length > 0 ? true : undefined),
    45_000,
  );
}, 90_000);

afterAll(async () => {
  prometheus?.kill('SIGKILL');
  await server?.close();
  await provider?.shutdown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus 2.42 scraping the text formats', () => {
  it('asks as the negotiation table says, and is told OpenMetrics 1.0.0 without escaping', async () => {
    expect(accepts[0]).toBe(
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    );
    const res = await fetch(url, { headers: { accept: accepts[0]! } });
    expect(res.headers.get('content-type')).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    const [up] = await query('up');
    expect(up?.value[1]).toBe('1');
  });

  it('stores the exponential histogram as classic buckets with exact count and sum, under escaped names', async () => {
    const [count] = await query('exp_latency_seconds_count');
    expect(count?.metric).toMatchObject({ http_route: '/pay', service_name: 'checkout' });
    expect(Number(count?.value[1])).toBe(VALUES.length);
    const [sum] = await query('exp_latency_seconds_sum');
    expect(Number(sum?.value[1])).toBeCloseTo(
      VALUES.reduce((a, b) => a + b, 0),
      9,
    );
    // The quantile from classic buckets lands within one bucket (√2 at scale 1, 2^(1/8) at most) of the truth.
    const [q] = await query('histogram_quantile(0.9, exp_latency_seconds_bucket)');
    const truth = [...VALUES].sort((a, b) => a - b)[Math.ceil(0.9 * VALUES.length) - 1]!;
    expect(Number(q?.value[1]) / truth).toBeGreaterThan(1 / Math.SQRT2);
    expect(Number(q?.value[1]) / truth).toBeLessThan(Math.SQRT2);
  });

  it('stores _created from the start time, and the exemplars on the buckets that hold them', async () => {
    const [created] = await query('jobs_done_created');
    expect(Number(created?.value[1])).toBeGreaterThan(Date.now() / 1000 - 120);
    const end = Math.ceil(Date.now() / 1000);
    const res = await fetch(
      `${api}/query_exemplars?query=${encodeURIComponent('classic_latency_seconds_bucket')}&start=${end - 120}&end=${end}`,
    );
    const { data } = (await res.json()) as {
      data: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string> }[] }[];
    };
    expect(data.map((d) => d.seriesLabels['le'])).toEqual(['0.1']);
    expect(data[0]?.exemplars[0]?.labels).toEqual({ trace_id: TRACE, span_id: SPAN });
  });
});
