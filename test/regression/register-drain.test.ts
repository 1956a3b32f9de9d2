// Issue 10: an app that drains for a while after SIGTERM lost its metrics endpoint at once (the register entry
// shut down on the signal), so the requests served during the drain were never scraped.
import { describe, expect, it } from 'vitest';
import { expectExposition } from '../../src/testing/index.js';
import { startApp, waitForOutput } from '../register-support.js';

describe('regression: the register entry during an app drain', () => {
  it('still answers scrapes, with the requests served during the drain, after SIGTERM', async () => {
    const app = await startApp(['--import', 'otel-metrics-bootstrap/register'], 'app.mjs', {
      APP_DRAIN_MS: '3000',
    });
    app.child.kill('SIGTERM');
    await waitForOutput(app, /app: draining after SIGTERM/);
    await new Promise((r) => setTimeout(r, 200));
    await fetch(`http://127.0.0.1:${app.appPort}/`);
    const res = await fetch(app.metricsUrl!);
    expect(res.status).toBe(200);
    expectExposition(await res.text()).toHaveSample('app_hits_total', {}, 1);
  });
});
