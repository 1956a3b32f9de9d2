import { metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { initMeter, type MetricsHandle } from '../../src/init.js';
import { exactly, expectExposition } from '../../src/testing/index.js';
import { promtoolCheck, referenceParse } from '../helpers.js';

let handle: MetricsHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

async function start(config: Parameters<typeof initMeter>[0] = {}): Promise<MetricsHandle> {
  handle = initMeter({
    serviceName: 'checkout',
    serviceVersion: '1.2.3',
    ...config,
    prometheus: { port: 0, ...(config.prometheus || {}) },
  });
  await handle.ready;
  return handle;
}

async function scrape(h: MetricsHandle): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(h.metricsUrl!);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('the /metrics exposition', () => {
  it('names a seconds histogram with _seconds and the configured buckets, and a {order} counter with _total', async () => {
    const h = await start({ histograms: { 'checkout.duration': [0.1, 0.5, 1, 5] } });
    h.meter.createHistogram('checkout.duration', { unit: 's', description: 'Time to check out' }).record(0.3);
    h.meter
      .createCounter('orders.placed', { unit: '{order}', description: 'Orders placed' })
      .add(2, { 'payment.method': 'card' });

    const { status, headers, text } = await scrape(h);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(headers.get('cache-control')).toBe('no-store');
    const les = [...text.matchAll(/^checkout_duration_seconds_bucket\{.*le="([^"]+)"\} (\d+)$/gm)].map(
      (m) => [m[1], m[2]],
    );
    expect(les).toEqual([
      ['0.1', '0'],
      ['0.5', '1'],
      ['1', '1'],
      ['5', '1'],
      ['+Inf', '1'],
    ]);
    const scope = { otel_scope_name: 'checkout', otel_scope_version: '1.2.3' };
    expectExposition(text)
      .toHaveFamily('checkout_duration_seconds', { type: 'histogram', help: 'Time to check out' })
      .toHaveSample('checkout_duration_seconds_sum', scope, 0.3)
      .toHaveSample('checkout_duration_seconds_count', scope, 1)
      .toHaveSample('orders_placed_total', exactly({ ...scope, payment_method: 'card' }), 2);
    // Text 0.0.4 names the counter family with its _total on the TYPE line.
    expect(text).toContain('# TYPE orders_placed_total counter');
    await promtoolCheck(text);
    const families = await referenceParse(text);
    expect(families.find((f) => f.name === 'checkout_duration_seconds')?.type).toBe('histogram');
    expect(families.find((f) => f.name === 'orders_placed')?.type).toBe('counter');
  });

  it('gives unit-less-advised histograms seconds buckets for `s` and byte buckets for `By`', async () => {
    const h = await start();
    h.meter.createHistogram('job.duration', { unit: 's' }).record(0.02);
    h.meter.createHistogram('payload.size', { unit: 'By' }).record(3000);
    h.meter
      .createHistogram('explicit', { unit: 's', advice: { explicitBucketBoundaries: [1, 2] } })
      .record(1.5);
    const { text } = await scrape(h);
    const les = (name: string) =>
      [...text.matchAll(new RegExp(`^${name}_bucket\\{.*le="([^"]+)"`, 'gm'))].map((m) => m[1]).join(',');
    expect(les('job_duration_seconds')).toBe(
      '0.005,0.01,0.025,0.05,0.075,0.1,0.25,0.5,0.75,1,2.5,5,7.5,10,+Inf',
    );
    expect(les('payload_size_bytes')).toBe(
      '128,512,1024,4096,16384,65536,262144,1048576,4194304,16777216,67108864,+Inf',
    );
    expect(les('explicit_seconds')).toBe('1,2,+Inf');
    await promtoolCheck(text);
  });

  it('writes one HELP and one TYPE when two meters emit the same metric name', async () => {
    const h = await start();
    h.meter.createCounter('jobs.done', { description: 'Jobs done' }).add(1);
    metrics.getMeter('worker', '2.0.0').createCounter('jobs.done', { description: 'Jobs done' }).add(5);
    const { text } = await scrape(h);
    expect(text.match(/^# HELP jobs_done_total /gm)).toHaveLength(1);
    expect(text.match(/^# TYPE jobs_done_total /gm)).toHaveLength(1);
    expectExposition(text)
      .toHaveSample('jobs_done_total', exactly({ otel_scope_name: 'worker', otel_scope_version: '2.0.0' }), 5)
      .toHaveSample(
        'jobs_done_total',
        exactly({ otel_scope_name: 'checkout', otel_scope_version: '1.2.3' }),
        1,
      );
    await promtoolCheck(text);
    await referenceParse(text);
  });

  it('escapes backslashes, quotes and newlines in label values and keeps emoji and empty strings', async () => {
    const h = await start();
    const tricky = ['say "hi"', 'C:\\path\\', 'two\nlines', '🚀 ünïcode', ''];
    const c = h.meter.createCounter('tricky', { description: 'Tricky labels' });
    for (const [i, v] of tricky.entries()) c.add(i + 1, { value: v });
    const { text } = await scrape(h);
    await promtoolCheck(text);
    const family = (await referenceParse(text)).find((f) => f.name === 'tricky');
    const got = Object.fromEntries(family!.samples.map((s) => [s.labels['value'], s.value]));
    expect(got).toEqual(Object.fromEntries(tricky.map((v, i) => [v, i + 1])));
  });

  it('emits target_info with the resource attributes and without process.command_args', async () => {
    const h = await start({ environment: 'staging', resourceAttributes: { 'team.name': 'payments' } });
    h.meter.createCounter('x').add(1);
    const { text } = await scrape(h);
    const exposition = expectExposition(text).toHaveSample(
      'target_info',
      {
        service_name: 'checkout',
        service_version: '1.2.3',
        deployment_environment_name: 'staging',
        team_name: 'payments',
        process_pid: String(process.pid),
      },
      1,
    );
    const labels = exposition.samples('target_info')[0]!.labels;
    expect(labels['service_instance_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(labels).toHaveProperty('host_name');
    expect(text).not.toContain('process_command_args');
  });

  it('takes resource attributes from OTEL_RESOURCE_ATTRIBUTES and lets OTEL_SERVICE_NAME win for service.name', async () => {
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'service.name=from-attrs,cloud.region=eu-west-1');
    vi.stubEnv('OTEL_SERVICE_NAME', 'from-env');
    try {
      handle = initMeter({ prometheus: { port: 0 } });
      await handle.ready;
      handle.meter.createCounter('x').add(1);
      expectExposition((await scrape(handle)).text).toHaveSample('target_info', {
        cloud_region: 'eu-west-1',
        service_name: 'from-env',
      });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('folds attribute sets past the cardinality limit into the otel_metric_overflow series', async () => {
    const h = await start({ cardinalityLimits: { 'user.requests': 5 } });
    const c = h.meter.createCounter('user.requests');
    for (let i = 0; i < 50; i++) c.add(1, { 'user.id': `u${i}` });
    const { text } = await scrape(h);
    const exposition = expectExposition(text);
    expect(exposition.samples('user_requests_total')).toHaveLength(5);
    exposition.toHaveSample('user_requests_total', { otel_metric_overflow: 'true' }, 46);
    await promtoolCheck(text);
  });

  it('applies the default cardinality limit to every instrument', async () => {
    const h = await start({ cardinalityLimit: 3 });
    const g = h.meter.createUpDownCounter('sessions');
    for (let i = 0; i < 10; i++) g.add(1, { shard: i });
    const { text } = await scrape(h);
    expect(expectExposition(text).samples('sessions')).toHaveLength(3);
  });

  it('keeps only allow-listed attribute keys', async () => {
    const h = await start({ attributes: { 'api.calls': ['route'] } });
    const c = h.meter.createCounter('api.calls');
    c.add(1, { route: '/a', 'user.id': '1' });
    c.add(1, { route: '/a', 'user.id': '2' });
    const { text } = await scrape(h);
    expectExposition(text).toHaveSample(
      'api_calls_total',
      exactly({ otel_scope_name: 'checkout', otel_scope_version: '1.2.3', route: '/a' }),
      2,
    );
    expect(text).not.toContain('user_id');
  });

  it('passes raw SDK views through', async () => {
    const h = await start({ views: [{ instrumentName: 'renamed.src', name: 'renamed.dst' }] });
    h.meter.createCounter('renamed.src').add(1);
    const { text } = await scrape(h);
    expectExposition(text).toHaveSample('renamed_dst_total', {}, 1);
    expect(text).not.toContain('renamed_src');
  });

  it('can leave out target_info and the scope labels', async () => {
    const h = await start({ prometheus: { targetInfo: false, scopeInfo: false } });
    h.meter.createCounter('bare').add(1);
    const { text } = await scrape(h);
    expect(text).not.toContain('target_info');
    // No labels at all: neither otel_scope_* nor anything else.
    const bare = expectExposition(text).samples('bare_total');
    expect(bare.map(({ labels, value }) => ({ labels, value }))).toEqual([{ labels: {}, value: 1 }]);
  });

  it('answers 404 to other paths and 405 with Allow to POST', async () => {
    const h = await start();
    const base = new URL(h.metricsUrl!);
    expect((await fetch(new URL('/other', base))).status).toBe(404);
    const post = await fetch(h.metricsUrl!, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
