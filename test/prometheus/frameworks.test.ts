import { type ChildProcess, spawn } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { expectExposition } from '../../src/testing/index.js';
import { promtoolCheck, referenceParse } from '../helpers.js';
import { waitFor } from '../processes.js';
import { raw } from './support.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/**
 * Starts an example on port 0 (it imports the built package, like a user would) and returns its URL and what
 * it printed so far.
 */
async function startExample(name: string): Promise<{ base: string; output: () => string }> {
  const child = spawn(process.execPath, [`examples/${name}/server.js`], {
    env: { ...process.env, PORT: '0', OMB_PROMETHEUS_AUTH_TOKEN: 'scrape-token', OTEL_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      output += d;
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      // Past the endpoint's coalescing window (500 ms): the test's first scrape must collect afresh, not share
      // a collection made before its requests (the hono example scrapes itself before it prints its URL).
      if (url) setTimeout(() => resolve({ base: url, output: () => output }), 600);
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${output}`)));
  });
}

describe.each(['express-metrics', 'fastify-metrics', 'koa-metrics', 'hono'])('the %s example', (name) => {
  it('serves the app and its metrics on one port with auth, negotiation and gzip', async () => {
    const { base } = await startExample(name);
    expect((await raw(`${base}/`)).body.toString()).toBe('hello\n');
    const url = `${base}/metrics`;
    const auth = { authorization: 'Bearer scrape-token' };

    const missing = await raw(url);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect((await raw(url, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await raw(url, { method: 'POST', headers: auth })).status).toBe(405);

    const text = await raw(url, { headers: { ...auth, 'accept-encoding': 'gzip' } });
    expect(text.status).toBe(200);
    expect(text.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text.headers['content-encoding']).toBe('gzip');
    const body = gunzipSync(text.body).toString();
    expectExposition(body).toHaveSample('greetings_total', { framework: name.split('-')[0]! }, 1);
    await promtoolCheck(body);

    const om = await raw(url, {
      headers: { ...auth, accept: 'application/openmetrics-text; version=1.0.0' },
    });
    expect(om.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    await referenceParse(om.body.toString(), 'openmetrics');

    const head = await raw(url, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });
});

describe('the hono example', () => {
  it('prints the start of a scrape of itself, and leaves scrapes out of the HTTP metrics', async () => {
    const { base, output } = await startExample('hono');
    const auth = { authorization: 'Bearer scrape-token' };
    await waitFor('the scrape excerpt', async () =>
      /scrape: 200 application\/openmetrics-text; version=1\.0\.0; charset=utf-8, \d+ lines; first ones:\n# HELP target /.test(
        output(),
      )
        ? true
        : undefined,
    );
    await raw(`${base}/`);
    const text = (await raw(`${base}/metrics`, { headers: auth })).body.toString();
    // The greeting is counted; the example's own scrape (and any other) is not: http.ignore names /metrics.
    expectExposition(text).toHaveSample(
      'http_server_request_duration_seconds_count',
      { http_request_method: 'GET', http_response_status_code: '200' },
      1,
    );
  });
});
