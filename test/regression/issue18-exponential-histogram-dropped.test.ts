// Issue 18: an instrument aggregated as an exponential histogram (a view with `EXPONENTIAL_HISTOGRAM`) was left out
// of both text formats (`unsupported_type`, one warning), so it vanished from Prometheus without a trace but a
// self-metric. It is now served as a classic histogram with exact bucket bounds.

import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import type { ExpositionStats } from '../../src/prometheus/exposition-stats.js';
import { PrometheusSerializer } from '../../src/prometheus/serializer.js';
import { expectExposition } from '../../src/testing/index.js';
import { expectValidInBothFormats } from '../helpers.js';
import { TestReader } from '../prometheus/support.js';

describe('an exponential histogram in the text formats', () => {
  it('is served as a classic histogram, not dropped', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({
      readers: [reader],
      views: [
        { instrumentName: 'upload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
      ],
    });
    const h = provider.getMeter('app').createHistogram('upload.size', { unit: 'By' });
    for (const v of [100, 2000, 30000]) h.record(v);
    const { resourceMetrics } = await reader.collect();
    const serializer = new PrometheusSerializer({ targetInfo: false });
    const stats: ExpositionStats = { series: 0, overflow: new Map() };
    const { text, om } = await expectValidInBothFormats(async (format) =>
      Buffer.concat([
        ...serializer.chunks(resourceMetrics, format, format === 'text' ? stats : undefined),
      ]).toString(),
    );
    expect(stats.dropped).toBeUndefined();
    for (const body of [text, om]) {
      expectExposition(body)
        .toHaveFamily('upload_size_bytes', { type: 'histogram' })
        .toHaveSample('upload_size_bytes_count', {}, 3)
        .toHaveSample('upload_size_bytes_sum', {}, 32100)
        .toHaveSample('upload_size_bytes_bucket', { le: '+Inf' }, 3);
    }
    await provider.shutdown();
  });
});
