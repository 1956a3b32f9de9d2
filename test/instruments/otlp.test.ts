// One initMeter() with the Prometheus endpoint and OTLP (http/protobuf to a real receiver that decodes the
// protobuf): every kind of `telemetry.instruments` must arrive over OTLP with the values the scrape shows.
import { afterEach, describe, expect, it } from 'vitest';
import { initMeter, type MetricsHandle } from '../../src/init.js';
import { otlpHttpReceiver, type ReceivedPoint } from '../export/receivers.js';
import { type ParsedFamily, promtoolCheck, referenceParse } from '../helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** The labels the endpoint writes for an OTLP point: its attributes (dots as underscores) and its scope. */
function labels(p: ReceivedPoint): Record<string, string> {
  return {
    otel_scope_name: p.scope,
    ...Object.fromEntries(Object.entries(p.attributes).map(([k, v]) => [k.replaceAll('.', '_'), String(v)])),
  };
}

/** The value of the one sample named `sample` in `families` whose labels are exactly `want`. */
function sampleValue(families: ParsedFamily[], sample: string, want: Record<string, string>): number {
  const found = families
    .flatMap((f) => f.samples)
    .filter(
      (s) =>
        s.name === sample &&
        Object.keys(s.labels).length === Object.keys(want).length &&
        Object.entries(want).every(([k, v]) => s.labels[k] === v),
    );
  expect(found, `${sample}${JSON.stringify(want)} on the scrape`).toHaveLength(1);
  return found[0]!.value;
}

/** Prometheus's `le` label for an OTLP bound, as the endpoint formats it. */
const le = (bound: number) => (bound === Number.POSITIVE_INFINITY ? '+Inf' : String(bound));

/**
 * Checks every OTLP point of `metric` against the scrape family `prom` (its sample names): numbers against the
 * sample itself, histograms' count, sum and cumulated buckets against `_count`, `_sum` and `_bucket{le}`, and a
 * summary's quantile gauges against the summary's quantile samples. Returns how many points were compared.
 */
function compare(points: ReceivedPoint[], families: ParsedFamily[], metric: string, prom: string): number {
  const mine = points.filter((p) => p.metric === metric);
  for (const p of mine) {
    const l = labels(p);
    if (p.kind !== 'histogram') {
      expect(p.value, `${metric} ${JSON.stringify(l)}`).toBe(sampleValue(families, prom, l));
      continue;
    }
    expect(p.value, `${metric} count`).toBe(sampleValue(families, `${prom}_count`, l));
    expect(p.sum, `${metric} sum`).toBe(sampleValue(families, `${prom}_sum`, l));
    const { bounds, counts } = p.buckets!;
    let cumulative = 0;
    [...bounds, Number.POSITIVE_INFINITY].forEach((bound, i) => {
      cumulative += counts[i]!;
      expect(cumulative, `${metric} le=${le(bound)}`).toBe(
        sampleValue(families, `${prom}_bucket`, { ...l, le: le(bound) }),
      );
    });
  }
  return mine.length;
}

describe('telemetry.instruments over OTLP and on /metrics', () => {
  it('arrive with the same values: counter, gauge, histogram, summary (quantile gauges) and timer', async () => {
    const receiver = await otlpHttpReceiver();
    cleanup.push(receiver.close);
    // Cumulative, so one export carries the totals the scrape shows; the interval is long so only our flush
    // exports.
    const h: MetricsHandle = initMeter({
      namespace: 'shop',
      prometheus: { port: 0 },
      otlp: { endpoint: receiver.url, protocol: 'http/protobuf', intervalMs: 3_600_000 },
      runtime: false,
      host: false,
      http: false,
    });
    cleanup.push(() => h.shutdown());
    await h.ready;

    const m = h.instruments;
    const orders = m.counter('orders.placed', { unit: '{order}', labels: ['payment.method'] });
    const card = orders.bind({ 'payment.method': 'card' });
    card.inc();
    card.inc();
    orders.add(2.5, { 'payment.method': 'cash' });
    const depth = m.gauge('queue.depth');
    depth.set(5);
    depth.inc();
    depth.dec(2);
    m.gauge('pool.active', { observe: () => 7 });
    const lat = m.histogram('checkout.duration', { unit: 's', buckets: [0.1, 0.5, 1], labels: ['route'] });
    for (const v of [0.05, 0.2, 0.3, 0.7, 3]) lat.observe(v, { route: '/pay' });
    lat.bind({ route: '/cart' }).observe(0.1);
    const size = m.summary('payload.size', { unit: 'By', quantiles: [0.5, 0.9, 0.99] });
    for (let i = 1; i <= 200; i++) size.observe(i * 16);
    const query = m.timer('db.query.duration');
    query.record(0.03, { 'db.operation.name': 'SELECT' });
    query.time(() => 'rows', { 'db.operation.name': 'SELECT' });
    expect(() =>
      query.time(
        () => {
          throw new RangeError('bad page');
        },
        { 'db.operation.name': 'UPDATE' },
      ),
    ).toThrow('bad page');
    m.withAttributes({ region: 'eu' }).counter('refunds').add(3);

    const text = await (await fetch(h.metricsUrl!)).text();
    await h.forceFlush();
    await promtoolCheck(text);
    const families = await referenceParse(text);
    const points = receiver.requests.flatMap((r) => r.points);
    expect(receiver.requests.map((r) => r.headers['content-type'])).toContain('application/x-protobuf');

    // Every instrument of the API is in the OTLP export, with every series the scrape has.
    const compared = {
      counter: compare(points, families, 'shop.orders.placed', 'shop_orders_placed_total'),
      constant: compare(points, families, 'shop.refunds', 'shop_refunds_total'),
      gauge: compare(points, families, 'shop.queue.depth', 'shop_queue_depth'),
      callbackGauge: compare(points, families, 'shop.pool.active', 'shop_pool_active'),
      histogram: compare(points, families, 'shop.checkout.duration', 'shop_checkout_duration_seconds'),
      summary: compare(points, families, 'shop.payload.size', 'shop_payload_size_bytes'),
      timer: compare(points, families, 'shop.db.query.duration', 'shop_db_query_duration_seconds'),
    };
    expect(compared).toEqual({
      counter: 2,
      constant: 1,
      gauge: 1,
      callbackGauge: 1,
      histogram: 2,
      summary: 3,
      timer: 2,
    });

    // The values themselves, so a reader that saw nothing (or zeros on both sides) cannot pass.
    const point = (metric: string, attrs: Record<string, unknown> = {}) =>
      points.find(
        (p) =>
          p.metric === metric &&
          Object.entries(attrs).every(([k, v]) => p.attributes[k] === v) &&
          Object.keys(p.attributes).length === Object.keys(attrs).length,
      );
    expect(point('shop.orders.placed', { 'payment.method': 'card' })).toMatchObject({
      kind: 'sum',
      temporality: 2,
      unit: '{order}',
      value: 2,
    });
    expect(point('shop.orders.placed', { 'payment.method': 'cash' })?.value).toBe(2.5);
    expect(point('shop.refunds', { region: 'eu' })?.value).toBe(3);
    expect(point('shop.queue.depth')).toMatchObject({ kind: 'gauge', value: 4 });
    expect(point('shop.pool.active')?.value).toBe(7);
    expect(point('shop.checkout.duration', { route: '/pay' })).toMatchObject({
      kind: 'histogram',
      unit: 's',
      value: 5,
      sum: 4.25,
      buckets: { bounds: [0.1, 0.5, 1], counts: [1, 2, 1, 1] },
    });
    // Summaries: a gauge per quantile over OTLP (README, "Summaries"), each within the documented 1 % of the
    // exact rank ⌈q·n⌉ observation.
    for (const [q, exact] of [
      [0.5, 100 * 16],
      [0.9, 180 * 16],
      [0.99, 198 * 16],
    ] as const) {
      const p = points.find(
        (x) => x.metric === 'shop.payload.size' && Number(x.attributes['quantile']) === q,
      );
      expect(p?.kind, `quantile ${q}`).toBe('gauge');
      expect(Math.abs(p!.value - exact) / exact).toBeLessThanOrEqual(0.01);
    }
    expect(point('shop.db.query.duration', { 'db.operation.name': 'SELECT' })).toMatchObject({
      kind: 'histogram',
      value: 2,
    });
    expect(
      point('shop.db.query.duration', { 'db.operation.name': 'UPDATE', 'error.type': 'RangeError' })?.value,
    ).toBe(1);
  });
});
