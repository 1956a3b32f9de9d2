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
