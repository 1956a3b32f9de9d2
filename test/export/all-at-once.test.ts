import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { MetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsoleRecord } from '../../src/export/options.js';
import { initMeter } from '../../src/init.js';
import { expectExposition } from '../../src/testing/index.js';
import { lastValue, otlpHttpReceiver, startPushgateway, waitFor } from './receivers.js';

class PullReader extends MetricReader {
  protected override async onForceFlush() {}
  protected override async onShutdown() {}
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('several exporters at once', () => {
  it('feeds Prometheus, OTLP, Pushgateway, StatsD, console and a user reader the same counter value', async () => {
    const receiver = await otlpHttpReceiver();
    cleanup.push(receiver.close);
    const gateway = await startPushgateway();
    cleanup.push(gateway.stop);
    const udp = createSocket('udp4');
    const statsdLines: string[] = [];
    udp.on('message', (m) => statsdLines.push(...m.toString().split('\n')));
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    cleanup.push(() => new Promise<void>((r) => udp.close(() => r())));
    const records: ConsoleRecord[] = [];
    const mine = new PullReader();

    const h = initMeter({
      runtime: false,
      host: false,
      prometheus: { port: 0 },
      otlp: { endpoint: receiver.url, intervalMs: 3_600_000 },
      pushgateway: { url: gateway.url, job: 'all', intervalMs: 3_600_000 },
      statsd: { host: '127.0.0.1', port: (udp.address() as AddressInfo).port, intervalMs: 3_600_000 },
      console: { write: (r) => records.push(r), intervalMs: 3_600_000 },
      readers: [mine],
    });
    cleanup.push(() => h.shutdown());
    await h.ready;
    h.meter.createCounter('everywhere').add(11, { via: 'all' });
    // The user's reader also gets the HTTP metrics, like the built-in ones.
    await fetch(h.metricsUrl!).then((r) => r.text());
    await h.forceFlush();

    expectExposition(await (await fetch(h.metricsUrl!)).text()).toHaveSample(
      'everywhere_total',
      { via: 'all' },
      11,
    );
    expect(
      lastValue(
        receiver.requests.flatMap((r) => r.points),
        'everywhere',
        { via: 'all' },
      )?.value,
    ).toBe(11);
    expectExposition(await gateway.metrics()).toHaveSample(
      'everywhere_total',
      { job: 'all', via: 'all' },
      11,
    );
    await waitFor(() => statsdLines.includes('everywhere:11|c'));
    expect(records.find((r) => r.name === 'everywhere')).toMatchObject({
      value: 11,
      attributes: { via: 'all' },
      type: 'counter',
    });
    const { resourceMetrics } = await mine.collect();
    const points = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    expect(points.find((m) => m.descriptor.name === 'everywhere')?.dataPoints[0]?.value).toBe(11);
    expect(points.map((m) => m.descriptor.name)).toContain('http.client.request.duration');
  });

  it('reports one problem for an unknown exporter name and keeps the valid ones (register starts them)', async () => {
    const { resolveConfig } = await import('../../src/config.js');
    const env = { OTEL_METRICS_EXPORTER: 'otlp,carrier-pigeon' };
    expect(() => resolveConfig({}, env)).toThrow(/carrier-pigeon/);
    const skipped: string[] = [];
    const config = resolveConfig({}, env, { onUnknownExporter: (m) => skipped.push(m) });
    expect(config.otlp).toBeDefined();
    expect(config.prometheus).toBeUndefined();
    expect(skipped).toEqual([expect.stringContaining('unknown exporter "carrier-pigeon"')]);
  });
});
