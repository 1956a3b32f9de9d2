export type {
  ExporterName,
  HttpEngine,
  HttpOptInAttribute,
  HttpOptions,
  HttpRequestInfo,
  LogLevel,
  MetricsConfig,
  PrometheusOptions,
  ResolvedConfig,
  ResolvedHttpConfig,
} from './config.js';
export { DEFAULTS, ENV, ENV_PREFIX, resolveConfig } from './config.js';
export type { MetricsErrorCode, MetricsProblem } from './errors.js';
export { MetricsError } from './errors.js';
export { createHttpMetricProducer } from './http/instrumentation.js';
export type { KoaContextLike } from './http/route.js';
export { koaHttpRoute, setHttpRoute } from './http/route.js';
export type { MetricsHandle } from './init.js';
export { initMeter } from './init.js';
export type { ExpositionFormat, SerializerOptions } from './prometheus/serializer.js';
export { PrometheusSerializer } from './prometheus/serializer.js';
export { BYTES_BUCKETS, DEFAULT_CARDINALITY_LIMIT, SECONDS_BUCKETS } from './views.js';
