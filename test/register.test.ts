import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { exactly, expectExposition } from '../src/testing/index.js';
import { promtoolCheck } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

interface Started {
  child: ChildProcess;
  output: () => string;
  appPort: number;
  metricsUrl?: string;
}

/** Starts a fixture app under `node <flag> otel-metrics-bootstrap/register` and waits for both lines. */
async function startApp(
  flag: '--import' | '--require',
  file: string,
  env: Record<string, string> = {},
): Promise<Started> {
  const child = spawn(process.execPath, [flag, 'otel-metrics-bootstrap/register', `test/fixtures/${file}`], {
    cwd: root,
    env: { ...process.env, OTEL_EXPORTER_PROMETHEUS_PORT: '0', OTEL_SERVICE_NAME: 'fixture', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const app = /app listening (\d+)/.exec(out);
    const metrics = /serving metrics at (\S+)/.exec(out);
    const failed = /metrics not started: .*/.exec(out);
    if (app && (metrics || failed)) {
      return { child, output: () => out, appPort: Number(app[1]), metricsUrl: metrics?.[1] };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`app did not start:\n${out}`);
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

describe('otel-metrics-bootstrap/register', () => {
  it.each([
    ['an ESM app with --import', '--import', 'app.mjs'],
    ['a CommonJS app with --require', '--require', 'app.cjs'],
  ] as const)('exposes metrics for %s with no code change', async (_name, flag, file) => {
    const app = await startApp(flag, file);
    expect(app.output().match(/serving metrics at/g)).toHaveLength(1);
    await fetch(`http://127.0.0.1:${app.appPort}/`);
    await fetch(`http://127.0.0.1:${app.appPort}/`);
    const text = await (await fetch(app.metricsUrl!)).text();
    expectExposition(text)
      .toHaveSample('app_hits_total', exactly({ otel_scope_name: 'fixture-app' }), 2)
      .toHaveSample('target_info', { service_name: 'fixture' }, 1);
    await promtoolCheck(text);
  });

  it('prints the reason for a broken configuration and lets the app serve requests', async () => {
    const app = await startApp('--import', 'app.mjs', { OTEL_EXPORTER_PROMETHEUS_PORT: 'abc' });
    expect(app.output()).toMatch(
      /metrics not started: OTEL_EXPORTER_PROMETHEUS_PORT: "abc" is not a port; use an integer from 0 to 65535/,
    );
    const res = await fetch(`http://127.0.0.1:${app.appPort}/`);
    expect(await res.text()).toBe('hello');
  });

  it('prints the reason when the port is taken and lets the app serve requests', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const app = await startApp('--require', 'app.cjs', { OTEL_EXPORTER_PROMETHEUS_PORT: String(port) });
      expect(app.output()).toContain(
        `metrics not started: metrics endpoint: port ${port} on localhost is already in use`,
      );
      expect(await (await fetch(`http://127.0.0.1:${app.appPort}/`)).text()).toBe('hello');
    } finally {
      blocker.close();
    }
  });

  it('ends the process on SIGTERM as Node would when the app has no handler', async () => {
    const app = await startApp('--import', 'app.mjs');
    app.child.kill('SIGTERM');
    expect(await exited(app.child)).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it("leaves SIGTERM to the app's own handler when it has one", async () => {
    const app = await startApp('--import', 'app.mjs', { APP_OWN_SIGTERM: '1' });
    app.child.kill('SIGTERM');
    expect(await exited(app.child)).toEqual({ code: 7, signal: null });
    expect(app.output()).toContain('app: own SIGTERM handler ran');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'shuts the metrics down on %s while the app finishes',
    async (signal) => {
      const app = await startApp('--import', 'app.mjs', {
        [`APP_OWN_${signal}`]: '1',
        APP_EXIT_AFTER_MS: '10000',
      });
      expect((await fetch(app.metricsUrl!)).status).toBe(200);
      app.child.kill(signal);
      // shutdown() closed the endpoint: new connections are refused while the app itself keeps serving.
      const deadline = Date.now() + 5_000;
      let closed = false;
      while (!closed && Date.now() < deadline) {
        closed = await fetch(app.metricsUrl!).then(
          () => false,
          () => true,
        );
        if (!closed) await new Promise((r) => setTimeout(r, 50));
      }
      expect(closed).toBe(true);
      expect(await (await fetch(`http://127.0.0.1:${app.appPort}/`)).text()).toBe('hello');
      expect(app.output()).toContain(`app: own ${signal} handler ran`);
    },
  );
});
