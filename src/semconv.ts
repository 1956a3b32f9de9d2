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

// HTTP metrics (stable HTTP semconv, http-metrics.md; active requests and body sizes are "development").
export const METRIC_HTTP_SERVER_REQUEST_DURATION = 'http.server.request.duration';
export const METRIC_HTTP_SERVER_ACTIVE_REQUESTS = 'http.server.active_requests';
export const METRIC_HTTP_SERVER_REQUEST_BODY_SIZE = 'http.server.request.body.size';
export const METRIC_HTTP_SERVER_RESPONSE_BODY_SIZE = 'http.server.response.body.size';
export const METRIC_HTTP_CLIENT_REQUEST_DURATION = 'http.client.request.duration';

// HTTP metric attributes.
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_URL_SCHEME = 'url.scheme';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';

/** `http.request.method` for any method not in the known list (semconv). */
export const HTTP_METHOD_OTHER = '_OTHER';
/**
 * The methods semconv names (RFC 9110 + PATCH), plus QUERY as instrumentation-http 0.301 does. Override with
 * `http.knownMethods` / `OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS` (the spec's variable for this).
 */
export const HTTP_KNOWN_METHODS: readonly string[] = Object.freeze([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
  'QUERY',
]);
/** `error.type` for a server request whose connection closed before the response finished. */
export const ERROR_TYPE_ABORTED = 'aborted';
