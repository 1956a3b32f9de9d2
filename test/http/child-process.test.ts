import { describe, expect, it } from 'vitest';
import type { ParsedFamily } from '../helpers.js';
import { DIST, scrapeOfFixture } from './helpers.js';

const REGISTER = `${DIST}register.js`;
const ENV = {
  OTEL_EXPORTER_PROMETHEUS_PORT: '0',
  OMB_HTTP_ROUTES: '/users/:id',
  OTEL_SERVICE_NAME: 'fixture',
};

const scrapeOf = (args: string[], env: Record<string, string> = {}) =>
  scrapeOfFixture(args, { ...ENV, ...env });

function samples(families: ParsedFamily[], name: string, suffix: string) {
  return families.find((f) => f.name === name)?.samples.filter((s) => s.name === name + suffix) ?? [];
}

const sum = (list: { value: number }[]) => list.reduce((n, s) => n + s.value, 0);

describe.each([
  ['ESM app with initMeter()', ['app.mjs'], { OMB_TEST_INIT: '1' }],
  ['ESM app with --import register', ['--import', REGISTER, 'app.mjs'], {}],
  ['CommonJS app with require() and initMeter()', ['app.cjs'], { OMB_TEST_INIT: '1' }],
  ['CommonJS app with --require register', ['--require', REGISTER, 'app.cjs'], {}],
])('%s', (_name, args, env) => {
  it('records server and client metrics with routes, and counts each request once', async () => {
    const families = await scrapeOf(args, env);
    const server = samples(families, 'http_server_request_duration_seconds', '_count');
    expect(sum(server)).toBe(4);
    expect(sum(server.filter((s) => s.labels['http_route'] === '/users/:id'))).toBe(3);
    const notFound = server.find((s) => s.labels['http_response_status_code'] === '404');
    expect(notFound?.labels).not.toHaveProperty('http_route');
    // Three node:http requests and one fetch; the scrape's own fetch is still in flight while it is collected.
    const client = samples(families, 'http_client_request_duration_seconds', '_count');
    expect(sum(client)).toBe(4);
    expect(samples(families, 'http_server_active_requests', '').every((s) => s.value === 0)).toBe(true);
  });
});
