import { afterEach, describe, expect, it } from 'vitest';
import { createAgentMetrics } from '../../src/business/agents.js';
import { createJobMetrics } from '../../src/business/jobs.js';
import { createLlmMetrics } from '../../src/business/llm.js';
import type { MetricsHandle } from '../../src/init.js';
import { initMeter } from '../../src/init.js';

let handle: MetricsHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

const quiet = { prometheus: false, runtime: false, host: false, http: false } as const;

describe('business helpers without a meter', () => {
  it('record on the provider of the running initMeter()', async () => {
    handle = initMeter(quiet);
    const jobs = createJobMetrics();
    jobs.track('report.build', () => undefined);
    const reading = handle.instruments.get('jobs.completed')?.readings();
    expect(reading?.find((r) => r.attributes['job.outcome'] === 'success')).toMatchObject({ value: 1 });
  });

  it('work, recording nothing exported, when the SDK is disabled', async () => {
    handle = initMeter({ ...quiet, disabled: true });
    expect(() => createLlmMetrics({ provider: 'openai' }).record({ durationSeconds: 1 })).not.toThrow();
    expect(() => createAgentMetrics().run('triage', () => 1)).not.toThrow();
  });
});
