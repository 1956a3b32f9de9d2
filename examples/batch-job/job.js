// A batch job: each table import is one tracked job run (createJobMetrics), plus its own row counter.
//   node examples/batch-job/job.js                                        prints a scrape excerpt
//   PUSHGATEWAY_URL=http://localhost:9091 node examples/batch-job/job.js  pushes to a Prometheus Pushgateway
// `await telemetry.shutdown()` makes the last push (or logs why it failed) before the process exits.
import { createJobMetrics, initMeter } from 'otel-metrics-bootstrap';

const url = process.env.PUSHGATEWAY_URL;
const telemetry = initMeter({
  serviceName: 'nightly-import',
  // Without a gateway, serve /metrics on a free local port so the job can print what it recorded.
  prometheus: url ? false : { port: 0, host: '127.0.0.1' },
  runtime: false,
  host: false,
  http: false,
  ...(url ? { pushgateway: { url, job: 'nightly-import', groupingKey: { source: 'crm/export' } } } : {}),
});

const rows = telemetry.meter.createCounter('import.rows', { unit: '{row}', description: 'Rows imported' });
const duration = telemetry.meter.createHistogram('import.duration', {
  unit: 's',
  description: 'Import time',
});
// On initMeter()'s provider: jobs_active, jobs_completed_total{job_outcome}, jobs_duration_seconds, …
const jobs = createJobMetrics({ jobTypes: ['import.table'] });

const started = performance.now();
let imported = 0;
// Queued a minute ago by the scheduler; the second attempt of a run that failed yesterday.
const queued = { enqueuedAt: Date.now() - 60_000, attempt: 2 };
for (const table of ['users', 'orders', 'invoices']) {
  await jobs.track(
    'import.table',
    async () => {
      const count = table.length * 10; // stand-in for real work
      rows.add(count, { table });
      imported += count;
    },
    queued,
  );
}
// A run that fails: recorded with error.type, and the error reaches the caller unchanged.
class SourceUnavailableError extends Error {}
await jobs
  .track('import.table', async () => {
    throw new SourceUnavailableError('crm/export is down');
  })
  .catch((err) => console.log(`one import failed as planned: ${err.constructor.name}`));
duration.record((performance.now() - started) / 1000);

if (url) {
  await telemetry.shutdown();
  console.log(
    `pushed to ${url}: import_rows_total=${imported} (3 tables), import_duration_seconds (job="nightly-import", source="crm/export")`,
  );
} else {
  await telemetry.ready;
  const text = await (await fetch(telemetry.metricsUrl)).text();
  console.log(`imported ${imported} rows; set PUSHGATEWAY_URL to push the metrics. Scrape excerpt:`);
  for (const line of text.split('\n'))
    if (/^jobs_(completed_total|failures_total|retries_total|active|duration_seconds_count)/.test(line))
      console.log(`  ${line}`);
  await telemetry.shutdown();
}
