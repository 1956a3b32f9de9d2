/**
 * Exemplars: a trace link kept with a measurement, so a latency bucket in Grafana can jump to the trace that
 * landed in it. The OTel JS SDK produces none (opentelemetry-js#5147), so only the series this library
 * aggregates itself (the HTTP metrics and the instruments API, `src/http/series.ts`) carry them; they travel to
 * the Prometheus serializers on the data points of ordinary `MetricData` under the {@link EXEMPLARS} symbol,
 * which OTel exporters ignore.
 *
 * Where a point carries them:
 * - explicit-bucket histogram points: at most one per bucket (the latest), in bucket order;
 * - exponential histogram points: at most one per bucket (the latest), in bucket order (negative, zero, positive);
 * - monotonic sum points (counters): at most one, the latest.
 * A serializer places each exemplar by its value (a classic bucket's `le`, or the native histogram's list).
 */

/** A sampled span's ids and the measurement recorded while it was active. */
export interface Exemplar {
  /** The measured value. */
  readonly value: number;
  /** When it was recorded, in milliseconds since the Unix epoch (fractional). */
  readonly timestamp: number;
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** 16 lower-case hex digits. */
  readonly spanId: string;
}

/** The property of a data point that holds its exemplars (a copy, taken at collection). */
export const EXEMPLARS: unique symbol = Symbol('otel-metrics-bootstrap.exemplars');

/** A data point that may carry exemplars. */
export interface WithExemplars {
  [EXEMPLARS]?: readonly Exemplar[];
}

/** The exemplars of a data point, or `undefined` (the common case: no tracer, or nothing sampled). */
export function exemplarsOf(point: object): readonly Exemplar[] | undefined {
  return (point as WithExemplars)[EXEMPLARS];
}
