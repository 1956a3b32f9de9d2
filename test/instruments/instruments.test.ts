import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MetricsError } from '../../src/errors.js';
import { createInstruments } from '../../src/instruments/instruments.js';
import { SUMMARY_RELATIVE_ACCURACY } from '../../src/instruments/summary.js';
import { createTestClock, createTestMeter, type TestMeter } from '../../src/testing/index.js';
import { promtoolCheck, referenceParse } from '../helpers.js';

const open: TestMeter[] = [];
function testMeter(...args: Parameters<typeof createTestMeter>): TestMeter {
  const tm = createTestMeter(...args);
  open.push(tm);
  return tm;
}
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(open.splice(0).map((tm) => tm.shutdown()));
});

function errorOf(fn: () => unknown): MetricsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MetricsError) return err;
    throw err;
  }
  throw new Error('expected a MetricsError');
}

describe('counter', () => {
  it('counts inc and add per attribute set, reads values back and exports them as an OTel counter', async () => {
    const tm = testMeter({ namespace: 'shop' });
    const orders = tm.instruments.counter('orders.placed', { unit: '{order}', labels: ['payment.method'] });
    orders.inc({ 'payment.method': 'card' });
    orders.add(2, { 'payment.method': 'cash' });
    const card = orders.bind({ 'payment.method': 'card' });
    card.inc();
    card.add(0.5);
    expect(card.value()).toBe(2.5);
    expect(orders.value({ 'payment.method': 'cash' })).toBe(2);
    expect(orders.value({ 'payment.method': 'voucher' })).toBe(0);
    const snap = await tm.collect();
    expect(snap.counter('shop.orders.placed', { 'payment.method': 'card' })).toBe(2.5);
    expect(snap.counter('shop.orders.placed', { 'payment.method': 'cash' })).toBe(2);
    expect(await tm.exposition()).toContain(
      'shop_orders_placed_total{otel_scope_name="otel-metrics-bootstrap",payment_method="cash"} 2',
    );
  });

  it('drops a negative or non-finite increment, never throws, and counts it once logged', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const tm = testMeter();
    const c = tm.instruments.counter('jobs');
    c.add(-1);
    c.add(Number.NaN);
    c.bind().add(Number.POSITIVE_INFINITY);
    c.add(1);
    expect(c.value()).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    const snap = await tm.collect();
    expect(
      snap.counter('omb.instrument.problems', { 'omb.instrument': 'jobs', 'error.type': 'invalid_value' }),
    ).toBe(3);
  });

  it('finds the right series on repeated labelled calls, whatever the key order', () => {
    const tm = testMeter();
    const declared = tm.instruments.counter('declared', { labels: ['method', 'route', 'status'] });
    const free = tm.instruments.counter('free');
    const combos = [
      { method: 'GET', route: '/a', status: '200' },
      { method: 'GET', route: '/a', status: '500' },
      { method: 'POST', route: '/a', status: '200' },
      { method: 'GET', route: '/b', status: '200' },
    ];
    for (let i = 0; i < 100; i++) {
      for (const [n, c] of combos.entries()) {
        declared.add(n + 1, { ...c });
        free.add(n + 1, n % 2 === 0 ? { ...c } : { status: c.status, route: c.route, method: c.method });
      }
    }
    for (const [n, c] of combos.entries()) {
      expect(declared.value(c)).toBe(100 * (n + 1));
      expect(free.value(c)).toBe(100 * (n + 1));
      expect(free.value({ status: c.status, method: c.method, route: c.route })).toBe(100 * (n + 1));
    }
  });

  it('returns the same object for the same name and definition', () => {
    const tm = testMeter();
    const a = tm.instruments.counter('a', { labels: ['x'] });
    expect(tm.instruments.counter('a', { labels: ['x'] })).toBe(a);
    expect(tm.instruments.get('a')).toBe(a);
  });
});

describe('gauge', () => {
  it('sets, increments, decrements, adds, subtracts and reads back', async () => {
    const tm = testMeter();
    const depth = tm.instruments.gauge('queue.depth');
    depth.set(5);
    depth.inc();
    depth.dec(2);
    depth.add(10);
    depth.sub(4);
    depth.inc({ queue: 'b' });
    expect(depth.value()).toBe(10);
    expect(depth.value({ queue: 'b' })).toBe(1);
    const bound = depth.bind({ queue: 'c' });
    bound.set(3);
    bound.dec();
    expect(bound.value()).toBe(2);
    expect((await tm.collect()).gauge('queue.depth', { queue: 'c' })).toBe(2);
  });

  it('sets the current Unix time in seconds', () => {
    const tm = testMeter();
    const g = tm.instruments.gauge('last.run');
    const before = Date.now() / 1000;
    g.setToCurrentTime();
    expect(g.value()).toBeGreaterThanOrEqual(before);
    expect(g.value()).toBeLessThanOrEqual(Date.now() / 1000);
  });

  it('calls a callback gauge at collection and survives a throwing callback', async () => {
    vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const tm = testMeter();
    let active = 3;
    tm.instruments.gauge('pool.active', {
      observe: () => {
        if (active < 0) throw new Error('pool closed');
        return active;
      },
    });
    expect((await tm.collect()).gauge('pool.active')).toBe(3);
    active = 7;
    expect((await tm.collect()).gauge('pool.active')).toBe(7);
    active = -1;
    const snap = await tm.collect();
    expect(snap.gauge('pool.active')).toBe(7);
    expect(snap.counter('omb.instrument.problems', { 'error.type': 'callback_failed' })).toBe(1);
  });
});

describe('histogram', () => {
  it('places observations in buckets and reads count, sum, buckets and quantiles back', async () => {
    const tm = testMeter();
    const lat = tm.instruments.histogram('checkout.duration', { unit: 's', buckets: [0.1, 0.5, 1] });
    for (const v of [0.05, 0.1, 0.2, 0.7, 3]) lat.observe(v);
    const snap = lat.snapshot();
    expect(snap.count).toBe(5);
    expect(snap.sum).toBeCloseTo(4.05);
    expect(snap.buckets).toEqual([
      { le: 0.1, count: 2 },
      { le: 0.5, count: 3 },
      { le: 1, count: 4 },
      { le: Number.POSITIVE_INFINITY, count: 5 },
    ]);
    expect(snap.quantile(0.5)).toBeCloseTo(0.1 + 0.4 * (0.5 / 1));
    const h = (await tm.collect()).histogram('checkout.duration');
    expect(h?.boundaries).toEqual([0.1, 0.5, 1]);
    expect(h?.counts).toEqual([2, 1, 1, 1]);
  });

  it('uses the configured histograms entry and the seconds preset', () => {
    const tm = testMeter({ histograms: { 'a.b': [1, 2] } });
    expect(tm.instruments.histogram('a.b', { buckets: [5] }).boundaries()).toEqual([1, 2]);
    expect(tm.instruments.histogram('c', { unit: 's' }).boundaries()[0]).toBe(0.005);
  });

  it('keeps its buckets when the array it was given changes later (frozen arrays work too)', () => {
    const tm = testMeter();
    const given = [1, 2, 3];
    const h = tm.instruments.histogram('queue.depth', { buckets: given });
    const frozen = tm.instruments.histogram('queue.wait', { buckets: Object.freeze([1, 2, 3]) });
    given.splice(0, 3, 100, 200);
    h.observe(1.5);
    frozen.observe(1.5);
    expect(h.boundaries()).toEqual([1, 2, 3]);
    expect(h.snapshot().buckets.map((b) => b.count)).toEqual([0, 1, 1, 1]);
    expect(frozen.snapshot().buckets.map((b) => b.count)).toEqual([0, 1, 1, 1]);
  });

  it('binds a series whose observe goes to the same place', () => {
    const tm = testMeter();
    const h = tm.instruments.histogram('size', { buckets: [10], labels: ['k'] });
    const bound = h.bind({ k: 'a' });
    bound.observe(4);
    h.observe(20, { k: 'a' });
    expect(bound.snapshot().count).toBe(2);
    expect(h.snapshot({ k: 'a' }).sum).toBe(24);
  });
});

describe('summary', () => {
  it('reports quantiles within the documented error over a sliding window that ages out', async () => {
    const clock = createTestClock();
    const tm = testMeter();
    const m = createInstruments({ meter: tm.meter, clock });
    const size = m.summary('payload.size', { unit: 'By', maxAgeSeconds: 600, ageBuckets: 5 });
    const quantiles = [0.5, 0.9, 0.99];
    const exact = (values: number[], q: number) => {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
    };
    const check = (window: number[]) => {
      const snap = size.snapshot();
      for (const q of quantiles) {
        const want = exact(window, q);
        expect(Math.abs(snap.quantiles.get(q)! - want)).toBeLessThanOrEqual(
          SUMMARY_RELATIVE_ACCURACY * want + 1e-12,
        );
      }
    };
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const old = Array.from({ length: 2000 }, () => 1000 + random() * 100_000);
    for (const v of old) size.observe(v);
    check(old);
    clock.advance(300_000);
    const recent = Array.from({ length: 2000 }, () => random() * 50);
    for (const v of recent) size.observe(v);
    check([...old, ...recent]);
    // 10 minutes after the first batch: it has aged out, the second is still in the window.
    clock.advance(330_000);
    check(recent);
    const snap = size.snapshot();
    expect(snap.count).toBe(4000);
    clock.advance(600_000);
    expect(Number.isNaN(size.snapshot().quantile(0.5))).toBe(true);
    const text = await tm.exposition();
    expect(text).toContain('# TYPE payload_size_bytes summary');
    expect(text).toContain('payload_size_bytes_count{otel_scope_name="otel-metrics-bootstrap"} 4000');
  });

  it('refuses a quantile label and bad options at creation', () => {
    const tm = testMeter();
    expect(errorOf(() => tm.instruments.summary('s', { labels: ['quantile'] })).code).toBe(
      'ERR_INVALID_LABEL',
    );
    expect(errorOf(() => tm.instruments.summary('s', { quantiles: [99] })).code).toBe(
      'ERR_INVALID_INSTRUMENT_OPTION',
    );
  });
});

describe('timer', () => {
  it('times sync, async, throwing and rejecting functions exactly with the test clock', async () => {
    const clock = createTestClock();
    const tm = testMeter();
    const q = createInstruments({ meter: tm.meter, clock }).timer('db.query.duration', {
      labels: ['db.operation.name'],
    });
    const op = { 'db.operation.name': 'SELECT' };
    expect(q.time(() => (clock.advance(250), 'rows'), op)).toBe('rows');
    const value = await q.time(async () => {
      clock.advance(500);
      return 5;
    }, op);
    expect(value).toBe(5);
    const boom = new RangeError('bad');
    expect(() =>
      q.time(() => {
        clock.advance(100);
        throw boom;
      }, op),
    ).toThrow(boom);
    class DbError extends Error {}
    const rejection = new DbError('down');
    await expect(
      q.time(async () => {
        clock.advance(1000);
        throw rejection;
      }, op),
    ).rejects.toBe(rejection);
    expect(q.snapshot(op).sum).toBe(0.75);
    expect(q.snapshot({ ...op, 'error.type': 'RangeError' }).sum).toBe(0.1);
    expect(q.snapshot({ ...op, 'error.type': 'DbError' }).sum).toBe(1);
  });

  it('records a stopwatch once per start, and again after reset', () => {
    const clock = createTestClock();
    const q = createInstruments({ clock }).timer('t');
    const sw = q.startStopwatch();
    clock.advance(300);
    sw.reset();
    clock.advance(200);
    expect(sw.stop({ outcome: 'ok' })).toBe(0.2);
    expect(sw.stop({ outcome: 'ok' })).toBe(0.2);
    const end = q.startTimer({ outcome: 'ok' });
    clock.advance(50);
    end();
    expect(q.snapshot({ outcome: 'ok' })).toMatchObject({ count: 2, sum: 0.25 });
  });
});

describe('registry and names', () => {
  it('prefixes names with namespace and subsystem, and get, unregister, visit and snapshot use full names', async () => {
    const tm = testMeter();
    const m = createInstruments({ meter: tm.meter, namespace: 'shop', subsystem: 'api' });
    m.counter('requests').inc();
    m.gauge('depth').set(2);
    const names: string[] = [];
    m.visit((_i, name) => names.push(name));
    expect(names).toEqual(['shop.api.requests', 'shop.api.depth']);
    expect(m.snapshot().find((s) => s.name === 'shop.api.requests')?.series).toEqual([
      { attributes: {}, value: 1 },
    ]);
    expect(m.unregister('shop.api.requests')).toBe(true);
    expect(m.unregister('shop.api.requests')).toBe(false);
    expect(m.get('shop.api.requests')).toBeUndefined();
    const snap = await tm.collect();
    expect(snap.metric('shop.api.requests')).toBeUndefined();
    expect(snap.gauge('shop.api.depth')).toBe(2);
  });

  it('throws ERR_INSTRUMENT_CONFLICT for the same name with another kind, unit or label set', () => {
    const tm = testMeter();
    tm.instruments.counter('orders', { unit: '{order}', labels: ['a'] });
    expect(errorOf(() => tm.instruments.gauge('orders', { unit: '{order}', labels: ['a'] })).code).toBe(
      'ERR_INSTRUMENT_CONFLICT',
    );
    expect(errorOf(() => tm.instruments.counter('orders', { unit: 'By', labels: ['a'] })).code).toBe(
      'ERR_INSTRUMENT_CONFLICT',
    );
    expect(
      errorOf(() => tm.instruments.counter('orders', { unit: '{order}', labels: ['b'] })).message,
    ).toMatch(/labels \[a\], not \[b\]/);
    tm.instruments.counter('a.b');
    expect(errorOf(() => tm.instruments.counter('a_b')).message).toMatch(/a_b_total/);
  });

  it('adds constant attributes with withAttributes', async () => {
    const tm = testMeter();
    tm.instruments.withAttributes({ region: 'eu' }).counter('refunds').inc();
    tm.instruments.withAttributes({ region: 'us' }).counter('refunds').add(2);
    const snap = await tm.collect();
    expect(snap.counter('refunds', { region: 'eu' })).toBe(1);
    expect(snap.counter('refunds', { region: 'us' })).toBe(2);
  });

  it('rejects a meter that is not one of ours', () => {
    expect(errorOf(() => createInstruments({ meter: {} as never })).code).toBe('ERR_INVALID_CONFIG');
  });
});

describe('label hygiene', () => {
  it('validates label names at creation', () => {
    const tm = testMeter();
    const m = tm.instruments;
    expect(errorOf(() => m.counter('c', { labels: ['__x'] })).code).toBe('ERR_INVALID_LABEL');
    expect(errorOf(() => m.histogram('h', { labels: ['le'] })).code).toBe('ERR_INVALID_LABEL');
    expect(errorOf(() => m.counter('c', { labels: ['a b'] })).code).toBe('ERR_INVALID_LABEL');
    expect(errorOf(() => m.counter('c', { labels: ['a.b', 'a_b'] })).message).toMatch(/both become/);
    expect(errorOf(() => m.withAttributes({ le: 'x' }).timer('t')).code).toBe('ERR_INVALID_LABEL');
  });

  it('drops undeclared keys and reports them once', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const tm = testMeter();
    const c = tm.instruments.counter('c', { labels: ['a'] });
    c.inc({ a: '1', user: 'u1' } as never);
    c.inc({ a: '2', user: 'u2' } as never);
    const snap = await tm.collect();
    expect(snap.counter('c', { a: '1' })).toBe(1);
    expect(snap.points('c').every((p) => !('user' in p.attributes))).toBe(true);
    expect(warn.mock.calls.filter(([m]) => String(m).includes('undeclared')).length).toBe(1);
  });

  it('truncates values longer than the limit', async () => {
    const tm = testMeter({ instruments: { valueLengthLimit: 4 } });
    tm.instruments.counter('c').inc({ path: '/abcdef' });
    expect((await tm.collect()).counter('c', { path: '/abc' })).toBe(1);
  });

  it('reads the value length limit from OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', () => {
    const tm = testMeter({ env: { OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '3', OMB_NAMESPACE: 'ns' } });
    expect(tm.config.instruments).toMatchObject({ valueLengthLimit: 3, namespace: 'ns' });
    expect(() => createTestMeter({ env: { OMB_INSTRUMENTS_MAX_SERIES: '0' } })).toThrow(
      /OMB_INSTRUMENTS_MAX_SERIES/,
    );
  });

  it('folds series beyond maxSeries, across instruments, into the overflow series and counts them', async () => {
    vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const tm = testMeter({ instruments: { maxSeries: 3 } });
    const a = tm.instruments.counter('a');
    const b = tm.instruments.counter('b');
    a.inc({ k: '1' });
    a.inc({ k: '2' });
    b.inc({ k: '1' });
    b.inc({ k: '2' });
    b.inc({ k: '3' });
    const snap = await tm.collect();
    expect(snap.counter('b', { k: '1' })).toBe(1);
    expect(snap.counter('b', { 'otel.metric.overflow': true })).toBe(2);
    expect(snap.counter('omb.instrument.problems', { 'omb.instrument': 'b', 'error.type': 'overflow' })).toBe(
      2,
    );
    // Unregistering frees the budget.
    tm.instruments.unregister('a');
    b.inc({ k: '4' });
    expect(b.value({ k: '4' })).toBe(1);
  });
});

describe('exposition', () => {
  it('passes promtool and the reference parsers with every kind', async () => {
    const tm = testMeter({ namespace: 'shop' });
    const m = tm.instruments;
    m.counter('orders', { labels: ['method'] }).inc({ method: 'card' });
    m.gauge('depth').set(3);
    m.histogram('latency', { unit: 's' }).observe(0.2, { route: '/a' });
    const s = m.summary('size', { unit: 'By', labels: ['kind'] });
    for (let i = 1; i <= 10; i++) s.observe(i * 100, { kind: 'json' });
    m.timer('job').record(1.5);
    const text = await tm.exposition();
    await promtoolCheck(text);
    const families = await referenceParse(text);
    const summary = families.find((f) => f.name === 'shop_size_bytes');
    expect(summary?.type).toBe('summary');
    expect(summary?.samples.map((x) => x.name)).toEqual([
      'shop_size_bytes',
      'shop_size_bytes',
      'shop_size_bytes',
      'shop_size_bytes_sum',
      'shop_size_bytes_count',
    ]);
    const om = await tm.exposition('openmetrics');
    const omFamilies = await referenceParse(om, 'openmetrics');
    expect(omFamilies.find((f) => f.name === 'shop_size_bytes')?.type).toBe('summary');
    expect(omFamilies.find((f) => f.name === 'shop_orders')?.samples[0]?.value).toBe(1);
  });
});
