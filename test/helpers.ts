import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { DiagLogLevel, diag } from '@opentelemetry/api';

const run = promisify(execFile);

/**
 * promtool lint findings that follow from OpenTelemetry semantic-convention names rather than from a defect.
 * Semconv's `process.unix.file_descriptor.count` becomes `process_unix_file_descriptor_count` under the spec's
 * name translation (as in every other SDK and the Collector), and promtool's linter reserves `_count` for
 * histograms and summaries. Parse errors (promtool exit 1) are never tolerated.
 */
export const SEMCONV_LINT_FINDINGS: readonly RegExp[] = [
  /^process_unix_file_descriptor_count non-histogram and non-summary metrics should not have "_count" suffix$/,
];

/**
 * `promtool check metrics` on an exposition; resolves with its output, rejects with it on failure. Lint
 * findings (exit 3) pass only when each matches {@link SEMCONV_LINT_FINDINGS} or `allowLint`.
 */
export async function promtoolCheck(text: string, allowLint: readonly RegExp[] = []): Promise<string> {
  const allowed = [...SEMCONV_LINT_FINDINGS, ...allowLint];
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) => {
      const out = `${stdout}${stderr}`;
      const lintOnly =
        err?.code === 3 &&
        out
          .split('\n')
          .filter((line) => line.trim() !== '')
          .every((line) => allowed.some((re) => re.test(line.trim())));
      if (err && !lintOnly) reject(new Error(`promtool check metrics failed:\n${out}`));
      else resolve(out);
    });
    child.stdin?.end(text);
  });
}

export interface ParsedFamily {
  name: string;
  type: string;
  unit?: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/**
 * Parses an exposition with the reference parser from prometheus_client (Debian's python3-prometheus-client):
 * `text` uses `prometheus_client.parser`, `openmetrics` uses `prometheus_client.openmetrics.parser`.
 */
export async function referenceParse(
  text: string,
  format: 'text' | 'openmetrics' = 'text',
): Promise<ParsedFamily[]> {
  const module = format === 'text' ? 'prometheus_client.parser' : 'prometheus_client.openmetrics.parser';
  const script = `
import sys, json, math
from ${module} import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "unit": getattr(f, "unit", ""),
                "samples": [{"name": s.name, "labels": s.labels,
                             "value": s.value if math.isfinite(s.value) else str(s.value)} for s in f.samples]})
print(json.dumps(out))
`;
  const child = run('/usr/bin/python3', ['-c', script], { maxBuffer: 256 * 1024 * 1024 });
  child.child.stdin?.end(text);
  const { stdout } = await child;
  return JSON.parse(stdout) as ParsedFamily[];
}

/**
 * Starts `test/fixtures/hung-callback.mjs` (needs `npm run build`): a target whose async observable callback
 * never settles, next to control series `hung_fixture_control_total 1` and `hung_fixture_healthy 7`. `env` sets
 * e.g. `OTEL_EXPORTER_PROMETHEUS_PORT` for a fixed port, or `OMB_PROMETHEUS_SCRAPE_TIMEOUT` (default 3000 ms:
 * the callback is given up on after 1.5 s). Resolves with the metrics URL and `stop()`.
 */
export async function startHungCallbackTarget(
  env: Record<string, string> = {},
): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['test/fixtures/hung-callback.mjs'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const url = /metrics (http\S+)/.exec(out)?.[1];
      if (url) resolve({ url, stop });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.once('exit', () => reject(new Error(`hung-callback fixture exited:\n${out}`)));
  });
}

/**
 * Sends OTel diag warnings and errors into the returned array (call after `initMeter()`, which installs its own
 * logger; `diag.disable()` to stop).
 */
export function captureDiagWarnings(): string[] {
  const messages: string[] = [];
  const record = (message: string) => messages.push(message);
  diag.setLogger(
    { error: record, warn: record, info: () => {}, debug: () => {}, verbose: () => {} },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  return messages;
}
