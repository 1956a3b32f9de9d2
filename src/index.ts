export type { AgentRunOptions, AgentScope, AgentToolOptions } from './business/agents.js';
export { AgentMetrics, createAgentMetrics } from './business/agents.js';
export type { JobRun, JobRunOptions } from './business/jobs.js';
export { BoundJobType, createJobMetrics, JOB_DURATION_BUCKETS, JobMetrics } from './business/jobs.js';
export type { LlmCall, LlmRequest, LlmStreamSource } from './business/llm.js';
export { createLlmMetrics, GEN_AI_OPERATION_NAMES, LlmMetrics } from './business/llm.js';
export type { LlmUsage } from './business/llm-usage.js';
export { UsageReader, usageOf } from './business/llm-usage.js';
export type {
  AgentMetricsOptions,
  BusinessOptions,
  JobMetricsOptions,
  LlmMetricsOptions,
  ModelPrice,
  PriceTable,
} from './business/options.js';
export type { Clock, DurationSink, EndTimer } from './clock.js';
export { Stopwatch, startTimer, systemClock } from './clock.js';
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
export type { BoundCounter, Counter } from './instruments/counter.js';
export type { BoundGauge, Gauge, GaugeOptions } from './instruments/gauge.js';
export type {
  BoundHistogram,
  Histogram,
  HistogramOptions,
  HistogramSnapshot,
} from './instruments/histogram.js';
export type { InstrumentKind, InstrumentOptions, SeriesReading } from './instruments/instrument.js';
export type { CreateInstrumentsOptions, Instruments } from './instruments/instruments.js';
export { createInstruments } from './instruments/instruments.js';
export type { InstrumentsOptions, ResolvedInstrumentsOptions } from './instruments/options.js';
export type { AnyInstrument, InstrumentSnapshot } from './instruments/registry.js';
export type { BoundSummary, Summary, SummaryOptions, SummarySnapshot } from './instruments/summary.js';
export { SUMMARY_RELATIVE_ACCURACY } from './instruments/summary.js';
export type { Timer, TimerOptions } from './instruments/timer.js';
export type { ExpositionStats } from './prometheus/exposition-stats.js';
export type { FetchHandler } from './prometheus/fetch.js';
export type { MetricsRequestHandler } from './prometheus/handler.js';
export type { ResourceConstantLabels } from './prometheus/labels.js';
export { createFetchHandler, createMetricsHandler } from './prometheus/mount.js';
export type { EscapingScheme, TranslationStrategy } from './prometheus/naming.js';
export { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from './prometheus/negotiation.js';
export type { PrometheusOptions, ResolvedPrometheusOptions } from './prometheus/options.js';
export type { ExpositionFormat, SerializerOptions } from './prometheus/serializer.js';
export { PrometheusSerializer } from './prometheus/serializer.js';
export type { HostMetricGroup, HostOptions, RuntimeOptions } from './runtime/options.js';
export { HOST_METRIC_GROUPS, INSTRUMENTATION_SHORT_NAMES } from './runtime/options.js';
export { PROM_CLIENT_GC_BUCKETS } from './runtime/prom-client.js';
export type { HistogramAggregation } from './views.js';
export { BYTES_BUCKETS, DEFAULT_CARDINALITY_LIMIT, GC_DURATION_BUCKETS, SECONDS_BUCKETS } from './views.js';
