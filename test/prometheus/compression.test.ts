import { gunzipSync, inflateSync } from 'node:zlib';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { promtoolCheck, referenceParse } from '../helpers.js';
import { raw, startEndpoint, TestReader } from './support.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()?.();
});

async function serve(overrides: Parameters<typeof startEndpoint>[1]) {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const counter = provider.getMeter('zip').createCounter('requests', { description: 'Requests' });
  for (let i = 0; i < 200; i++) counter.add(i, { route: `/items/${i}`, label: 'ünïcödé 😀' });
  const started = await startEndpoint(reader, overrides);
  stops.push(
    () => started.server.close(),
    () => provider.shutdown(),
  );
  return started;
}

describe('compression', () => {
  it('gzips when asked, with Vary, and the body round-trips to the identity body', async () => {
    // A long cache TTL makes both requests read the same scrape.
    const { url } = await serve({ cacheTtl: 60_000 });
    const plain = await raw(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const zipped = await raw(url, { headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept, Accept-Encoding');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 4);
    const unzipped = gunzipSync(zipped.body);
    expect(unzipped.equals(plain.body)).toBe(true);
    await promtoolCheck(unzipped.toString());
  });

  it('deflates OpenMetrics for a client that only takes deflate', async () => {
    const { url } = await serve({});
    const res = await raw(url, {
      headers: { 'accept-encoding': 'deflate', accept: 'application/openmetrics-text; version=1.0.0' },
    });
    expect(res.headers['content-encoding']).toBe('deflate');
    const text = inflateSync(res.body).toString();
    expect(text.endsWith('# EOF\n')).toBe(true);
    await referenceParse(text, 'openmetrics');
  });

  it('sends bodies under the threshold uncompressed, and nothing compressed when compression is off', async () => {
    const small = await serve({ compressionThreshold: 10_000_000 });
    const a = await raw(small.url, { headers: { 'accept-encoding': 'gzip' } });
    expect(a.headers['content-encoding']).toBeUndefined();
    expect(a.body.toString()).toContain('requests_total');
    const off = await serve({ compression: false });
    const b = await raw(off.url, { headers: { 'accept-encoding': 'gzip' } });
    expect(b.headers['content-encoding']).toBeUndefined();
  });
});
