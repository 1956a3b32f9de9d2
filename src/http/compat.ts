import type { IncomingMessage, Server } from 'node:http';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { MeterProvider } from '@opentelemetry/api';
import { MetricsError } from '../errors.js';
import { isMetricsTraffic } from '../metrics-traffic.js';
import type { RequestFilter } from './ignore.js';

/**
 * The compatibility engine's package, an optional peer dependency. Its own `@opentelemetry/instrumentation`
 * (0.301) is loaded through it: the runtime and host instrumentations pin 0.300, so a copy found from here
 * could be the other version.
 */
export const COMPAT_PACKAGE = '@opentelemetry/instrumentation-http';

interface HttpInstrumentationModule {
  HttpInstrumentation: new (config: {
    ignoreIncomingRequestHook?: (req: IncomingMessage) => boolean;
    disableIncomingRequestInstrumentation?: boolean;
    disableOutgoingRequestInstrumentation?: boolean;
  }) => unknown;
}
interface InstrumentationModule {
  registerInstrumentations(options: {
    instrumentations: unknown[];
    meterProvider: MeterProvider;
  }): () => void;
}

/**
 * Loads the engine synchronously (initMeter() is synchronous and must patch before the app creates servers),
 * or throws `ERR_MISSING_DEPENDENCY` naming what to install. CommonJS builds are loaded on purpose: they patch
 * `node:http` through require-in-the-middle, and ESM apps are covered by the loader hook that
 * `otel-metrics-bootstrap/register` registers with `module.register()`.
 */
function load(): [HttpInstrumentationModule, InstrumentationModule] {
  const require = createRequire(import.meta.url);
  try {
    const fromEngine = createRequire(require.resolve(COMPAT_PACKAGE));
    return [
      require(COMPAT_PACKAGE) as HttpInstrumentationModule,
      fromEngine('@opentelemetry/instrumentation') as InstrumentationModule,
    ];
  } catch (err) {
    throw new MetricsError(
      [
        {
          code: 'ERR_MISSING_DEPENDENCY',
          source: 'http.engine',
          message:
            `"instrumentation-http" needs ${COMPAT_PACKAGE} (0.301.x, matching sdk-metrics 3.1): ` +
            `npm install ${COMPAT_PACKAGE}@~0.301.0`,
        },
      ],
      { cause: err },
    );
  }
}

/**
 * The compatibility engine: `@opentelemetry/instrumentation-http` records `http.server.request.duration` and
 * `http.client.request.duration` (and creates its spans) on `meterProvider`, so views, buckets and limits
 * apply as for any SDK instrument. The diagnostics-channel engine then records only what instrumentation-http
 * does not (active requests, body sizes), so no metric is ever recorded twice. Returns the function that
 * disables it.
 */
export function startInstrumentationHttp(
  meterProvider: MeterProvider,
  sides: { readonly server: boolean; readonly client: boolean },
  ignore: RequestFilter | undefined,
): () => void {
  const [{ HttpInstrumentation }, { registerInstrumentations }] = load();
  const instrumentation = new HttpInstrumentation({
    disableIncomingRequestInstrumentation: !sides.server,
    disableOutgoingRequestInstrumentation: !sides.client,
    ignoreIncomingRequestHook: (req) => {
      const server = (req.socket as { server?: Server } | null)?.server;
      return isMetricsTraffic(req, server) || ignore?.(req) === true;
    },
  });
  const unregister = registerInstrumentations({ instrumentations: [instrumentation], meterProvider });
  // require-in-the-middle patches a core module when it is next required; requiring them here patches the
  // shared module objects now. ESM apps bind `import { request } from 'node:http'` to the builtin's ESM
  // facade, which Node refreshes from the patched CommonJS exports on syncBuiltinESMExports(): that covers
  // imports made before initMeter() ran (live bindings) and after it.
  const require = createRequire(import.meta.url);
  require('node:http');
  require('node:https');
  syncBuiltinESMExports();
  return () => {
    unregister();
    syncBuiltinESMExports();
  };
}
