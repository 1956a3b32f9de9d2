import { context, isSpanContextValid, type SpanContext, TraceFlags, trace } from '@opentelemetry/api';
import type { Exemplar } from '../exemplars.js';

/**
 * Where `@opentelemetry/api` 1.x keeps its registered globals (context manager, tracer provider, …): one object
 * on `globalThis` under this symbol, shared by every copy of the API in the process. It is the API's stable
 * cross-copy contract, so reading it here stays right when the app loads another copy of the API.
 */
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
const root = globalThis as { [OTEL_API_GLOBAL]?: { context?: unknown } };

/**
 * Whether a context manager is registered. Without one `context.active()` is always the empty root context,
 * so no span can be active.
 */
export function tracingRegistered(): boolean {
  return root[OTEL_API_GLOBAL]?.context !== undefined;
}

/**
 * The answer of `tracingRegistered()` the recorders go by, refreshed whenever a series is created and at every
 * collection (`refreshTracing()`), not per measurement: even that one read (a symbol-keyed property of
 * `globalThis`, then one of the API's dictionary-mode object) measured 7 ns, which doubled a bound histogram
 * observe and made a bound counter inc 8× slower (bench/histogram-record.js), and a per-call countdown still
 * cost 2–3 ns (a store on every call). Tracing is set up at startup, normally before the first request; when it
 * comes later, exemplars begin with the next new series or collection. Exported (other modules only read it,
 * an ES live binding) for a recorder that writes several series itself and must know, once per call, whether
 * an exemplar could be wanted (`LlmMetrics.record()`).
 */
export let tracingOn = false;

/** Reads again whether a context manager is registered (see `tracingOn`). */
export function refreshTracing(): void {
  tracingOn = tracingRegistered();
}

/** The active span's context when it is sampled and valid, else `undefined`. */
export function sampledSpanContext(): SpanContext | undefined {
  if (!tracingOn) return undefined;
  const span = trace.getSpan(context.active());
  if (span === undefined) return undefined;
  const sc = span.spanContext();
  return (sc.traceFlags & TraceFlags.SAMPLED) !== 0 && isSpanContextValid(sc) ? sc : undefined;
}

/** An exemplar of `value` for the span `sc`, timed now. */
export function exemplarOf(value: number, sc: SpanContext): Exemplar {
  return {
    value,
    timestamp: performance.timeOrigin + performance.now(),
    traceId: sc.traceId,
    spanId: sc.spanId,
  };
}

/**
 * The exemplars kept since `sinceMs` (all when `undefined`), in the order given, or `undefined` when there are
 * none: a data point carries the property only when it has exemplars (see `src/exemplars.ts`).
 */
export function exemplarsSince(
  list: Iterable<Exemplar | undefined>,
  sinceMs: number | undefined,
): Exemplar[] | undefined {
  const out: Exemplar[] = [];
  for (const e of list) {
    if (e !== undefined && (sinceMs === undefined || e.timestamp > sinceMs)) out.push(e);
  }
  return out.length > 0 ? out : undefined;
}

/**
 * Keeps an exemplar of `value` on `series` when a sampled span is active (the hot path's one call). Small, so
 * V8 inlines it into the recording call: without tracing it costs one load and a branch.
 */
export function captureExemplar(series: { keep(exemplar: Exemplar): void }, value: number): void {
  if (tracingOn) keepIfSampled(series, value);
}

function keepIfSampled(series: { keep(exemplar: Exemplar): void }, value: number): void {
  const sc = sampledSpanContext();
  if (sc !== undefined) series.keep(exemplarOf(value, sc));
}
