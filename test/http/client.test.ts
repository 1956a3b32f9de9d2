import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ValueType } from '@opentelemetry/api';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsHandle } from '../../src/index.js';
import { close, collect, count, eventually, listen, points, startMeter } from './helpers.js';

const CLIENT = 'http.client.request.duration';

describe('HTTP client metrics', () => {
  let handle: MetricsHandle;
  let server: http.Server;
  let base: string;
  let port: number;

  beforeAll(async () => {
    handle = await startMeter();
    server = http.createServer((req, res) => {
      if (req.url === '/fail') res.statusCode = 502;
      if (req.url === '/missing') res.statusCode = 404;
      if (req.url === '/cut') {
        res.write('partial');
        setTimeout(() => res.destroy(), 10);
        return;
      }
      res.end('ok');
    });
    base = await listen(server);
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await close(server);
    await handle.shutdown();
  });

  function httpGet(path: string, method = 'GET'): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${base}${path}`, { method }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(-1));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('records http.request with method, server.address, server.port, status and protocol version', async () => {
    await httpGet('/a');
    await httpGet('/b', 'POST');
    const get = await eventually(async () => {
      const p = await points(CLIENT, {
        'server.port': port,
        'http.request.method': 'GET',
        'network.protocol.version': '1.1',
      });
      expect(p).toHaveLength(1);
      return p[0]!;
    });
    expect(get.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': port,
      'http.response.status_code': 200,
      'network.protocol.version': '1.1',
    });
    expect(get.value.count).toBe(1);
    expect(await count(CLIENT, { 'server.port': port, 'http.request.method': 'POST' })).toBe(1);
    const metric = (await collect()).get(CLIENT)!;
    expect(metric.descriptor).toMatchObject({ unit: 's', valueType: ValueType.DOUBLE });
    expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
  });

  it('records fetch() through undici’s channels', async () => {
    const before = await count(CLIENT, { 'server.port': port, 'http.response.status_code': 200 });
    for (let i = 0; i < 3; i++) await (await fetch(`${base}/f`)).text();
    await eventually(async () =>
      expect(await count(CLIENT, { 'server.port': port, 'http.response.status_code': 200 })).toBe(before + 3),
    );
    const [fetched] = await points(CLIENT, { 'server.port': port, 'http.response.status_code': 200 }).then(
      (p) => p.filter((x) => !('network.protocol.version' in x.attributes)),
    );
    expect(fetched!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
    });
  });

  it('sets error.type to the status code for 4xx and 5xx answers', async () => {
    await httpGet('/fail');
    await (await fetch(`${base}/missing`)).text();
    await eventually(async () => {
      expect(await count(CLIENT, { 'server.port': port, 'error.type': '502' })).toBe(1);
      expect(await count(CLIENT, { 'server.port': port, 'error.type': '404' })).toBe(1);
    });
  });

  it('records connection failures with the error code, for http.request and fetch', async () => {
    // A port that was just free: nothing listens there.
    const probe = http.createServer();
    const deadPort = Number(new URL(await listen(probe)).port);
    await close(probe);
    await new Promise<void>((resolve) =>
      http.get(`http://127.0.0.1:${deadPort}/`).on('error', () => resolve()),
    );
    await fetch(`http://127.0.0.1:${deadPort}/`).catch(() => undefined);
    const failed = await eventually(async () => {
      const p = await points(CLIENT, { 'server.port': deadPort });
      expect(p.reduce((n, x) => n + x.value.count, 0)).toBe(2);
      return p;
    });
    for (const p of failed) {
      expect(p.attributes['error.type']).toBe('ECONNREFUSED');
      expect(p.attributes).not.toHaveProperty('http.response.status_code');
    }
  });

  it('marks a response cut off mid-body as aborted', async () => {
    await httpGet('/cut').catch(() => undefined);
    await eventually(async () =>
      expect(await count(CLIENT, { 'server.port': port, 'error.type': 'aborted' })).toBe(1),
    );
  });
});
