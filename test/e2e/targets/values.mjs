// Issue 10, finding 7: values and attributes the SDK threw on, exported as garbage, or kept at NaN for good.
const circular = ['a'];
circular.push(circular);
const throwing = Object.defineProperty({ tier: 'gold' }, 'region', {
  enumerable: true,
  get() {
    throw new Error('getter');
  },
});
const BAD_ATTRIBUTES = [
  { tier: 10n },
  null,
  throwing,
  { path: circular },
  { tier: { name: 'gold' } },
  { tier: () => 'source code' },
  { tier: Symbol('s') },
  'not an object',
];

export default function record(handle) {
  const meter = handle.meter;
  const counter = meter.createCounter('requests');
  const upDown = meter.createUpDownCounter('in.flight');
  const histogram = meter.createHistogram('latency', { unit: 's' });
  const gauge = meter.createGauge('temperature');
  for (const attributes of BAD_ATTRIBUTES) {
    counter.add(1, attributes);
    upDown.add(1, attributes);
    histogram.record(0.1, attributes);
    gauge.record(1, attributes);
  }
  for (const value of [Number.NaN, Number.POSITIVE_INFINITY, -1, '5', 5n, undefined]) {
    counter.add(value);
    upDown.add(value);
    histogram.record(value);
  }
  gauge.record(Number.NaN, { reading: 'unknown' });
  meter.createObservableCounter('polled').addCallback((result) => {
    result.observe(Number.NaN, { source: 'nan' });
    result.observe(Number.POSITIVE_INFINITY, { source: 'inf' });
    result.observe(-1, { source: 'negative' });
    result.observe(4, { tier: 10n });
    result.observe(2, null);
  });
  const batchGauge = meter.createObservableGauge('pool.size');
  const batchCounter = meter.createObservableCounter('pool.checkouts');
  meter.addBatchObservableCallback(
    (result) => {
      result.observe(batchGauge, 1, throwing);
      result.observe(batchCounter, Number.NaN);
      result.observe(batchCounter, 2, { path: circular });
    },
    [batchGauge, batchCounter],
  );
}
