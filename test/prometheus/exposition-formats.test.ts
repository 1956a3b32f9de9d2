import type { Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationType,
  type DataPoint,
  type ExponentialHistogram,
  MeterProvider,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { EXEMPLARS, type Exemplar } from '../../src/exemplars.js';
import { createInstruments } from '../../src/instruments/instruments.js';
import { MAX_CLASSIC_BUCKETS } from '../../src/prometheus/classic-buckets.js';
import type { EscapingScheme, TranslationStrategy } from '../../src/prometheus/naming.js';
import {
  type ExpositionFormat,
  PrometheusSerializer,
  type SerializerOptions,
} from '../../src/prometheus/serializer.js';
import { createTestMeter, expectExposition, parseExposition } from '../../src/testing/index.js';
import { promtoolCheck, referenceParse } from '../helpers.js';
import { TestReader } from './support.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const START_MS = 1_764_650_000_000;

async function collect(
  setup: (provider: MeterProvider) => void,
  options: { resource?: Attributes; exponential?: string } = {},
): Promise<ResourceMetrics> {
  const reader = new TestReader();
  const provider = new MeterProvider({
    readers: [reader],
    resource: resourceFromAttributes(options.resource ?? { 'service.name': 'shop' }),
    views: options.exponential
      ? [
          {
            instrumentName: options.exponential,
            aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } },
          },
        ]
      : [],
  });
  setup(provider);
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics;
}

/** The collected metric named `name` (its points can be given exemplars, as the library's own series do). */
function metricOf(rm: ResourceMetrics, name: string): MetricData {
  const found = rm.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  if (found === undefined) throw new Error(`no metric ${name}`);
  return found;
}

function exemplar(value: number, i = 0): Exemplar {
  return { value, timestamp: START_MS + 1500 + i, traceId: TRACE, spanId: SPAN };
}

/** Checks `text` with promtool (text formats) or the reference parser, and always with our own parser. */
async function valid(text: string, format: ExpositionFormat): Promise<void> {
  if (format === 'text') await promtoolCheck(text);
  await referenceParse(text, format);
  parseExposition(text);
}

describe('OpenMetrics exemplars and _created', () => {
  async function shop() {
    const rm = await collect((p) => {
      const meter = p.getMeter('shop');
      const h = meter.createHistogram('checkout.duration', {
        unit: 's',
        advice: { explicitBucketBoundaries: [0.1, 0.5, 1] },
      });
      for (const v of [0.05, 0.3, 0.7, 3]) h.record(v, { route: '/pay' });
      meter.createCounter('orders.placed').add(2, { region: 'eu' });
      meter.createUpDownCounter('queue.size').add(4);
    });
    const histogram = metricOf(rm, 'checkout.duration').dataPoints[0]!;
    // One per bucket, in bucket order, as src/exemplars.ts lays them out.
    Object.assign(histogram, { [EXEMPLARS]: [exemplar(0.05, 0), exemplar(0.3, 1), exemplar(3, 2)] });
    const counter = metricOf(rm, 'orders.placed').dataPoints[0]!;
    Object.assign(counter, { [EXEMPLARS]: [exemplar(1, 3)] });
    return { rm, histogram, counter };
  }

  it('puts each exemplar on the bucket whose range holds its value, and the counter one on _total', async () => {
    const { rm } = await shop();
    const om = new PrometheusSerializer({ targetInfo: false }).serialize(rm, 'openmetrics');
    await valid(om, 'openmetrics');
    const byLe = Object.fromEntries(
      expectExposition(om)
        .samples('checkout_duration_seconds_bucket')
        .map((s) => [s.labels.le, s.exemplar]),
    );
    const link = { trace_id: TRACE, span_id: SPAN };
    expect(byLe).toEqual({
      '0.1': { labels: link, value: 0.05, timestamp: (START_MS + 1500) / 1000 },
      '0.5': { labels: link, value: 0.3, timestamp: (START_MS + 1501) / 1000 },
      '1.0': undefined,
      '+Inf': { labels: link, value: 3, timestamp: (START_MS + 1502) / 1000 },
    });
    expect(expectExposition(om).samples('orders_placed_total')[0]?.exemplar).toEqual({
      labels: link,
      value: 1,
      timestamp: (START_MS + 1503) / 1000,
    });
  });

  it('writes _created from the start time, in seconds, for counters and histograms but not gauges', async () => {
    const { rm, histogram, counter } = await shop();
    const om = new PrometheusSerializer({ targetInfo: false }).serialize(rm, 'openmetrics');
    const seconds = (t: [number, number]) => t[0] + t[1] / 1e9;
    expectExposition(om)
      .toHaveSample('checkout_duration_seconds_created', { route: '/pay' }, seconds(histogram.startTime))
      .toHaveSample('orders_placed_created', { region: 'eu' }, seconds(counter.startTime))
      .not.toHaveSample('queue_size_created');
    // The reference parser reads them as the families' created samples.
    const families = await referenceParse(om, 'openmetrics');
    const created = families.flatMap((f) => f.samples).filter((s) => s.name.endsWith('_created'));
    expect(created.map((s) => s.name).sort()).toEqual([
      'checkout_duration_seconds_created',
      'orders_placed_created',
    ]);
  });

  it('writes _created for the summaries of the instruments API', async () => {
    const tm = createTestMeter();
    const before = Date.now() / 1000;
    createInstruments({ meter: tm.meter }).summary('payload.size', { unit: 'By' }).observe(512);
    const om = await tm.exposition('openmetrics');
    await valid(om, 'openmetrics');
    const [created] = expectExposition(om).samples('payload_size_bytes_created');
    expect(created?.value).toBeGreaterThanOrEqual(Math.floor(before));
    expect(created?.value).toBeLessThanOrEqual(Date.now() / 1000);
    await tm.shutdown();
  });

  it('writes neither exemplars nor _created in text 0.0.4, which has no syntax for them', async () => {
    const { rm } = await shop();
    const text = new PrometheusSerializer({ targetInfo: false }).serialize(rm, 'text');
    await valid(text, 'text');
    expect(text).not.toContain(' # {');
    expect(text).not.toContain('_created');
  });

  it('leaves out an exemplar whose ids are not hex, rather than break the scrape', async () => {
    const { rm, counter } = await shop();
    Object.assign(counter, { [EXEMPLARS]: [{ ...exemplar(1), traceId: 'not"hex' }] });
    const om = new PrometheusSerializer({ targetInfo: false }).serialize(rm, 'openmetrics');
    await valid(om, 'openmetrics');
    expect(expectExposition(om).samples('orders_placed_total')[0]?.exemplar).toBeUndefined();
  });
});

describe('exponential histograms in the text formats', () => {
  it('serves them as classic buckets whose counts are exact for the bounds 2^(j·2^-scale)', async () => {
    // Log-uniform values from 1 ms to 10 s, as request latencies spread.
    const values = Array.from({ length: 2000 }, (_, i) => 10 ** (-3 + (4 * ((i * 7919) % 2000)) / 2000));
    const rm = await collect(
      (p) => {
        const h = p.getMeter('api').createHistogram('request.duration', { unit: 's' });
        for (const v of values) h.record(v, { route: '/a' });
      },
      { exponential: 'request.duration' },
    );
    const point = metricOf(rm, 'request.duration').dataPoints[0] as DataPoint<ExponentialHistogram>;
    const serializer = new PrometheusSerializer({ targetInfo: false });
    for (const format of ['text', 'openmetrics'] as const) {
      const body = serializer.serialize(rm, format);
      await valid(body, format);
      const exposition = expectExposition(body)
        .toHaveFamily('request_duration_seconds', { type: 'histogram' })
        .toHaveSample('request_duration_seconds_count', { route: '/a' }, values.length);
      const sum = exposition.samples('request_duration_seconds_sum')[0]!.value;
      expect(sum).toBeCloseTo(
        values.reduce((a, b) => a + b, 0),
        6,
      );
      const buckets = exposition.samples('request_duration_seconds_bucket');
      expect(buckets.length).toBeLessThanOrEqual(MAX_CLASSIC_BUCKETS + 1);
      // Each bound is a power of 2^(2^-s) for one scale s, and its count is exactly the values at or below it.
      const finite = buckets.filter((b) => b.labels.le !== '+Inf').map((b) => [Number(b.labels.le), b.value]);
      const exponents = finite.map(([le]) => Math.log2(le!));
      const step = exponents[1]! - exponents[0]!;
      for (const [i, [le, count]] of finite.entries()) {
        expect(exponents[i]! / step).toBeCloseTo(Math.round(exponents[i]! / step), 9);
        expect(count).toBe(values.filter((v) => v <= le!).length);
      }
      expect(point.value.scale).toBeGreaterThan(Math.round(-Math.log2(step)));
      // The README quotes these figures for 1 ms to 10 s.
      expect([-Math.log2(step), buckets.length]).toEqual([1, 28]);
    }
  });

  it('orders negative buckets, the zero bucket and positive ones by bound', async () => {
    const rm = await collect(
      (p) => {
        p.getMeter('x').createHistogram('delta').record(1);
      },
      { exponential: 'delta' },
    );
    const metric = metricOf(rm, 'delta');
    const value: ExponentialHistogram = {
      count: 8,
      scale: 0,
      zeroCount: 1,
      // (1, 2] → 1, (2, 4] → 2 below zero; (0.5, 1] → 1, (2, 4] → 3 above.
      negative: { offset: 0, bucketCounts: [1, 2] },
      positive: { offset: -1, bucketCounts: [1, 0, 3] },
    };
    Object.assign(metric.dataPoints[0]!, { value });
    const text = new PrometheusSerializer({ targetInfo: false, scopeInfo: false }).serialize(rm);
    await valid(text, 'text');
    expect(text).toContain(
      [
        'delta_bucket{le="-2"} 2',
        'delta_bucket{le="-1"} 3',
        'delta_bucket{le="0"} 4',
        'delta_bucket{le="1"} 5',
        'delta_bucket{le="2"} 5',
        'delta_bucket{le="4"} 8',
        'delta_bucket{le="+Inf"} 8',
        'delta_count 8',
      ].join('\n'),
    );
  });
});

describe('translation strategies and escaping schemes', () => {
  async function httpMetrics() {
    return collect((p) => {
      const meter = p.getMeter('http');
      meter.createCounter('http.requests', { unit: '{request}' }).add(3, { 'http.route': '/a' });
      meter
        .createHistogram('http.server.request.duration', {
          unit: 's',
          advice: { explicitBucketBoundaries: [0.5] },
        })
        .record(0.2, { 'http.route': '/a' });
    });
  }

  function serialize(
    rm: ResourceMetrics,
    strategy: TranslationStrategy,
    format: ExpositionFormat,
    escaping: EscapingScheme,
    options: SerializerOptions = {},
  ) {
    return new PrometheusSerializer({
      targetInfo: false,
      translationStrategy: strategy,
      ...options,
    }).serialize(rm, format, escaping);
  }

  it.each([
    [
      'UnderscoreEscapingWithSuffixes',
      'http_requests_total',
      'http_requests',
      'http_server_request_duration_seconds',
    ],
    ['UnderscoreEscapingWithoutSuffixes', 'http_requests', 'http_requests', 'http_server_request_duration'],
    [
      'NoUTF8EscapingWithSuffixes',
      'http.requests_total',
      'http.requests',
      'http.server.request.duration_seconds',
    ],
    ['NoTranslation', 'http.requests', 'http.requests', 'http.server.request.duration'],
  ] as const)(
    '%s names the families %s (OpenMetrics %s) and %s under allow-utf-8',
    async (strategy, text, om, histogram) => {
      const rm = await httpMetrics();
      const route = strategy.startsWith('No') ? 'http.route' : 'http_route';
      const plain = serialize(rm, strategy, 'text', 'allow-utf-8');
      expectExposition(plain)
        .toHaveFamily(text, { type: 'counter' })
        .toHaveSample(text, { [route]: '/a' }, 3)
        .toHaveSample(`${histogram}_bucket`, { [route]: '/a', le: '0.5' }, 1);
      const open = serialize(rm, strategy, 'openmetrics', 'allow-utf-8');
      // OpenMetrics names the counter family without `_total` and its samples with it, whatever the strategy.
      expectExposition(open)
        .toHaveFamily(om, { type: 'counter' })
        .toHaveSample(`${om}_total`, { [route]: '/a' }, 3)
        .toHaveSample(`${histogram}_count`, { [route]: '/a' }, 1);
      await referenceParse(open, 'openmetrics').catch((err: unknown) => {
        // Debian's prometheus_client 0.16 predates quoted names; only the UTF-8 strategies produce them.
        if (!strategy.startsWith('No')) throw err;
      });
    },
  );

  it('writes UTF-8 names quoted under allow-utf-8, and they round-trip through the parser', async () => {
    const rm = await httpMetrics();
    const text = serialize(rm, 'NoUTF8EscapingWithSuffixes', 'text', 'allow-utf-8');
    expect(text).toContain('# TYPE "http.requests_total" counter\n');
    expect(text).toContain('{"http.requests_total",otel_scope_name="http","http.route"="/a"} 3\n');
    expect(text).toContain(
      '{"http.server.request.duration_seconds_bucket",otel_scope_name="http","http.route"="/a",le="0.5"} 1\n',
    );
    const samples = parseExposition(text).flatMap((f) => f.samples);
    expect(samples.map((s) => [s.name, s.labels, s.value])).toEqual([
      ['http.requests_total', { otel_scope_name: 'http', 'http.route': '/a' }, 3],
      [
        'http.server.request.duration_seconds_bucket',
        { otel_scope_name: 'http', 'http.route': '/a', le: '0.5' },
        1,
      ],
      [
        'http.server.request.duration_seconds_bucket',
        { otel_scope_name: 'http', 'http.route': '/a', le: '+Inf' },
        1,
      ],
      ['http.server.request.duration_seconds_sum', { otel_scope_name: 'http', 'http.route': '/a' }, 0.2],
      ['http.server.request.duration_seconds_count', { otel_scope_name: 'http', 'http.route': '/a' }, 1],
    ]);
  });

  it.each([
    ['underscores', 'http_requests_total', 'http_server_request_duration_seconds_count', 'http_route'],
    [
      'dots',
      'http_dot_requests__total',
      'http_dot_server_dot_request_dot_duration__seconds_count',
      'http_dot_route',
    ],
    [
      'values',
      'U__http_2e_requests__total',
      'U__http_2e_server_2e_request_2e_duration__seconds_count',
      'U__http_2e_route',
    ],
  ] as const)(
    'escapes UTF-8 names with %s for scrapers that do not allow UTF-8',
    async (escaping, counter, count, route) => {
      const rm = await httpMetrics();
      for (const format of ['text', 'openmetrics'] as const) {
        const body = serialize(rm, 'NoUTF8EscapingWithSuffixes', format, escaping);
        await valid(body, format);
        expectExposition(body)
          .toHaveSample(counter, { [route]: '/a' }, 3)
          .toHaveSample(count, { [route]: '/a' }, 1);
      }
    },
  );

  it('changes nothing under the underscore strategies, whatever the scheme', async () => {
    const rm = await httpMetrics();
    const serializer = new PrometheusSerializer({ targetInfo: false });
    const bodies = (['allow-utf-8', 'underscores', 'dots', 'values'] as const).map((e) =>
      serializer.serialize(rm, 'text', e),
    );
    expect(new Set(bodies).size).toBe(1);
    expect(serializer.escapingFor('dots')).toBe('underscores');
  });

  it('keeps reserved label names apart from the ones the exposition writes, under every strategy', async () => {
    const rm = await collect((p) => {
      p.getMeter('m')
        .createHistogram('h', { advice: { explicitBucketBoundaries: [1] } })
        .record(0.5, { le: 'x', __name__: 'y' });
    });
    for (const strategy of ['NoTranslation', 'UnderscoreEscapingWithSuffixes'] as const) {
      const text = serialize(rm, strategy, 'text', 'underscores');
      await valid(text, 'text');
      expectExposition(text).toHaveSample('h_bucket', { key_le: 'x', le: '1' }, 1);
    }
  });
});

describe('resource constant labels', () => {
  const resource = { 'service.name': 'shop', 'service.version': '1.2.3', 'host.name': 'web-1' };

  it('copies the selected resource attributes onto every series, and keeps target_info whole', async () => {
    const rm = await collect(
      (p) => {
        const meter = p.getMeter('shop');
        meter.createCounter('orders').add(1, { region: 'eu' });
        meter.createHistogram('latency', { advice: { explicitBucketBoundaries: [1] } }).record(0.5);
        meter.createGauge('temperature').record(20, { 'service.name': 'sensor' });
      },
      { resource },
    );
    const serializer = new PrometheusSerializer({
      resourceConstantLabels: { include: ['service.*'], exclude: ['service.version'] },
    });
    for (const format of ['text', 'openmetrics'] as const) {
      const body = serializer.serialize(rm, format);
      await valid(body, format);
      expectExposition(body)
        .toHaveSample('orders_total', { region: 'eu', service_name: 'shop' }, 1)
        .toHaveSample('latency_bucket', { service_name: 'shop', le: format === 'text' ? '1' : '1.0' }, 1)
        // A series attribute that would repeat a constant label gets the `key_` prefix.
        .toHaveSample('temperature', { service_name: 'shop', key_service_name: 'sensor' }, 20)
        .toHaveSample('target_info', { service_name: 'shop', service_version: '1.2.3', host_name: 'web-1' });
      expect(body).not.toMatch(/^orders_total\{[^}]*service_version/m);
      expect(body).not.toMatch(/^orders_total\{[^}]*host_name/m);
    }
  });

  it('copies every key when include is left out, and works with scope labels off', async () => {
    const rm = await collect((p) => p.getMeter('shop').createCounter('orders').add(1), { resource });
    const text = new PrometheusSerializer({
      targetInfo: false,
      scopeInfo: false,
      resourceConstantLabels: { exclude: ['host.*'] },
    }).serialize(rm);
    await valid(text, 'text');
    expect(text).toContain('orders_total{service_name="shop",service_version="1.2.3"} 1\n');
  });
});
