// Issue 10, finding 2: an instrument named '' or '_total' produced `# TYPE  counter` with no name, and names that
// clash once translated (a counter `x` next to a counter `x_total`, a histogram `h` next to a gauge `h_count`)
// produced duplicate HELP lines and duplicate samples; Prometheus rejected the scrape (up=0).

import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExpositionStats } from '../../src/prometheus/exposition-stats.js';
import { PrometheusSerializer } from '../../src/prometheus/serializer.js';
import { createTestMeter, expectExposition } from '../../src/testing/index.js';
import { captureDiag, expectValidInBothFormats } from '../helpers.js';
import { TestReader } from '../prometheus/support.js';

let restore = () => {};
afterEach(() => restore());

describe('metric names that cannot be represented or that clash once translated', () => {
  it('leave out nameless instruments with one warning each, and count them', async () => {
    const log = captureDiag();
    restore = log.restore;
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const meter = provider.getMeter('app');
    meter.createCounter('').add(1);
    meter.createCounter('_total').add(1);
    meter.createGauge('…').record(1);
    meter.createCounter('kept').add(1);
    const serializer = new PrometheusSerializer({ targetInfo: false });
    const { resourceMetrics } = await reader.collect();
    for (let i = 0; i < 2; i++) {
      const stats: ExpositionStats = { series: 0, overflow: new Map() };
      const text = Buffer.concat([...serializer.chunks(resourceMetrics, 'text', stats)]).toString();
      expect(text).not.toMatch(/^# (TYPE|HELP) {2}/m);
      expect(text.match(/^# TYPE /gm)).toEqual(['# TYPE ']);
      expect([...(stats.dropped?.values() ?? [])]).toEqual([
        { instrument: '', reason: 'invalid_name', series: 1 },
        { instrument: '_total', reason: 'invalid_name', series: 1 },
        { instrument: '…', reason: 'invalid_name', series: 1 },
      ]);
    }
    expect(log.messages.filter((m) => m.includes('no letter or digit'))).toHaveLength(3);
    const both = await expectValidInBothFormats(async (f) => serializer.serialize(resourceMetrics, f));
    expectExposition(both.text).toHaveSample('kept_total', {}, 1);
    await provider.shutdown();
  });

  it('keep the first family that uses a name, so no sample or family name appears twice', async () => {
    const log = captureDiag();
    restore = log.restore;
    const metrics = createTestMeter();
    const m = metrics.meter;
    m.createCounter('x').add(1);
    m.createCounter('x_total').add(2);
    m.createHistogram('h').record(1);
    m.createGauge('h_count').record(3);
    m.createGauge('g_count').record(4);
    m.createHistogram('g').record(1);
    m.createGauge('y').record(5);
    m.createCounter('y').add(6);

    // A gauge named `g_count` is what this test is about; promtool's linter dislikes the name, its parser does not.
    const { text, om } = await expectValidInBothFormats(
      (f) => metrics.exposition(f),
      [/^g_count non-histogram and non-summary metrics should not have "_count" suffix$/],
    );
    for (const body of [text, om]) {
      const families = [...body.matchAll(/^# TYPE (\S+) /gm)].map((t) => t[1]);
      expect(new Set(families).size, body).toBe(families.length);
      const samples = body
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => l.replace(/ [^ ]+$/, ''));
      expect(new Set(samples).size, body).toBe(samples.length);
    }
    expectExposition(text)
      .toHaveSample('x_total', {}, 1)
      .toHaveSample('h_count', {}, 1)
      .toHaveSample('g_count', {}, 4)
      .toHaveSample('y', {}, 5);
    expect(text).not.toMatch(/^# TYPE g histogram/m);
    expect(text).not.toMatch(/^# TYPE y_total/m);
    expect(log.messages.filter((msg) => msg.includes('already used'))).toHaveLength(4);
    await metrics.shutdown();
  });
});
