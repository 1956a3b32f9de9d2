import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { diag, ValueType } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { MethodTable } from '../../src/http/attributes.js';
import { HistogramStream, SumStream } from '../../src/http/series.js';
import { ServerRecorder } from '../../src/http/server.js';
import { createMetricsHandler, type MetricsHandle, setHttpRoute } from '../../src/index.js';
import { HTTP_KNOWN_METHODS } from '../../src/semconv.js';
import { SECONDS_BUCKETS } from '../../src/views.js';
import { promtoolCheck, referenceParse } from '../helpers.js';
import { close, collect, count, eventually, gauge, get, listen, points, startMeter } from './helpers.js';

const DURATION = 'http.server.request.duration';
const ACTIVE = 'http.server.active_requests';
const REQUEST_SIZE = 'http.server.request.body.size';
const RESPONSE_SIZE = 'http.server.response.body.size';

/** A plain node:http app: a few fixed routes, the rest 404. */
function app(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (path === '/boom') {
    res.statusCode = 503;
    res.end('unavailable');
  } else if (path === '/echo') {
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
    });
    req.on('end', () => res.end(`${n}`));
  } else if (path === '/stream') {
    res.write('a'.repeat(10));
    res.end('b'.repeat(10));
  } else if (path === '/hang') {
    // Never answers: the client gives up.
  } else if (path === '/explicit') {
    setHttpRoute(req, '/explicit/{kind}');
    res.end('ok');
  } else if (path.startsWith('/users/') || path === '/healthz' || path === '/internal/state') {
    res.end('hello');
  } else {
    res.statusCode = 404;
    res.end('not found');
  }
}

describe('plain node:http server', () => {
  let handle: MetricsHandle;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    handle = await startMeter({
      http: {
        routes: ['/users/:id', '/users/:id/posts/:postId', '/files/*'],
        ignore: ['/healthz', '/internal/*'],
      },
    });
    server = http.createServer(app);
    base = await listen(server);
  });
  afterAll(async () => {
    await close(server);
    await handle.shutdown();
  });

  it('records http.server.request.duration with the semconv name, unit, value type, buckets and attributes', async () => {
    await get(`${base}/users/42`);
    const metric = await eventually(async () => {
      const m = (await collect()).get(DURATION);
      expect(m?.dataPoints.length).toBeGreaterThan(0);
      return m!;
    });
    expect(metric.descriptor).toMatchObject({ name: DURATION, unit: 's', valueType: ValueType.DOUBLE });
    expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(metric.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    const [point] = await points(DURATION, { 'http.route': '/users/:id' });
    expect(point!.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'network.protocol.version': '1.1',
      'http.response.status_code': 200,
      'http.route': '/users/:id',
    });
    expect(point!.value.buckets.boundaries).toEqual([...SECONDS_BUCKETS]);
    expect(point!.value.count).toBe(1);
    expect(point!.value.sum).toBeGreaterThan(0);
    expect(point!.value.sum).toBeLessThan(5);
  });

  it('labels requests with the template from the routes table, most specific first', async () => {
    await get(`${base}/users/7/posts/9`);
    await get(`${base}/users/8/posts/10?draft=1`);
    await eventually(async () =>
      expect(await count(DURATION, { 'http.route': '/users/:id/posts/:postId' })).toBe(2),
    );
  });

  it('gives a 404 no http.route, never the raw path', async () => {
    await get(`${base}/no/such/page`);
    const notFound = await eventually(async () => {
      const p = await points(DURATION, { 'http.response.status_code': 404 });
      expect(p).toHaveLength(1);
      return p[0]!;
    });
    expect(notFound.attributes).not.toHaveProperty('http.route');
    expect(notFound.attributes).not.toHaveProperty('error.type');
  });

  it('sets error.type to the status code on 5xx responses', async () => {
    await get(`${base}/boom`);
    const [p] = await eventually(async () => {
      const found = await points(DURATION, { 'http.response.status_code': 503 });
      expect(found).toHaveLength(1);
      return found;
    });
    expect(p!.attributes['error.type']).toBe('503');
  });

  it('lets setHttpRoute() name the route', async () => {
    await get(`${base}/explicit`);
    await eventually(async () => expect(await count(DURATION, { 'http.route': '/explicit/{kind}' })).toBe(1));
  });

  it('records request and response body sizes in bytes as integers', async () => {
    const body = 'x'.repeat(1500);
    await get(`${base}/echo`, { method: 'POST', body });
    const [req] = await eventually(async () => {
      const p = await points(REQUEST_SIZE, { 'http.request.method': 'POST' });
      expect(p).toHaveLength(1);
      return p;
    });
    expect(req!.value.sum).toBe(1500);
    const [res] = await points(RESPONSE_SIZE, { 'http.request.method': 'POST' });
    expect(res!.value.sum).toBe(4); // "1500"
    const metrics = await collect();
    expect(metrics.get(REQUEST_SIZE)?.descriptor).toMatchObject({ unit: 'By', valueType: ValueType.INT });
    expect(metrics.get(RESPONSE_SIZE)?.descriptor).toMatchObject({ unit: 'By', valueType: ValueType.INT });
  });

  it('does not guess the size of a chunked response', async () => {
    const ok = { 'http.response.status_code': 200 };
    const durations = await count(DURATION, ok);
    const sizes = await count(RESPONSE_SIZE);
    await get(`${base}/stream`);
    // Waits for this very request to be recorded: its duration is the one more.
    await eventually(async () => expect(await count(DURATION, ok)).toBe(durations + 1));
    // The chunked response added a duration but no response size.
    expect(await count(RESPONSE_SIZE)).toBe(sizes);
    expect((await points(RESPONSE_SIZE)).every((p) => Number.isInteger(p.value.sum))).toBe(true);
  });

  it('brings http.server.active_requests back to 0 once responses finish', async () => {
    // Responses wait until the test has seen all three in flight (a timer could fire first on a busy machine).
    const waiting: ServerResponse[] = [];
    const slow = http.createServer((_req, res) => waiting.push(res));
    const slowBase = await listen(slow);
    const inFlight = Promise.all([get(slowBase), get(slowBase), get(slowBase)]);
    await eventually(async () => expect(await gauge(ACTIVE, { 'http.request.method': 'GET' })).toBe(3));
    for (const res of waiting) res.end('done');
    await inFlight;
    await eventually(async () => expect(await gauge(ACTIVE, { 'http.request.method': 'GET' })).toBe(0));
    const metric = (await collect()).get(ACTIVE)!;
    expect(metric.descriptor).toMatchObject({ unit: '{request}', valueType: ValueType.INT });
    expect(metric).toMatchObject({ dataPointType: DataPointType.SUM, isMonotonic: false });
    expect(metric.dataPoints[0]!.attributes).toEqual({ 'http.request.method': 'GET', 'url.scheme': 'http' });
    await close(slow);
  });

  it('records a request whose client went away as aborted, and releases its active request', async () => {
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
    socket.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(async () => expect(await gauge(ACTIVE)).toBe(1));
    socket.destroy();
    const [aborted] = await eventually(async () => {
      const p = await points(DURATION, { 'error.type': 'aborted' });
      expect(p).toHaveLength(1);
      return p;
    });
    // Nothing was sent, so there is no status code.
    expect(aborted!.attributes).not.toHaveProperty('http.response.status_code');
    expect(await gauge(ACTIVE)).toBe(0);
  });

  it('records pipelined requests on one connection each with its own status', async () => {
    const before404 = await count(DURATION, { 'http.response.status_code': 404 });
    const before503 = await count(DURATION, { 'http.response.status_code': 503 });
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
    socket.write(
      'GET /missing-1 HTTP/1.1\r\nHost: x\r\n\r\nGET /boom HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /missing-2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    socket.resume();
    await new Promise((resolve) => socket.on('close', resolve));
    await eventually(async () => {
      expect(await count(DURATION, { 'http.response.status_code': 404 })).toBe(before404 + 2);
      expect(await count(DURATION, { 'http.response.status_code': 503 })).toBe(before503 + 1);
    });
    expect(await gauge(ACTIVE)).toBe(0);
  });

  it('records every pipelined request still unanswered when the client goes away as aborted', async () => {
    const abortedBefore = await count(DURATION, { 'error.type': 'aborted' });
    const okBefore = await count(DURATION, { 'http.route': '/users/:id' });
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
    // One answered, then two that never are: the second waits behind the first in node:http's own queue.
    socket.write(
      'GET /users/7 HTTP/1.1\r\nHost: x\r\n\r\nGET /hang HTTP/1.1\r\nHost: x\r\n\r\nGET /hang HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    socket.resume();
    await eventually(async () => {
      expect(await count(DURATION, { 'http.route': '/users/:id' })).toBe(okBefore + 1);
      expect(await gauge(ACTIVE)).toBe(2);
    });
    socket.destroy();
    await eventually(async () =>
      expect(await count(DURATION, { 'error.type': 'aborted' })).toBe(abortedBefore + 2),
    );
    expect(await gauge(ACTIVE)).toBe(0);
  });

  it('still catches an abort on a connection whose first request was ignored', async () => {
    const abortedBefore = await count(DURATION, { 'error.type': 'aborted' });
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.resume();
    await new Promise((resolve) => socket.once('data', resolve));
    socket.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(async () => expect(await gauge(ACTIVE)).toBe(1));
    socket.destroy();
    await eventually(async () =>
      expect(await count(DURATION, { 'error.type': 'aborted' })).toBe(abortedBefore + 1),
    );
    expect(await gauge(ACTIVE)).toBe(0);
  });

  it('leaves out ignored paths and prefixes entirely', async () => {
    const before = await count(DURATION);
    await get(`${base}/healthz`);
    await get(`${base}/internal/state`);
    await get(`${base}/users/1`); // a recorded one, to know the others had time to finish
    await eventually(async () => expect(await count(DURATION)).toBe(before + 1));
  });

  it('does not record scrapes of its own metrics endpoint', async () => {
    const before = await count(DURATION);
    await get(handle.metricsUrl!);
    await get(handle.metricsUrl!);
    await get(`${base}/users/2`);
    await eventually(async () => expect(await count(DURATION)).toBe(before + 1));
  });

  it('does not record scrapes served by createMetricsHandler() inside the app', async () => {
    const metricsHandler = createMetricsHandler();
    const mixed = http.createServer((req, res) => {
      if (req.url === '/metrics') metricsHandler(req, res);
      else app(req, res);
    });
    const mixedBase = await listen(mixed);
    const before = await count(DURATION);
    expect((await get(`${mixedBase}/metrics`)).status).toBe(200);
    await get(`${mixedBase}/users/3`);
    await eventually(async () => expect(await count(DURATION)).toBe(before + 1));
    expect(await count(DURATION, { 'http.route': '/metrics' })).toBe(0);
    await close(mixed);
  });

  it('serves an exposition that promtool and the reference parser accept, with unit suffixes', async () => {
    const text = await (await fetch(handle.metricsUrl!)).text();
    await promtoolCheck(text);
    const families = await referenceParse(text);
    const names = families.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'http_server_request_duration_seconds',
        'http_server_active_requests',
        'http_server_request_body_size_bytes',
        'http_server_response_body_size_bytes',
      ]),
    );
    const duration = families.find((f) => f.name === 'http_server_request_duration_seconds')!;
    expect(duration.type).toBe('histogram');
    const bucket = duration.samples.find(
      (s) =>
        s.name.endsWith('_bucket') && s.labels['http_route'] === '/users/:id' && s.labels['le'] === '+Inf',
    );
    expect(bucket?.labels).toMatchObject({ http_request_method: 'GET', http_response_status_code: '200' });
    expect(text).toMatch(
      /http_server_request_duration_seconds_bucket\{[^}]*http_route="\/users\/:id"[^}]*\}/,
    );
  });
});

describe('HTTP server options', () => {
  let handle: MetricsHandle | undefined;
  afterEach(async () => {
    await handle?.shutdown();
    handle = undefined;
  });

  it('records nothing for servers when http.server is false', async () => {
    handle = await startMeter({ http: { server: false } });
    const server = http.createServer(app);
    const base = await listen(server);
    await get(`${base}/users/1`);
    expect((await collect()).has(DURATION)).toBe(false);
    await close(server);
  });

  it('filters with an ignore predicate and a RegExp', async () => {
    handle = await startMeter({ http: { ignore: (req) => req.headers['x-synthetic'] === '1' } });
    const server = http.createServer(app);
    const base = await listen(server);
    await get(`${base}/users/1`, { headers: { 'x-synthetic': '1' } });
    await get(`${base}/users/1`);
    await eventually(async () => expect(await count(DURATION)).toBe(1));
    await handle.shutdown();
    handle = await startMeter({ http: { ignore: [/^\/users\/\d+$/g] } });
    await get(`${base}/users/1`);
    await get(`${base}/users/1`); // a /g pattern must not alternate between match and miss
    await get(`${base}/users/x`);
    await eventually(async () => expect(await count(DURATION)).toBe(1));
    await close(server);
  });

  it('adds server.address and server.port from the Host header only when opted in', async () => {
    handle = await startMeter({ http: { optInAttributes: ['server.address', 'server.port'] } });
    const server = http.createServer(app);
    const base = await listen(server);
    // fetch() does not let a caller set Host; node:http does.
    await new Promise<void>((resolve) =>
      http.get(`${base}/users/1`, { headers: { host: 'shop.example:8443' } }, (res) =>
        res.resume().on('end', resolve),
      ),
    );
    const [p] = await eventually(async () => {
      const found = await points(DURATION);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(p!.attributes).toMatchObject({ 'server.address': 'shop.example', 'server.port': 8443 });
    const [active] = await points<number>(ACTIVE);
    expect(active!.attributes).toMatchObject({ 'server.address': 'shop.example', 'server.port': 8443 });
    await close(server);
  });

  it('maps unknown methods to _OTHER and honours knownMethods', async () => {
    handle = await startMeter({ http: { knownMethods: ['GET', 'PURGE'] } });
    const server = http.createServer(app);
    const base = await listen(server);
    await get(`${base}/users/1`, { method: 'PURGE' });
    await get(`${base}/users/1`, { method: 'POST' });
    await eventually(async () => {
      expect(await count(DURATION, { 'http.request.method': 'PURGE' })).toBe(1);
      expect(await count(DURATION, { 'http.request.method': '_OTHER' })).toBe(1);
    });
    await close(server);
  });

  it('applies histogram bucket overrides and attribute allow-lists to the HTTP metrics', async () => {
    handle = await startMeter({
      histograms: { [DURATION]: [0.1, 1] },
      attributes: { [DURATION]: ['http.request.method', 'http.response.status_code'] },
    });
    const server = http.createServer(app);
    const base = await listen(server);
    await get(`${base}/users/1`);
    await get(`${base}/nope`);
    const found = await eventually(async () => {
      const p = await points(DURATION);
      expect(p).toHaveLength(2);
      return p;
    });
    for (const p of found) {
      expect(Object.keys(p.attributes).sort()).toEqual(['http.request.method', 'http.response.status_code']);
      expect(p.value.buckets.boundaries).toEqual([0.1, 1]);
      expect(p.value.buckets.counts).toHaveLength(3);
    }
    await close(server);
  });

  it('records HTTP/2 compatibility-API requests with network.protocol.version "2"', async () => {
    handle = await startMeter({ http: { routes: ['/users/:id'] } });
    const server = http2.createServer((req, res) => {
      if (req.url === '/named') setHttpRoute(req, '/named-route');
      res.end('h2');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const request = (path: string) =>
      new Promise<void>((resolve, reject) => {
        const stream = session.request({ ':path': path });
        stream.on('error', reject);
        stream.resume();
        stream.on('end', resolve);
        stream.end();
      });
    await request('/users/5');
    await request('/named');
    await eventually(async () => {
      expect(await count(DURATION, { 'network.protocol.version': '2', 'http.route': '/users/:id' })).toBe(1);
      expect(await count(DURATION, { 'http.route': '/named-route' })).toBe(1);
    });
    const [p] = await points(DURATION, { 'http.route': '/users/:id' });
    expect(p!.attributes).toMatchObject({ 'http.response.status_code': 200, 'url.scheme': 'http' });
    expect(await gauge(ACTIVE)).toBe(0);
    session.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('HTTP server recorder on a Node without socket._httpMessage', () => {
  it('says once that aborted requests cannot be recorded, and still records finished ones', () => {
    const descriptor = (name: string) => ({
      name,
      description: '',
      unit: 's',
      valueType: ValueType.DOUBLE,
      cardinalityLimit: 2000,
      allowedKeys: undefined,
    });
    const duration = new HistogramStream(descriptor(DURATION), SECONDS_BUCKETS);
    const recorder = new ServerRecorder(
      {
        duration,
        requestSize: undefined,
        responseSize: undefined,
        active: new SumStream(descriptor(ACTIVE)),
      },
      {
        methods: new MethodTable(HTTP_KNOWN_METHODS),
        routes: undefined,
        ignore: undefined,
        serverAddress: false,
        serverPort: false,
      },
    );
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    onTestFinished(() => warn.mockRestore());
    const socket = new net.Socket(); // node:http never wrote _httpMessage on it, as a Node without it would not
    for (let i = 0; i < 3; i++) {
      const request = new http.IncomingMessage(socket);
      request.method = 'GET';
      const response = new http.ServerResponse(request);
      const message = { request, response, socket, server: undefined };
      recorder.onRequestStart(message);
      recorder.onResponseFinish(message);
    }
    expect(warn.mock.calls.filter(([m]) => String(m).includes('_httpMessage'))).toHaveLength(1);
    expect([...duration.all()].reduce((n, s) => n + s.count, 0)).toBe(3);
    socket.destroy();
  });
});
