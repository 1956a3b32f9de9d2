import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { initMeter, type MetricsHandle } from '../../src/init.js';
import { decodeProtobuf, lastValue, otlpHttpReceiver, type ReceivedPoint, waitFor } from './receivers.js';

const run = promisify(execFile);
const QUIET = { runtime: false, host: false, prometheus: false } as const;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  vi.unstubAllEnvs();
});
function init(config: Parameters<typeof initMeter>[0]): MetricsHandle {
  const h = initMeter(config);
  cleanup.push(() => h.shutdown());
  return h;
}

describe('OTLP export', () => {
  it('sends http/protobuf to /v1/metrics with the headers and gzip, cumulative by default', async () => {
    const receiver = await otlpHttpReceiver();
    cleanup.push(receiver.close);
    const h = init({
      ...QUIET,
      serviceName: 'orders',
      otlp: {
        endpoint: receiver.url,
        intervalMs: 50,
        headers: { 'x-api-key': 's3cret' },
        compression: 'gzip',
      },
    });
    h.meter.createCounter('orders.placed', { unit: '{order}' }).add(5, { 'payment.method': 'card' });
    const req = await waitFor(() => receiver.requests.find((r) => lastValue(r.points, 'orders.placed')));
    expect(req.path).toBe('/v1/metrics');
    expect(req.headers['x-api-key']).toBe('s3cret');
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(req.headers['content-type']).toBe('application/x-protobuf');
    const point = lastValue(req.points, 'orders.placed', { 'payment.method': 'card' });
    expect(point).toMatchObject({ kind: 'sum', unit: '{order}', temporality: 2, value: 5 });
    expect(point?.resource['service.name']).toBe('orders');
  });

  it('sends http/json with delta temporality for counters and histograms, cumulative for up-down counters', async () => {
    const receiver = await otlpHttpReceiver();
    cleanup.push(receiver.close);
    const h = init({
      ...QUIET,
      otlp: {
        endpoint: `${receiver.url}/custom/path`,
        protocol: 'http/json',
        intervalMs: 50,
        temporality: 'delta',
      },
    });
    const jobs = h.meter.createCounter('jobs.done');
    const queue = h.meter.createUpDownCounter('queue.depth');
    const took = h.meter.createHistogram('job.duration', { unit: 's' });
    jobs.add(2);
    queue.add(7);
    took.record(0.5);
    took.record(1.5);
    const req = await waitFor(() => receiver.requests.find((r) => lastValue(r.points, 'jobs.done')));
    expect(req.path).toBe('/custom/path');
    expect(req.headers['content-type']).toBe('application/json');
    expect(lastValue(req.points, 'jobs.done')).toMatchObject({ temporality: 1, value: 2 });
    expect(lastValue(req.points, 'queue.depth')).toMatchObject({ temporality: 2, value: 7 });
    expect(lastValue(req.points, 'job.duration')).toMatchObject({
      kind: 'histogram',
      temporality: 1,
      value: 2,
      sum: 2,
    });
    // Delta: the next export carries only what happened since.
    jobs.add(1);
    const next = await waitFor(() =>
      receiver.requests
        .slice(receiver.requests.indexOf(req) + 1)
        .find((r) => lastValue(r.points, 'jobs.done')),
    );
    expect(lastValue(next.points, 'jobs.done')?.value).toBe(1);
  });

  it('sends grpc to a @grpc/grpc-js server with the headers as metadata', async () => {
    const received: { points: ReceivedPoint[]; metadata: grpc.Metadata }[] = [];
    const server = new grpc.Server();
    server.addService(
      {
        Export: {
          path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
          requestStream: false,
          responseStream: false,
          requestSerialize: (v: Buffer) => v,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: () => Buffer.alloc(0),
          responseDeserialize: (b: Buffer) => b,
        },
      },
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          received.push({ points: decodeProtobuf(call.request), metadata: call.metadata });
          callback(null, Buffer.alloc(0));
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    cleanup.push(() => new Promise((resolve) => server.tryShutdown(resolve)));
    const h = init({
      ...QUIET,
      otlp: {
        endpoint: `http://127.0.0.1:${port}`,
        protocol: 'grpc',
        intervalMs: 50,
        headers: { tenant: 'acme' },
      },
    });
    h.meter.createCounter('grpc.sent').add(3, { kind: 'test' });
    const got = await waitFor(() => received.find((r) => lastValue(r.points, 'grpc.sent')));
    expect(lastValue(got.points, 'grpc.sent', { kind: 'test' })).toMatchObject({ value: 3, temporality: 2 });
    expect(got.metadata.get('tenant')).toEqual(['acme']);
  });

  it('follows the spec for the endpoint variables: the metrics one as-is, the generic one plus /v1/metrics', async () => {
    const receiver = await otlpHttpReceiver();
    cleanup.push(receiver.close);
    vi.stubEnv('OTEL_METRICS_EXPORTER', 'otlp');
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `${receiver.url}/base`);
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'authorization=Bearer%20abc,x-team=core');
    vi.stubEnv('OTEL_EXPORTER_OTLP_METRICS_HEADERS', 'x-team=metrics');
    vi.stubEnv('OTEL_EXPORTER_OTLP_COMPRESSION', 'gzip');
    vi.stubEnv('OTEL_METRIC_EXPORT_INTERVAL', '50');
    const h = init({ runtime: false, host: false });
    expect(h.config.prometheus).toBeUndefined();
    h.meter.createCounter('env.rules').add(1);
    const req = await waitFor(() => receiver.requests.find((r) => lastValue(r.points, 'env.rules')));
    expect(req.path).toBe('/base/v1/metrics');
    expect(req.headers['authorization']).toBe('Bearer abc');
    expect(req.headers['x-team']).toBe('metrics');
    expect(req.headers['content-encoding']).toBe('gzip');

    const env = {
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318/',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://specific:9999/exact',
    };
    expect(resolveConfig({}, env).otlp?.endpoint).toBe('http://specific:9999/exact');
    expect(resolveConfig({}, { ...env, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: undefined }).otlp?.endpoint).toBe(
      'http://generic:4318/v1/metrics',
    );
    expect(
      resolveConfig(
        {},
        { ...env, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: undefined },
      ).otlp?.endpoint,
    ).toBe('http://generic:4318/');
    expect(resolveConfig({}, { OTEL_METRICS_EXPORTER: 'otlp' }).otlp).toMatchObject({
      endpoint: 'http://localhost:4318/v1/metrics',
      protocol: 'http/protobuf',
      intervalMs: 60_000,
      timeoutMs: 10_000,
      temporality: 'cumulative',
    });
  });

  it('flushes the last interval at shutdown', async () => {
    const receiver = await otlpHttpReceiver();
    cleanup.push(receiver.close);
    const h = initMeter({ ...QUIET, otlp: { endpoint: receiver.url, intervalMs: 3_600_000 } });
    h.meter.createCounter('last.words').add(9);
    await h.shutdown();
    expect(
      lastValue(
        receiver.requests.flatMap((r) => r.points),
        'last.words',
      )?.value,
    ).toBe(9);
  });

  it('keeps its own requests out of http.client.* while the app’s requests are recorded', async () => {
    const receiver = await otlpHttpReceiver();
    cleanup.push(receiver.close);
    const other = await otlpHttpReceiver();
    cleanup.push(other.close);
    const h = init({ ...QUIET, otlp: { endpoint: receiver.url, intervalMs: 30 } });
    await fetch(`${other.url}/app-call`, { method: 'POST', body: '{}' }).then((r) => r.arrayBuffer());
    await waitFor(() => receiver.requests.length >= 3);
    await h.forceFlush();
    const points = receiver.requests.at(-1)?.points ?? [];
    const clientPorts = points
      .filter((p) => p.metric === 'http.client.request.duration')
      .map((p) => p.attributes['server.port']);
    expect(clientPorts).toContain(Number(new URL(other.url).port));
    expect(clientPorts).not.toContain(Number(new URL(receiver.url).port));
  });

  it('does not load the grpc stack for an http/protobuf user', async () => {
    const receiver = await otlpHttpReceiver();
    cleanup.push(receiver.close);
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ resolve(s, c, next) { const r = next(s, c); loaded.push(r.url); return r; } });
      const { initMeter } = await import(${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)});
      const h = initMeter({ prometheus: false, runtime: false, host: false, otlp: { endpoint: process.env.URL } });
      h.meter.createCounter('c').add(1);
      await h.shutdown();
      console.log(JSON.stringify({ grpc: loaded.filter((u) => u.includes('grpc')).length, proto: loaded.some((u) => u.includes('exporter-metrics-otlp-proto')) }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, URL: receiver.url },
    });
    expect(JSON.parse(stdout)).toEqual({ grpc: 0, proto: true });
    expect(receiver.requests.length).toBe(1);
  });
});

void once;
