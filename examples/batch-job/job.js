// A batch job that pushes its metrics to a Prometheus Pushgateway when PUSHGATEWAY_URL is set:
//   PUSHGATEWAY_URL=http://localhost:9091 node examples/batch-job/job.js
// `await telemetry.shutdown()` makes the last push (or logs why it failed) before the process exits.
import { initMeter } from 'otel-metrics-bootstrap';

const url = process.env.PUSHGATEWAY_URL;
const telemetry = initMeter({
  serviceName: 'nightly-import',
  prometheus: false,
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

const started = performance.now();
let imported = 0;
for (const table of ['users', 'orders', 'invoices']) {
  const count = table.length * 10; // stand-in for real work
  rows.add(count, { table });
  imported += count;
}
duration.record((performance.now() - started) / 1000);

await telemetry.shutdown();
console.log(
  url
    ? `pushed to ${url}: import_rows_total=${imported} (3 tables), import_duration_seconds (job="nightly-import", source="crm/export")`
    : `imported ${imported} rows; set PUSHGATEWAY_URL to push the metrics`,
);
