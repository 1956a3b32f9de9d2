/**
 * `import 'otel-metrics-bootstrap/testing/vitest'` (in a test file or in vitest's `setupFiles`) registers the
 * metrics matchers with vitest's `expect` and adds their types to `Assertion`. vitest stays the caller's
 * dependency: only this entry imports it.
 */
import { expect } from 'vitest';
import { type MetricsMatchers, metricsMatchers } from './assertions.js';

expect.extend(metricsMatchers);

declare module 'vitest' {
  // The type parameters must repeat vitest 5's declaration exactly for the merge to apply.
  interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown>
    extends MetricsMatchers<R> {}
}
