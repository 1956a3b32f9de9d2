// Issue 10, finding 7: the SDK threw a TypeError into the app from add()/record() for BigInt attribute values,
// a null attributes object, a throwing getter or a circular array; exported objects as "[object Object]" and
// functions as their source; a counter given NaN (and an observable counter observing NaN or +Inf) exported NaN
// for good, which made the reference OpenMetrics parser reject the whole document; a raw CR in a label value made
// the reference parser reject the document.
import type { Attributes } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestMeter, expectExposition } from '../../src/testing/index.js';
import { captureDiag, expectValidInBothFormats } from '../helpers.js';

let restore = () => {};
afterEach(() => restore());

const circular: unknown[] = ['a'];
circular.push(circular);
const HOSTILE: [string, unknown][] = [
  ['a BigInt value', { tier: 10n }],
  ['null as the attributes', null],
  [
    'a throwing getter',
    Object.defineProperty({ tier: 'gold' }, 'region', {
      get: () => {
        throw new Error('getter');
      },
      enumerable: true,
    }),
  ],
  ['a circular array', { path: circular }],
  ['an object value', { tier: { name: 'gold' } }],
  [
    'a function value',
    {
      tier: function secret() {
        return 'source code';
      },
    },
  ],
];

describe('bad values and attributes at record time', () => {
  it.each(HOSTILE)('never throw into the app: %s', async (_, attributes) => {
    const log = captureDiag();
    restore = log.restore;
    const metrics = createTestMeter();
    const m = metrics.meter;
    const instruments = [
      (a: Attributes) => m.createCounter('c').add(1, a),
      (a: Attributes) => m.createUpDownCounter('u').add(1, a),
      (a: Attributes) => m.createHistogram('h').record(1, a),
      (a: Attributes) => m.createGauge('g').record(1, a),
    ];
    for (const record of instruments) {
      expect(() => record(attributes as Attributes)).not.toThrow();
      expect(() => record(attributes as Attributes)).not.toThrow();
    }
    const { text } = await expectValidInBothFormats((f) => metrics.exposition(f));
    expect(text).not.toContain('[object Object]');
    expect(text).not.toContain('source code');
    // The measurement is kept, without the attribute it could not take.
    expectExposition(text).toHaveSample('c_total', { otel_scope_name: 'otel-metrics-bootstrap' }, 2);
    // Reported once per instrument, not per call.
    expect(log.messages.filter((msg) => msg.includes('"c"'))).toHaveLength(1);
    await metrics.shutdown();
  });

  it('never export NaN in a counter, from add() or from an observable callback', async () => {
    const metrics = createTestMeter();
    const m = metrics.meter;
    const counter = m.createCounter('requests');
    counter.add(1);
    counter.add(Number.NaN);
    counter.add(Number.POSITIVE_INFINITY);
    counter.add(2);
    m.createHistogram('latency').record(Number.NaN);
    m.createObservableCounter('polled').addCallback((result) => {
      result.observe(Number.NaN, { source: 'nan' });
      result.observe(Number.POSITIVE_INFINITY, { source: 'inf' });
      result.observe(4, { source: 'ok' });
    });
    const { text, om } = await expectValidInBothFormats((f) => metrics.exposition(f));
    for (const body of [text, om]) expect(body).not.toMatch(/ (NaN|\+Inf)$/m);
    expectExposition(text)
      .toHaveSample('requests_total', {}, 3)
      .toHaveSample('polled_total', { source: 'ok' }, 4)
      .not.toHaveSample('polled_total', { source: 'nan' });
    await metrics.shutdown();
  });

  it('replace CR and other control characters in label values, so every parser reads the document', async () => {
    const metrics = createTestMeter();
    metrics.meter
      .createCounter('lines', { description: 'Lines\r with a CR' })
      .add(1, { raw: 'a\rb\u0000c\u0085d\u2028e', kept: 'tab\there "quoted"\nnewline' });
    const { families, omFamilies } = await expectValidInBothFormats((f) => metrics.exposition(f));
    for (const parsed of [families, omFamilies]) {
      const sample = parsed.find((f) => f.name === 'lines')?.samples[0];
      expect(sample?.labels).toMatchObject({
        raw: 'a\ufffdb\ufffdc\ufffdd\ufffde',
        kept: 'tab\ufffdhere "quoted"\nnewline',
      });
    }
    await metrics.shutdown();
  });
});
