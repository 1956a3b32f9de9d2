import type { IncomingMessage, Server } from 'node:http';
import type { HttpMetrics } from './http/instrumentation.js';
import type { MetricsHandle } from './init.js';

/** The process-wide state of this library. */
export interface GlobalState {
  /** The handle `initMeter()` returned and has not shut down, with the configuration it was given. */
  init?: { readonly handle: MetricsHandle; readonly fingerprint: string };
  /** The running HTTP metrics, found by producers created elsewhere (a test kit building its own reader). */
  httpMetrics?: HttpMetrics;
  /** Our own metrics servers and the requests the mounted handler served (see metrics-traffic.ts). */
  readonly traffic: {
    readonly servers: WeakSet<Server>;
    readonly requests: WeakSet<IncomingMessage>;
    /** Whether any request was ever marked: until then the HTTP hot path skips the lookup. */
    mounted: boolean;
  };
}

// One registered-symbol slot for the whole process, shared by every copy of this package that might be loaded
// (ESM and CJS, or two versions), so they agree on the handle, the HTTP metrics and what is a scrape.
const SLOT = Symbol.for('otel-metrics-bootstrap');
const g = globalThis as typeof globalThis & { [SLOT]?: GlobalState };

g[SLOT] ??= { traffic: { servers: new WeakSet(), requests: new WeakSet(), mounted: false } };
export const state: GlobalState = g[SLOT];
