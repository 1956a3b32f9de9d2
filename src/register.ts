/**
 * Zero-code start: `node --import otel-metrics-bootstrap/register app.js` (ESM) or
 * `node --require otel-metrics-bootstrap/register app.js` (CommonJS), configured from the environment only.
 * For an app's own register file (`node --import ./register.js app.js`), `register(config)` does the same with
 * the app's options. Either way it prints one line with the metrics URL, keeps serving scrapes while the app
 * drains after SIGTERM/SIGINT, then flushes and closes, and never crashes the app: any failure prints
 * "metrics not started: <reason>" and the app runs on.
 */
import cluster from 'node:cluster';
import { realpathSync } from 'node:fs';
import { createRequire, register as registerLoaderHook } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
// Types only: the code is loaded by loadInit() so that a broken install cannot fail this module's linking.
import type { MetricsConfig } from './config.js';
import type { MetricsHandle, startMetrics } from './init.js';

const PREFIX = 'otel-metrics-bootstrap:';
const SHUTDOWN_TIMEOUT_MS = 5_000;
const require = createRequire(import.meta.url);

let registered = false;

/**
 * Starts metrics with `config` merged with the environment (explicit option > environment variable > default),
 * for an app's own register file loaded with `node --import ./register.js app.js`:
 *
 * ```js
 * import { register } from 'otel-metrics-bootstrap/register';
 * register({ serviceName: 'checkout', http: { routes: ['/orders/:id'] } });
 * ```
 *
 * Call it at the top level of that file, before the app's code runs (an `await` before it would let the
 * environment-only start of this entry go first). Never throws: a problem prints
 * `otel-metrics-bootstrap: metrics not started: <reason>` and returns `undefined`, and the app runs on. Installs
 * the same SIGTERM/SIGINT handling as `--import otel-metrics-bootstrap/register`, once per process.
 */
export function register(config: MetricsConfig = {}): MetricsHandle | undefined {
  registered = true;
  try {
    const start = loadInit();
    registerHttpLoaderHook(config);
    const handle = start(config, {
      logListenErrors: false,
      // The other exporters start; an unknown name in OTEL_METRICS_EXPORTER is reported, not fatal.
      onUnknownExporter: (message) => console.error(`${PREFIX} exporter not started: ${message}`),
    });
    announce(handle);
    handleSignalsOnce(handle);
    return handle;
  } catch (err) {
    console.error(`${PREFIX} metrics not started: ${reason(err)}`);
    return undefined;
  }
}

/**
 * Loads the rest of the package only after checking the `@opentelemetry/api` it will link against: the SDK
 * packages import names that older APIs lack (`logs` appeared in 1.10.0), and a static import would turn that
 * into a SyntaxError at link time, before any code here could run. `require()` of our ESM build (Node ≥ 22.12)
 * is synchronous, so the global MeterProvider still exists before the app's first line runs, and any link
 * error becomes a caught exception.
 */
function loadInit(): typeof startMetrics {
  checkApiVersion();
  return (require('./init.js') as typeof import('./init.js')).startMetrics;
}

function checkApiVersion(): void {
  const range = (require('../package.json') as { peerDependencies: Record<string, string> }).peerDependencies[
    '@opentelemetry/api'
  ]!;
  const [, min, max] = /^>=(\S+) <(\S+)$/.exec(range)!;
  const fix = `npm install @opentelemetry/api@"${range}"`;
  const installed = apiVersion();
  if (installed === undefined) throw new Error(`@opentelemetry/api is not installed; ${fix}`);
  if (compareVersions(installed, min!) < 0 || compareVersions(installed, max!) >= 0) {
    throw new Error(`@opentelemetry/api ${installed} is installed but this package needs ${range}; ${fix}`);
  }
}

/** The version of the `@opentelemetry/api` copy this package resolves to, or `undefined` if there is none. */
function apiVersion(): string | undefined {
  let dir: string;
  try {
    dir = dirname(require.resolve('@opentelemetry/api'));
  } catch {
    return undefined;
  }
  // The API's exports map hides its package.json, so walk up from its entry file.
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = require(join(dir, 'package.json')) as { name?: string; version?: string };
      if (pkg.name === '@opentelemetry/api') return pkg.version;
    } catch {
      // no package.json at this level
    }
  }
  return undefined;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map(Number);
  const pb = b.split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * For the `instrumentation-http` engine: instrumentation-http patches `node:http` for CommonJS through
 * require-in-the-middle, but an ESM app's `import { request } from 'node:http'` only sees the patch if
 * import-in-the-middle's loader hook is registered before the app's imports run (js#4933: `--import hook.mjs`
 * alone registers nothing). The hook comes from the `@opentelemetry/instrumentation` that instrumentation-http
 * itself uses, and is told up front which modules to wrap, so no other module pays for it and there is no
 * message round-trip to wait for (no top-level await here). A missing package is reported by `initMeter()`.
 */
function registerHttpLoaderHook(config: MetricsConfig): void {
  const http = config.http === false ? undefined : config.http;
  const engine = http?.engine ?? process.env['OMB_HTTP_ENGINE']?.trim();
  if (engine !== 'instrumentation-http' || !isMainThread) return;
  let hook: string;
  try {
    const instrumentationHttp = require.resolve('@opentelemetry/instrumentation-http');
    hook = createRequire(instrumentationHttp).resolve('@opentelemetry/instrumentation/hook.mjs');
  } catch {
    return;
  }
  registerLoaderHook(hook, import.meta.url, {
    data: { include: ['node:http', 'node:https', 'http', 'https'] },
  });
}

function announce(handle: MetricsHandle): void {
  handle.ready.then(
    () => {
      if (handle.metricsUrl) console.log(`${PREFIX} serving metrics at ${handle.metricsUrl}`);
      else if (handle.config.disabled) console.log(`${PREFIX} metrics disabled (OTEL_SDK_DISABLED=true)`);
      else if (handle.config.cluster && cluster.isWorker) {
        console.log(
          `${PREFIX} metrics started (cluster worker ${process.pid}: served by the primary's endpoint)`,
        );
      } else if (handle.config.prometheus) {
        console.log(`${PREFIX} metrics started (own endpoint off: OMB_PROMETHEUS_LISTEN=false)`);
      } else
        console.log(`${PREFIX} metrics started (exporters: ${handle.config.exporters.join(', ') || 'none'})`);
    },
    (err: unknown) => console.error(`${PREFIX} metrics not started: ${reason(err)}`),
  );
}

let signalsHandled = false;

function handleSignalsOnce(handle: MetricsHandle): void {
  if (signalsHandled) return;
  signalsHandled = true;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => onSignal(handle, signal));
  }
}

/**
 * Listening to a signal removes Node's default "exit" for it. If the app has no listener of its own, flush,
 * close and re-raise the signal, so the process ends exactly as it would have without us (same signal, same
 * exit status). If it has one, the app is draining: keep serving scrapes so its last requests are collected,
 * until its event loop empties (its shutdown is done) or `drainTimeout` passes, then flush and close and leave
 * the decision to exit to the app.
 */
function onSignal(handle: MetricsHandle, signal: NodeJS.Signals): void {
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS).unref());
      await Promise.race([handle.shutdown(), timeout]).catch(() => undefined);
      console.log(`${PREFIX} metrics flushed and stopped after ${signal}`);
    })();
    return closing;
  };
  if (process.listenerCount(signal) === 0) {
    void close().then(() => process.kill(process.pid, signal));
    return;
  }
  setTimeout(close, handle.config.drainTimeout).unref();
  // Fires when nothing but our unref'd endpoint is left: the app has finished its own shutdown. close() keeps
  // the loop alive until it is done; then the process exits on its own.
  process.once('beforeExit', () => void close());
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Whether Node was started with `--import`/`--require` of this very file (directly or through NODE_OPTIONS).
 * Then there is no app register file to call `register()`, and starting must happen now: with `--require`,
 * a CommonJS app's main module runs before any microtask queued here.
 */
function loadedAsPreload(): boolean {
  const self = realpathSync(fileURLToPath(import.meta.url));
  const fromCwd = createRequire(join(process.cwd(), 'noop.js'));
  const args = [...process.execArgv, ...(process.env['NODE_OPTIONS']?.split(/\s+/) ?? [])];
  for (let i = 0; i < args.length; i++) {
    const m = /^(?:--import|--require|-r)(?:=(.*))?$/.exec(args[i]!);
    if (!m) continue;
    const spec = (m[1] ?? args[++i] ?? '').replace(/^["']|["']$/g, '');
    try {
      const file = spec.startsWith('file:') ? fileURLToPath(spec) : fromCwd.resolve(spec);
      if (realpathSync(file) === self) return true;
    } catch {
      // not resolvable from here: not us
    }
  }
  return false;
}

try {
  if (loadedAsPreload()) register();
  // Imported by other code (an app's own register file, or `import 'otel-metrics-bootstrap/register'`): that
  // module's body runs in the same synchronous evaluation as this one, so a register(config) call there is seen
  // here; without one, start from the environment.
  else
    queueMicrotask(() => {
      if (!registered) register();
    });
} catch (err) {
  console.error(`${PREFIX} metrics not started: ${reason(err)}`);
}
