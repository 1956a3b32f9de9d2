import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Loads one of this package's own modules synchronously, on first use, so setup that must stay synchronous
 * (`initMeter()`, the `telemetry.instruments` property) does not import at start-up what most apps never use:
 * push exporters and the instruments API cost `--import otel-metrics-bootstrap/register` about 40 ms of CPU on
 * this project's benchmark machine (docs/benchmarks.md, "Start-up"). `require()` of our ESM build is synchronous
 * on Node ≥ 22.12. `path` is relative to `src/` (to `dist/` once built), e.g. `./export/statsd.js`. The test
 * suite runs the TypeScript sources, which `require()` cannot load; vitest.config.ts swaps this module for one
 * that reads them through vite.
 */
export function loadSync<T>(path: string): T {
  return require(path) as T;
}
