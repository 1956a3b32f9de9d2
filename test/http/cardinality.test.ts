import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { type MetricsHandle, setHttpRoute } from '../../src/index.js';
import { close, collect, count, eventually, listen, points, startMeter } from './helpers.js';

const DURATION = 'http.server.request.duration';

const start = diagnostics.channel('http.server.request.start');
const finish = diagnostics.channel('http.server.response.finish');

/**
 * Drives the recorder through the same channels node:http publishes on, with objects shaped like node's, so
 * 100k requests take well under a second instead of a minute of real sockets. The real-server test below
 * checks the same property end to end with fewer requests.
 */
function simulate(url: string, status: number, socket: EventEmitter): void {
  const request = {
    method: 'GET',
    url,
    httpVersionMinor: 1,
    rawHeaders: ['Host', 'x'],
    headers: { host: 'x' },
    socket,
  };
  const response = {
    statusCode: status,
    headersSent: true,
    _hasBody: true,
    _contentLength: 9,
    getHeader: () => undefined,
  };
  start.publish({ request, response, socket, server: undefined });
  finish.publish({ request, response, socket, server: undefined });
}

function totalSeries(metrics: Awaited<ReturnType<typeof collect>>): number {
  let n = 0;
  for (const m of metrics.values()) n += m.dataPoints.length;
  return n;
}

describe('cardinality', () => {
  let handle: MetricsHandle | undefined;
  afterEach(async () => {
    await handle?.shutdown();
    handle = undefined;
  });

  it('adds no series for 100,000 requests to random paths', async () => {
    handle = await startMeter({ http: { routes: ['/users/:id', '/assets/*'] } });
    const socket = new EventEmitter();
    simulate('/users/1', 200, socket);
    simulate('/nothing', 404, socket);
    const baseline = totalSeries(await collect());
    for (let i = 0; i < 100_000; i++) {
      const path = `/${randomBytes(6).toString('hex')}/${i}`;
      // Scanner traffic: mostly 404s to unknown paths, some hits on parameterised routes.
      if (i % 10 === 0) simulate(`/users/${i}`, 200, socket);
      else if (i % 10 === 1) simulate(`/assets${path}`, 200, socket);
      else simulate(path, 404, socket);
    }
    const after = await collect();
    // Exactly the /assets/* series of each of the three histograms; active_requests has no route.
    expect(totalSeries(after) - baseline).toBe(3);
    expect(await count(DURATION)).toBe(100_002);
    const routes = new Set((await points(DURATION)).map((p) => p.attributes['http.route']));
    expect(routes).toEqual(new Set(['/users/:id', '/assets/*', undefined]));
  });

  it('keeps random paths on a real Express server out of the labels', async () => {
    handle = await startMeter();
    const app = express();
    app.get('/items/:id', (_req, res) => {
      res.send('item');
    });
    const server = http.createServer(app);
    const base = await listen(server);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const get = (path: string) =>
      new Promise<void>((resolve, reject) =>
        http.get(`${base}${path}`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject),
      );
    for (let i = 0; i < 500; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          get(j % 2 ? `/items/${i + j}` : `/${randomBytes(8).toString('hex')}?q=${i + j}`),
        ),
      );
    }
    await eventually(async () => expect(await count(DURATION)).toBe(500));
    const series = await points(DURATION);
    expect(series.map((p) => p.attributes['http.route']).sort()).toEqual(['/items/:id', undefined]);
    agent.destroy();
    await close(server);
  });

  it('folds series beyond the cardinality limit into the otel.metric.overflow series', async () => {
    handle = await startMeter({ cardinalityLimits: { [DURATION]: 5 } });
    const server = http.createServer((req, res) => {
      // Misuse on purpose: a raw path as the route.
      setHttpRoute(req, req.url ?? '/');
      res.end('x');
    });
    const base = await listen(server);
    for (let i = 0; i < 20; i++) await (await fetch(`${base}/p${i}`)).text();
    const found = await eventually(async () => {
      const p = await points(DURATION);
      expect(p.reduce((n, x) => n + x.value.count, 0)).toBe(20);
      return p;
    });
    expect(found).toHaveLength(5); // 4 regular series + the overflow series
    const overflow = found.find((p) => p.attributes['otel.metric.overflow'] === true);
    expect(overflow?.attributes).toEqual({ 'otel.metric.overflow': true });
    expect(overflow?.value.count).toBe(16);
    const text = await (await fetch(handle.metricsUrl!)).text();
    expect(text).toMatch(
      /http_server_request_duration_seconds_count\{[^}]*otel_metric_overflow="true"[^}]*\} 16/,
    );
    await close(server);
  });
});
