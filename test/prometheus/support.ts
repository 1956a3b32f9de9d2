import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { DEFAULTS } from '../../src/config.js';
import { type EndpointOptions, MetricsEndpoint, type MetricsSource } from '../../src/prometheus/handler.js';
import type { ResolvedPrometheusOptions } from '../../src/prometheus/options.js';
import { SelfMetrics } from '../../src/prometheus/self-metrics.js';
import { type ListeningServer, listen } from '../../src/prometheus/server.js';
import { createTestMeter } from '../../src/testing/index.js';

/** A reader for tests: collect on demand, nothing else. */
export class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Endpoint options with the defaults, overridden by `overrides`. */
export function endpointOptions(overrides: Partial<ResolvedPrometheusOptions> = {}): EndpointOptions {
  return {
    ...DEFAULTS.prometheus,
    authToken: undefined,
    basicAuth: undefined,
    resourceConstantLabels: undefined,
    rateLimitBurst: Math.max(1, overrides.rateLimit ?? DEFAULTS.prometheus.rateLimit),
    ui: false,
    ...overrides,
  };
}

/** Self-metrics recorded on the testing kit's meter; `metrics.collect()` gives a snapshot to assert on. */
export function selfMetricsProbe() {
  const metrics = createTestMeter();
  return { selfMetrics: new SelfMetrics(metrics.getMeter('probe')), metrics };
}

/** A MetricsEndpoint on its own server, port 0. */
export async function startEndpoint(
  source: MetricsSource,
  overrides: Partial<ResolvedPrometheusOptions> = {},
  selfMetrics?: SelfMetrics,
): Promise<{ endpoint: MetricsEndpoint; server: ListeningServer; url: string; base: string }> {
  const options = endpointOptions(overrides);
  const endpoint = new MetricsEndpoint(source, options, selfMetrics);
  const server = await listen(endpoint.handle, {
    host: '127.0.0.1',
    port: 0,
    path: options.path,
    tls: overrides.tls,
    onClientError: (status) => selfMetrics?.request(status, 'bad_request'),
    onConnectionClosed: (reason) => selfMetrics?.connectionClosed(reason),
    maxConnections: overrides.maxConnections,
    headerTimeout: overrides.headerTimeout,
    tlsHandshakeTimeout: overrides.tlsHandshakeTimeout,
  });
  return { endpoint, server, url: server.url, base: server.url.slice(0, -options.path.length) };
}

/**
 * A provider with one counter (`orders`), served on port 0 with a self-metrics probe; `close()` stops the
 * server and the provider.
 */
export async function serveMeter(overrides: Partial<ResolvedPrometheusOptions> = {}) {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('shop');
  meter.createCounter('orders', { unit: '{order}', description: 'Orders placed' }).add(3, { region: 'eu' });
  const probe = selfMetricsProbe();
  const started = await startEndpoint(reader, overrides, probe.selfMetrics);
  const close = async () => {
    await started.server.close();
    await provider.shutdown();
  };
  return { ...started, meter, provider, reader, probe, close };
}

/** `n` TCP connections to the host and port of `url`, open and silent (no TLS handshake, no request). */
export async function silentConnections(url: string, n: number): Promise<Socket[]> {
  const { hostname, port } = new URL(url);
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(Number(port), hostname, () => resolve(socket));
          socket.on('error', reject);
        }),
    ),
  );
}

/**
 * Resolves with the milliseconds until the server closes `socket`, or `undefined` if it is still open after
 * `ms`. Reads (and drops) what arrives: a socket with unread data never sees the close.
 */
export function closedWithin(socket: Socket, ms: number): Promise<number | undefined> {
  const start = performance.now();
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(0);
    socket.resume();
    const timer = setTimeout(() => resolve(undefined), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - start);
    });
  });
}

/** A self-signed certificate for 127.0.0.1, made with the openssl CLI. */
export function selfSigned(): { key: string; cert: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'omb-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return {
    dir,
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request with node:http, so the raw (compressed) bytes are visible; `ca` for HTTPS. */
export function raw(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    ca?: string;
    timeout?: number;
  } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      u,
      { method: options.method ?? 'GET', headers: options.headers, ca: options.ca, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.timeout !== undefined) {
      req.setTimeout(options.timeout, () => req.destroy(new Error(`no answer within ${options.timeout} ms`)));
    }
    req.end(options.body);
  });
}

/** A promise with its resolve function, to hold an observable callback until the test lets it go. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
