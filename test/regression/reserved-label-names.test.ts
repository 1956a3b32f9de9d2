// Issue 10, finding 1: an attribute named `le` on a histogram, or `otel.scope.name` / `otel_scope_version` on
// anything, repeated a label the exposition writes itself, and Prometheus rejected the whole scrape
// ("label name "le" is not unique", up=0).
import { describe, expect, it } from 'vitest';
import { createTestMeter, expectExposition } from '../../src/testing/index.js';
import { expectValidInBothFormats } from '../helpers.js';

describe('attributes named like labels the exposition writes itself', () => {
  it('are renamed with the key_ prefix, so every label name is unique and both formats parse', async () => {
    const metrics = createTestMeter();
    const histogram = metrics.meter.createHistogram('upload.duration', { unit: 's' });
    histogram.record(0.1, { le: '5', quantile: '0.9' });
    const counter = metrics.meter.createCounter('uploads');
    counter.add(1, { 'otel.scope.name': 'spoofed', otel_scope_version: '9', 'otel.scope.schema_url': 'x' });

    const { text, omFamilies } = await expectValidInBothFormats((f) => metrics.exposition(f));
    expectExposition(text)
      .toHaveSample('upload_duration_seconds_bucket', { le: '0.25', key_le: '5', key_quantile: '0.9' }, 1)
      .toHaveSample('upload_duration_seconds_count', { key_le: '5' }, 1)
      .toHaveSample(
        'uploads_total',
        {
          otel_scope_name: 'otel-metrics-bootstrap',
          key_otel_scope_name: 'spoofed',
          key_otel_scope_version: '9',
          key_otel_scope_schema_url: 'x',
        },
        1,
      );
    for (const line of text.split('\n').filter((l) => l.includes('{'))) {
      const names = [...line.matchAll(/[{,]([a-zA-Z_][a-zA-Z0-9_]*)="/g)].map((m) => m[1]);
      expect(new Set(names).size, line).toBe(names.length);
    }
    const buckets = omFamilies
      .find((f) => f.name === 'upload_duration_seconds')
      ?.samples.filter((s) => s.name.endsWith('_bucket'));
    expect(buckets?.every((s) => s.labels['key_le'] === '5')).toBe(true);
    await metrics.shutdown();
  });
});
