import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { expectExposition } from '../../src/testing/index.js';
import { startPushgateway } from '../export/receivers.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

describe('examples/batch-job', () => {
  it('pushes to the Pushgateway when PUSHGATEWAY_URL is set and prints what it pushed', async () => {
    const gateway = await startPushgateway();
    cleanup.push(gateway.stop);
    const { stdout } = await run(process.execPath, ['examples/batch-job/job.js'], {
      cwd: root,
      env: { ...process.env, PUSHGATEWAY_URL: gateway.url },
    });
    expect(stdout).toContain(`pushed to ${gateway.url}: import_rows_total=190`);
    const e = expectExposition(await gateway.metrics());
    e.toHaveSample('import_rows_total', { job: 'nightly-import', source: 'crm/export', table: 'orders' }, 60);
    e.toHaveSample('import_duration_seconds_count', { job: 'nightly-import' }, 1);
    e.toHaveSample('jobs_completed_total', { job_type: 'import.table', job_outcome: 'success' }, 3);
    e.toHaveSample(
      'jobs_failures_total',
      { job_type: 'import.table', error_type: 'SourceUnavailableError' },
      1,
    );
  });

  it('runs without a gateway, prints its job metrics from a scrape and says how to push', async () => {
    const env = { ...process.env };
    delete env['PUSHGATEWAY_URL'];
    const { stdout } = await run(process.execPath, ['examples/batch-job/job.js'], { cwd: root, env });
    expect(stdout).toContain('set PUSHGATEWAY_URL');
    expect(stdout).toMatch(/jobs_completed_total\{[^}]*job_type="import.table",job_outcome="success"\} 3/);
    expect(stdout).toMatch(/jobs_failures_total\{[^}]*error_type="SourceUnavailableError"\} 1/);
    expect(stdout).toMatch(/jobs_retries_total\{[^}]*\} 3/);
  });
});
