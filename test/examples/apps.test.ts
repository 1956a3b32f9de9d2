import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { expectExposition } from '../../src/testing/index.js';
import { promtoolCheck } from '../helpers.js';
import { startProcess, waitFor } from '../processes.js';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

// Each example exactly as its header comment says to run it, on free ports. They import the package by name,
// which resolves to the build output (`npm run build` first, as `npm test` does).
describe.each([
  ['express', ['examples/express/server.js']],
  ['fastify', ['examples/fastify/server.js']],
  ['koa', ['examples/koa/server.js']],
  ['plain-http-esm', ['examples/plain-http-esm/server.js']],
  ['plain-http-cjs', ['examples/plain-http-cjs/server.cjs']],
  ['register-file', ['--import', './examples/register-file/register.js', 'examples/register-file/app.js']],
])('examples/%s', (_name, args) => {
  it('starts with one command and serves its requests as http_route="/users/:id"', async () => {
    const { child, matches } = await startProcess(args, [/app:\s+(\S+)/, /(http:\/\/\S+\/metrics)\b/], {
      env: { PORT: '0', OTEL_EXPORTER_PROMETHEUS_PORT: '0' },
    });
    children.push(child);
    const [appUrl, metricsUrl] = matches as [string, string];
    for (let i = 0; i < 3; i++) expect((await fetch(appUrl)).status).toBe(200);
    expect((await fetch(new URL('/nope/1', appUrl))).status).toBe(404);

    const text = await waitFor(
      'the requests in a scrape',
      async () => {
        const t = await (await fetch(metricsUrl)).text();
        return /^http_server_request_duration_seconds_count\{[^}]*http_route="\/users\/:id"[^}]*\} 3$/m.test(
          t,
        )
          ? t
          : undefined;
      },
      15_000,
    );
    const exposition = expectExposition(text);
    exposition.toHaveSample('http_server_request_duration_seconds_count', {
      http_request_method: 'GET',
      http_response_status_code: '200',
      http_route: '/users/:id',
    });
    // The 404 is counted without a route: the raw path never becomes a label.
    exposition.toHaveSample(
      'http_server_request_duration_seconds_count',
      { http_response_status_code: '404' },
      1,
    );
    expect(text).not.toMatch(/http_route="\/(users\/42|nope)/);
    await promtoolCheck(text);
  });
});
