import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

export interface Started {
  child: ChildProcess;
  output: () => string;
  appPort: number;
  metricsUrl?: string;
}

/**
 * Starts a fixture app with Node's `preload` flags (e.g. `['--import', 'otel-metrics-bootstrap/register']`) and
 * waits until it listens and metrics either serve or report why not. Children are killed after each test.
 */
export async function startApp(
  preload: readonly string[],
  file: string,
  env: Record<string, string> = {},
): Promise<Started> {
  const child = spawn(process.execPath, [...preload, `test/fixtures/${file}`], {
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

/** Resolves with how the child ended. */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Resolves once the child's output matches `re`; rejects after `ms`. */
export async function waitForOutput(app: Started, re: RegExp, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!re.test(app.output())) {
    if (Date.now() > deadline) throw new Error(`no ${re} in output:\n${app.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
