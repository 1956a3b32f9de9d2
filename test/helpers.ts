import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { expect } from 'vitest';
import { MetricsError } from '../src/errors.js';
import { startProcess } from './processes.js';

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

/** The message of the `MetricsError` that `fn` throws; fails the test when it throws nothing. */
export function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MetricsError);
    return (err as MetricsError).message;
  }
  expect.unreachable('expected a MetricsError');
}

/**
 * Checks an exposition in both text formats the way a scraper would meet it: promtool on text 0.0.4 and the
 * reference parsers on text 0.0.4 and OpenMetrics 1.0. Returns what the parsers read.
 */
export async function expectValidInBothFormats(
  exposition: (format: 'text' | 'openmetrics') => Promise<string>,
  allowLint: readonly RegExp[] = [],
): Promise<{ text: string; om: string; families: ParsedFamily[]; omFamilies: ParsedFamily[] }> {
  const text = await exposition('text');
  const om = await exposition('openmetrics');
  await promtoolCheck(text, allowLint);
  const families = await referenceParse(text, 'text');
  const omFamilies = await referenceParse(om, 'openmetrics');
  return { text, om, families, omFamilies };
}

/**
 * Starts the e2e target `test/e2e/targets/hung-async-callback.mjs` on its own (needs `npm run build`): an async
 * observable callback that never settles, next to the control series `e2e_control_total` and `hung_healthy 7`.
 * Resolves with the metrics URL and `stop()`.
 */
export async function startHungCallbackTarget(): Promise<{ url: string; stop: () => Promise<void> }> {
  const { child, matches } = await startProcess(
    ['test/e2e/targets/run.mjs', 'hung-async-callback'],
    [/metrics: (\S+)/],
  );
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url: matches[0]!, stop };
}

/** Collects `diag` warnings and errors until `restore()`, which turns the logger off again. */
export function captureDiag(): { messages: string[]; restore: () => void } {
  const messages: string[] = [];
  const record = (message: string) => messages.push(message);
  diag.setLogger(
    { error: record, warn: record, info: () => {}, debug: () => {}, verbose: () => {} },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  return { messages, restore: () => diag.disable() };
}
