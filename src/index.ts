export type {
  ExporterName,
  LogLevel,
  MetricsConfig,
  PrometheusOptions,
  ResolvedConfig,
  ResolvedPrometheusOptions,
} from './config.js';
export { DEFAULTS, ENV, ENV_PREFIX, resolveConfig } from './config.js';
export type { MetricsErrorCode, MetricsProblem } from './errors.js';
export { MetricsError } from './errors.js';
export type { MetricsHandle } from './init.js';
export { initMeter } from './init.js';
export type { MetricsRequestHandler } from './prometheus/handler.js';
export { createMetricsHandler } from './prometheus/mount.js';
export { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from './prometheus/negotiation.js';
export type { ExpositionFormat, ExpositionStats, SerializerOptions } from './prometheus/serializer.js';
export { PrometheusSerializer } from './prometheus/serializer.js';
export { isMetricsTraffic } from './prometheus/traffic.js';
export { BYTES_BUCKETS, DEFAULT_CARDINALITY_LIMIT, SECONDS_BUCKETS } from './views.js';
