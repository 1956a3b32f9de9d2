import { gunzipSync, inflateSync } from 'node:zlib';
import type { CollectionResult } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import type { ProtobufSerializer } from '../../src/prometheus/protobuf.js';
import { ScrapeError, ScrapeProducer } from '../../src/prometheus/scrape.js';

const source = {
  collect: async () =>
    ({ resourceMetrics: { resource: {}, scopeMetrics: [] }, errors: [] }) as unknown as CollectionResult,
};

/**
 * A serializer writing `count` numbered lines, one chunk each, spending `busyMs` on each: longer than a slice
 * (8 ms) in all, so the producer yields between slices and hands each slice to the compressions under way.
 */
function lines(count: number, busyMs: number): ProtobufSerializer {
  return {
    escapingFor: (e: string) => e,
    *chunks() {
      for (let i = 0; i < count; i++) {
        const until = performance.now() + busyMs;
        while (performance.now() < until) {
          // Busy, as a serializer writing many series is.
        }
        yield Buffer.from(`metric_${i}{label="value ${i}"} ${i}\n`.repeat(20));
      }
    },
  } as unknown as ProtobufSerializer;
}

function producer(serializer: ProtobufSerializer, overrides: { maxResponseBytes?: number } = {}) {
  return new ScrapeProducer(source, serializer, {
    compressionThreshold: 1024,
    cacheTtl: 0,
    coalesceWindow: 1000,
    scrapeTimeout: 10_000,
    maxResponseBytes: overrides.maxResponseBytes ?? 100_000_000,
  });
}

const bytes = (body: { chunks: readonly Buffer[] }) => Buffer.concat(body.chunks as Buffer[]);

describe('compressing while serializing', () => {
  it('gives gzip and deflate bodies of a many-slice exposition that decompress to the identity body', async () => {
    const p = producer(lines(12, 2));
    const [gzip, deflate, plain] = await Promise.all([
      p.body('text', 'gzip'),
      p.body('text', 'deflate'),
      p.body('text', undefined),
    ]);
    expect(plain.encoding).toBeUndefined();
    expect(plain.chunks.length).toBe(12);
    expect(gzip.encoding).toBe('gzip');
    expect(deflate.encoding).toBe('deflate');
    expect(gunzipSync(bytes(gzip)).equals(bytes(plain))).toBe(true);
    expect(inflateSync(bytes(deflate)).equals(bytes(plain))).toBe(true);
    expect(gzip.bytes).toBe(bytes(gzip).length);
  });

  it('sends a body under the threshold as it is, even when gzip was asked', async () => {
    const body = await producer(lines(1, 0)).body('text', 'gzip');
    expect(body.encoding).toBeUndefined();
    expect(bytes(body).toString()).toContain('metric_0{label="value 0"} 0');
  });

  it('fails a compressed body as the identity one when the exposition is too large', async () => {
    const p = producer(lines(12, 1), { maxResponseBytes: 5000 });
    await expect(p.body('text', 'gzip')).rejects.toBeInstanceOf(ScrapeError);
    await expect(p.body('text', 'gzip')).rejects.toMatchObject({ kind: 'response_too_large' });
  });
});
