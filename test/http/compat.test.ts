import { describe, expect, it } from 'vitest';
import type { ParsedFamily } from '../helpers.js';
import { DIST, scrapeOfFixture } from './helpers.js';

const REGISTER = `${DIST}register.js`;
const ENV = {
  OTEL_EXPORTER_PROMETHEUS_PORT: '0',
  OMB_HTTP_ROUTES: '/users/:id',
  OMB_HTTP_ENGINE: 'instrumentation-http',
};

const scrapeOf = (args: string[], env: Record<string, string> = {}) =>
  scrapeOfFixture(args, { ...ENV, ...env });

const family = (families: ParsedFamily[], name: string) => families.find((f) => f.name === name);
const counts = (f: ParsedFamily | undefined) => f?.samples.filter((s) => s.name.endsWith('_count')) ?? [];
const sum = (list: { value: number }[]) => list.reduce((n, s) => n + s.value, 0);

describe.each([
  ['ESM app with --import register', ['--import', REGISTER, 'app.mjs'], {}],
  ['ESM app with initMeter()', ['app.mjs'], { OMB_TEST_INIT: '1' }],
  ['CommonJS app with --require register', ['--require', REGISTER, 'app.cjs'], {}],
])('engine instrumentation-http: %s', (_name, args, env) => {
  it('produces the same metric names, each recorded by exactly one engine, without double counting', async () => {
    const families = await scrapeOf(args, env);
    const names = families.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'http_server_request_duration_seconds',
        'http_client_request_duration_seconds',
        'http_server_active_requests',
        'http_server_request_body_size_bytes',
        'http_server_response_body_size_bytes',
      ]),
    );
    // The durations come from instrumentation-http only...
    const server = counts(family(families, 'http_server_request_duration_seconds'));
    const client = counts(family(families, 'http_client_request_duration_seconds'));
    for (const s of [...server, ...client]) {
      expect(s.labels['otel_scope_name']).toBe('@opentelemetry/instrumentation-http');
    }
    // ...once per request: four served, three sent with node:http (instrumentation-http does not see fetch).
    expect(sum(server)).toBe(4);
    expect(sum(client)).toBe(3);
    // The rest comes from this library, which still resolves routes for them.
    const sizes = counts(family(families, 'http_server_response_body_size_bytes'));
    expect(sum(sizes)).toBe(4);
    for (const s of sizes) expect(s.labels['otel_scope_name']).toBe('otel-metrics-bootstrap');
    expect(sum(sizes.filter((s) => s.labels['http_route'] === '/users/:id'))).toBe(3);
  });
});
