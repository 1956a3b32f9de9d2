/**
 * Zero-code start: `node --import otel-metrics-bootstrap/register app.js` (ESM) or
 * `node --require otel-metrics-bootstrap/register app.js` (CommonJS). Configuration comes from the environment
 * only. It prints one line with the metrics URL, flushes and closes on SIGTERM/SIGINT without taking over the
 * app's own signal handling, and never crashes the app: any failure prints "metrics not started: <reason>".
 */
import { register as registerLoaderHook } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { type MetricsHandle, startMetrics } from './init.js';

const PREFIX = 'otel-metrics-bootstrap:';
const SHUTDOWN_TIMEOUT_MS = 5_000;

/**
 * For `OMB_HTTP_ENGINE=instrumentation-http`: instrumentation-http patches `node:http` for CommonJS through
 * require-in-the-middle, but an ESM app's `import { request } from 'node:http'` only sees the patch if
 * import-in-the-middle's loader hook is registered before the app's imports run (js#4933: `--import hook.mjs`
 * alone registers nothing). The hook is told up front which modules to wrap, so no other module pays for it and
 * there is no message round-trip to wait for (no top-level await here).
 */
function registerHttpLoaderHook(): void {
  if (process.env['OMB_HTTP_ENGINE']?.trim() !== 'instrumentation-http' || !isMainThread) return;
  registerLoaderHook('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: ['node:http', 'node:https', 'http', 'https'] },
  });
}

function start(): void {
  let handle: MetricsHandle;
  try {
    registerHttpLoaderHook();
    handle = startMetrics(
      {},
      {
        logListenErrors: false,
        // The other exporters start; the unknown name is reported, not fatal.
        onUnknownExporter: (message) => console.error(`${PREFIX} exporter not started: ${message}`),
      },
    );
  } catch (err) {
    console.error(`${PREFIX} metrics not started: ${reason(err)}`);
    return;
  }
  handle.ready.then(
    () => {
      if (handle.metricsUrl) console.log(`${PREFIX} serving metrics at ${handle.metricsUrl}`);
      else if (handle.config.disabled) console.log(`${PREFIX} metrics disabled (OTEL_SDK_DISABLED=true)`);
      else if (handle.config.prometheus) {
        console.log(`${PREFIX} metrics started (own endpoint off: OMB_PROMETHEUS_LISTEN=false)`);
      } else
        console.log(`${PREFIX} metrics started (exporters: ${handle.config.exporters.join(', ') || 'none'})`);
    },
    (err: unknown) => console.error(`${PREFIX} metrics not started: ${reason(err)}`),
  );
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => onSignal(handle, signal));
  }
}

/**
 * Listening to a signal removes Node's default "exit" for it. So: flush and close; then, if the app has its
 * own listener, leave the decision to exit to the app; if not, re-raise the signal so the process ends exactly
 * as it would have without us (same signal, same exit status).
 */
function onSignal(handle: MetricsHandle, signal: NodeJS.Signals): void {
  const appHandlesIt = process.listenerCount(signal) > 0;
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS).unref());
  const done = Promise.race([handle.shutdown(), timeout]).catch(() => undefined);
  if (!appHandlesIt) {
    void done.then(() => process.kill(process.pid, signal));
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

try {
  start();
} catch (err) {
  console.error(`${PREFIX} metrics not started: ${reason(err)}`);
}
