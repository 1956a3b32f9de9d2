import { AssertionError } from 'node:assert';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestMeter, exactly, expectExposition, parseExposition } from '../../src/testing/index.js';
import { referenceParse } from '../helpers.js';

let text: string;
let openmetrics: string;

beforeAll(async () => {
  const tm = createTestMeter({ serviceName: 'shop', histograms: { 'checkout.duration': [0.1, 0.5] } });
  const orders = tm.meter.createCounter('orders.placed', { unit: '{order}', description: 'Orders placed' });
  orders.add(2, { 'payment.method': 'card' });
  orders.add(1, { 'payment.method': 'say "hi"\\\n' });
  tm.meter.createGauge('pool.usage', { unit: '1', description: 'Pool usage' }).record(Number.NaN);
  tm.meter.createHistogram('checkout.duration', { unit: 's', description: 'Checkout time' }).record(0.3);
  text = await tm.exposition('text');
  openmetrics = await tm.exposition('openmetrics');
  await tm.shutdown();
});

type Flat = [string, Record<string, string>, number | string][];
const flat = (
  families: { samples: { name: string; labels: Record<string, string>; value: number | string }[] }[],
) =>
  families
    .flatMap((f) =>
      f.samples.map((s) => [
        s.name,
        s.labels,
        typeof s.value === 'number' && Number.isNaN(s.value) ? 'nan' : s.value,
      ]),
    )
    .map(([n, l, v]) => [n, l, typeof v === 'string' ? v.toLowerCase() : v]) as Flat;

describe('parseExposition', () => {
  it('reads our text and OpenMetrics output exactly as the reference parser does', async () => {
    for (const [body, format] of [
      [text, 'text'],
      [openmetrics, 'openmetrics'],
    ] as const) {
      const ours = flat(parseExposition(body) as never);
      const reference = flat(await referenceParse(body, format));
      expect(ours).toEqual(reference);
      expect(ours.length).toBeGreaterThan(5);
    }
  });

  it('groups samples into families with their metadata', () => {
    const families = parseExposition(openmetrics);
    expect(families.map((f) => [f.name, f.type, f.unit, f.help, f.samples.length])).toEqual([
      ['target', 'info', undefined, 'Target metadata', 1],
      // Each series has its `_created` sample in OpenMetrics.
      ['checkout_duration_seconds', 'histogram', 'seconds', 'Checkout time', 6],
      ['orders_placed', 'counter', undefined, 'Orders placed', 4],
      ['pool_usage_ratio', 'gauge', 'ratio', 'Pool usage', 1],
    ]);
  });

  it('reads UTF-8 metric and label names in the quoted syntax of Prometheus 3', () => {
    const [family] = parseExposition(
      [
        '# HELP "http.server.duration_seconds" Time "served"',
        '# TYPE "http.server.duration_seconds" histogram',
        '{"http.server.duration_seconds_bucket","http.route"="/a\\"b",le="+Inf"} 2',
        '{"http.server.duration_seconds_count", "http.route"="/a\\"b"} 2',
        '{"http.server.duration_seconds_sum"} 0.5',
        '# EOF',
      ].join('\n'),
    );
    expect(family?.name).toBe('http.server.duration_seconds');
    expect(family?.type).toBe('histogram');
    expect(family?.samples.map((s) => [s.name, s.labels, s.value])).toEqual([
      ['http.server.duration_seconds_bucket', { 'http.route': '/a"b', le: '+Inf' }, 2],
      ['http.server.duration_seconds_count', { 'http.route': '/a"b' }, 2],
      ['http.server.duration_seconds_sum', {}, 0.5],
    ]);
  });

  it('reads exemplars with their labels, value and timestamp', () => {
    const [family] = parseExposition(
      '# TYPE a counter\na_total 3 # {trace_id="0af7",span_id="b7ad"} 1.5 1700000000.25\n# EOF\n',
    );
    expect(family?.samples[0]?.exemplar).toEqual({
      labels: { trace_id: '0af7', span_id: 'b7ad' },
      value: 1.5,
      timestamp: 1700000000.25,
    });
    expect(() => parseExposition('a_total 3 # trace 1\n')).toThrow(/exemplar without labels/);
  });

  it('reads timestamps and special values and skips exemplars', () => {
    const [family] = parseExposition(
      '# TYPE a counter\na_total{x="1"} +Inf 1700000000\na_total{x="2"} -1.5e3 # {trace_id="abc"} 1.0\n# EOF\n',
    );
    expect(family?.samples.map((s) => [s.value, s.timestamp])).toEqual([
      [Number.POSITIVE_INFINITY, 1700000000],
      [-1500, undefined],
    ]);
  });

  it('reports every line Prometheus would reject, with its number', () => {
    const bad = [
      '# TYPE a counter',
      'a_total 1',
      '# TYPE a counter',
      'b 2',
      'a_total{x="1"} 3',
      'c{x="1",x="2"} 1',
      'd{x="\\q"} 1',
      'e one',
      '# EOF',
      'f 1',
    ].join('\n');
    expect(() => parseExposition(bad)).toThrowErrorMatchingInlineSnapshot(`
      [SyntaxError: the exposition does not parse:
        line 3: duplicate or late # TYPE for "a"
        line 5: lines of family "a" are split by another family
        line 6: duplicate label "x"
        line 7: invalid escape "\\q" in label "x"
        line 8: invalid value "one" for "e"
        line 10: content after # EOF]
    `);
  });
});

describe('expectExposition', () => {
  it('passes on present families and samples, by text or OpenMetrics name', () => {
    expectExposition(text)
      .toHaveFamily('orders_placed_total', { type: 'counter', help: 'Orders placed' })
      .toHaveFamily('checkout_duration_seconds', { type: 'histogram' })
      .toHaveSample('orders_placed_total', { payment_method: 'card' }, 2)
      .toHaveSample('orders_placed_total', { payment_method: 'say "hi"\\\n' }, 1)
      .toHaveSample('checkout_duration_seconds_bucket', { le: '0.5' }, 1)
      .toHaveSample('pool_usage_ratio', {}, Number.NaN)
      .toHaveSample('target_info', { service_name: 'shop' }, 1)
      .not.toHaveSample('orders_placed_total', exactly({ payment_method: 'card' }))
      .not.toHaveFamily('orders_cancelled_total')
      .not.toHaveSample('orders_placed_total', { payment_method: 'cash' });
    expectExposition(openmetrics)
      .toHaveFamily('orders_placed', { type: 'counter' })
      .toHaveFamily('orders_placed_total')
      .toHaveFamily('checkout_duration_seconds', { unit: 'seconds' });
    expect(expectExposition(text).samples('checkout_duration_seconds_bucket')).toHaveLength(3);
  });

  it('fails at once on text that does not parse', () => {
    expect(() => expectExposition('ok 1\nnot ok\n')).toThrow(AssertionError);
  });

  it('names the nearest families and samples when one is missing', () => {
    expect(() =>
      expectExposition(text).toHaveFamily('order_placed_total'),
    ).toThrowErrorMatchingInlineSnapshot(`
      [AssertionError: expected a family named "order_placed_total" in the exposition, but there is none.
      Nearest families:
        orders_placed_total (counter)
        pool_usage_ratio (gauge)
        target_info (gauge)
        checkout_duration_seconds (histogram)]
    `);
    expect(() =>
      expectExposition(text).toHaveSample('checkout_duration_bucket'),
    ).toThrowErrorMatchingInlineSnapshot(`
      [AssertionError: expected a sample named "checkout_duration_bucket" in the exposition, but there is none.
      Nearest sample names:
        checkout_duration_seconds_bucket
        checkout_duration_seconds_sum
        checkout_duration_seconds_count
        pool_usage_ratio
        target_info
        … and 1 more]
    `);
  });

  it('shows the metadata or the samples that differ', () => {
    expect(() =>
      expectExposition(text).toHaveFamily('orders_placed_total', { type: 'gauge', help: 'Orders' }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[AssertionError: expected family "orders_placed_total" to have type gauge, HELP "Orders", but it has type counter, HELP "Orders placed".]`,
    );
    expect(() =>
      expectExposition(text).toHaveSample('orders_placed_total', { payment_method: 'cash' }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [AssertionError: expected a sample "orders_placed_total" with labels {payment_method="cash"}, but none of its 2 samples has them.
      Samples present:
        orders_placed_total{otel_scope_name="shop",payment_method="card"} 2 (line 13)
        orders_placed_total{otel_scope_name="shop",payment_method="say \\"hi\\"\\\\\\n"} 1 (line 14)]
    `);
    expect(() =>
      expectExposition(text).toHaveSample('orders_placed_total', { payment_method: 'card' }, 3),
    ).toThrowErrorMatchingInlineSnapshot(
      `[AssertionError: expected sample orders_placed_total{otel_scope_name="shop",payment_method="card"} (line 13) to be 3, but it is 2.]`,
    );
    expect(() =>
      expectExposition(text).toHaveSample('orders_placed_total', {}, 2),
    ).toThrowErrorMatchingInlineSnapshot(`
      [AssertionError: expected one sample "orders_placed_total" to compare with 2, but 2 match; add labels to pick one.
      Matching samples:
        orders_placed_total{otel_scope_name="shop",payment_method="card"} 2 (line 13)
        orders_placed_total{otel_scope_name="shop",payment_method="say \\"hi\\"\\\\\\n"} 1 (line 14)]
    `);
    expect(() =>
      expectExposition(text).not.toHaveSample('checkout_duration_seconds_count'),
    ).toThrowErrorMatchingInlineSnapshot(`
      [AssertionError: expected no sample "checkout_duration_seconds_count", but found 1:
        checkout_duration_seconds_count{otel_scope_name="shop"} 1 (line 10)]
    `);
  });
});
