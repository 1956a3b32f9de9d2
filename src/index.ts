export type { Clock, EndTimer } from './clock.js';
export { startTimer, systemClock } from './clock.js';
export type { ExporterName, LogLevel, MetricsConfig, ResolvedConfig } from './config.js';
export { DEFAULTS, ENV, ENV_PREFIX, resolveConfig } from './config.js';
export type { MetricsErrorCode, MetricsProblem } from './errors.js';
export { ERROR_CODES, MetricsError } from './errors.js';
export { createHttpMetricProducer } from './http/instrumentation.js';
export type {
  HttpEngine,
  HttpOptInAttribute,
  HttpOptions,
  HttpRequestInfo,
  ResolvedHttpConfig,
} from './http/options.js';
export type { KoaContextLike } from './http/route.js';
export { koaHttpRoute, setHttpRoute } from './http/route.js';
export type { MetricsHandle } from './init.js';
export { initMeter } from './init.js';
export type { MetricsRequestHandler } from './prometheus/handler.js';
export { createMetricsHandler } from './prometheus/mount.js';
export { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from './prometheus/negotiation.js';
export type { PrometheusOptions, ResolvedPrometheusOptions } from './prometheus/options.js';
export type { ExpositionFormat, ExpositionStats, SerializerOptions } from './prometheus/serializer.js';
export { PrometheusSerializer } from './prometheus/serializer.js';
export type { HostMetricGroup, HostOptions, RuntimeOptions } from './runtime/options.js';
export { HOST_METRIC_GROUPS, INSTRUMENTATION_SHORT_NAMES } from './runtime/options.js';
export { PROM_CLIENT_GC_BUCKETS } from './runtime/prom-client.js';
export { BYTES_BUCKETS, DEFAULT_CARDINALITY_LIMIT, GC_DURATION_BUCKETS, SECONDS_BUCKETS } from './views.js';
