import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { MetricReader } from '@opentelemetry/sdk-metrics';
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
  });
  return { endpoint, server, url: server.url, base: server.url.slice(0, -options.path.length) };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request with node:http, so the raw (compressed) bytes are visible; `ca` for HTTPS. */
export function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; ca?: string } = {},
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
