/**
 * Every metric, attribute and resource name this library emits or sets, spelled as the OpenTelemetry
 * semantic conventions spell them. Code elsewhere imports names from here rather than writing strings.
 */

// Resource attributes (semconv: service, deployment, process).
export const ATTR_SERVICE_NAME = 'service.name';
export const ATTR_SERVICE_VERSION = 'service.version';
export const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';
export const ATTR_DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';
export const ATTR_PROCESS_COMMAND_ARGS = 'process.command_args';
export const ATTR_PROCESS_COMMAND_LINE = 'process.command_line';

// Metric data-point attributes.
export const ATTR_OTEL_METRIC_OVERFLOW = 'otel.metric.overflow';

// Prometheus-side names fixed by the OTel ↔ Prometheus compatibility spec.
export const PROM_TARGET_INFO = 'target_info';
export const PROM_SCOPE_NAME = 'otel_scope_name';
export const PROM_SCOPE_VERSION = 'otel_scope_version';
export const PROM_SCOPE_SCHEMA_URL = 'otel_scope_schema_url';

/** Our own instrumentation scope, for the self-metrics and built-in collectors. */
export const SCOPE_NAME = 'otel-metrics-bootstrap';

// Semconv attributes on our self-metrics.
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_ERROR_TYPE = 'error.type';

/**
 * The library's own metrics (self-observability), all under one prefix: `omb.` in OTel, `omb_` in Prometheus.
 * The README's "Self-metrics" table lists them.
 */
export const SELF_METRIC_PREFIX = 'omb.';
/** Requests to the endpoint (not health checks), by `http.response.status_code` and `error.type`. */
export const METRIC_OMB_SCRAPE_REQUESTS = 'omb.scrape.requests';
/** Time from request to last byte handed to the socket, by `http.response.status_code`. */
export const METRIC_OMB_SCRAPE_DURATION = 'omb.scrape.duration';
/** Body bytes sent per successful scrape, after compression. */
export const METRIC_OMB_SCRAPE_RESPONSE_SIZE = 'omb.scrape.response.size';
/** Samples in the last exposition served. */
export const METRIC_OMB_SCRAPE_SERIES = 'omb.scrape.series';
/** Overflow series (`otel.metric.overflow=true`) per instrument in the last exposition. */
export const METRIC_OMB_OVERFLOW_SERIES = 'omb.cardinality.overflow.series';
/** Measurements folded into overflow series per instrument (histograms: exact, from the overflow count). */
export const METRIC_OMB_OVERFLOW_MEASUREMENTS = 'omb.cardinality.overflow.measurements';
/** Observable callbacks that threw or rejected, per instrument. */
export const METRIC_OMB_CALLBACK_FAILURES = 'omb.callback.failures';
/** Our own attribute naming the instrument a self-metric is about. */
export const ATTR_OMB_INSTRUMENT = 'omb.instrument';
