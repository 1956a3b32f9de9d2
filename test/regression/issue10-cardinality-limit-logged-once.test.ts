// Issue 10, from our users' endpoint designs: an instrument hitting its cardinality limit was only visible in
// `omb_cardinality_overflow_series`; nothing said so in the logs. Now the first exposition that shows an
// instrument's overflow series logs one diag warning naming the instrument and its limit, once per instrument.
import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { initMeter, type MetricsHandle } from '../../src/index.js';
import { captureDiag } from '../helpers.js';

let handle: MetricsHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  diag.disable();
});

describe('an instrument hitting its cardinality limit', () => {
  it('is logged once, naming the instrument and the limit', async () => {
    handle = initMeter({
      serviceName: 'capped',
      prometheus: { port: 0 },
      cardinalityLimit: 50,
      cardinalityLimits: { 'users.seen': 5 },
    });
    await handle.ready;
    // After initMeter(), which installs its own diag logger.
    const warnings = captureDiag().messages;
    const users = handle.meter.createCounter('users.seen');
    const pages = handle.meter.createHistogram('page.latency', { unit: 's' });
    const fine = handle.meter.createCounter('within.limit');
    for (let i = 0; i < 100; i++) {
      users.add(1, { user: String(i) });
      pages.record(0.1, { page: String(i) });
      fine.add(1, { shard: String(i % 3) });
    }
    for (let i = 0; i < 3; i++) {
      expect((await fetch(handle.metricsUrl!)).status).toBe(200);
      users.add(1, { user: `late-${i}` });
    }
    const logged = warnings.filter((m) => m.includes('cardinality limit'));
    expect(logged).toHaveLength(2);
    expect(logged.find((m) => m.includes('"users.seen"'))).toContain('cardinality limit of 5 series');
    expect(logged.find((m) => m.includes('"page.latency"'))).toContain('cardinality limit of 50 series');
  });
});
