export type { ExporterName, LogLevel, MetricsConfig, PrometheusOptions, ResolvedConfig } from './config.js';
export { DEFAULTS, ENV, ENV_PREFIX, resolveConfig } from './config.js';
export type { MetricsErrorCode, MetricsProblem } from './errors.js';
export { ERROR_CODES, MetricsError } from './errors.js';
export type { MetricsHandle } from './init.js';
export { initMeter } from './init.js';
export type { ExpositionFormat, SerializerOptions } from './prometheus/serializer.js';
export { PrometheusSerializer } from './prometheus/serializer.js';
export { BYTES_BUCKETS, DEFAULT_CARDINALITY_LIMIT, SECONDS_BUCKETS } from './views.js';
