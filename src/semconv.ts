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
/** When the process started, ISO 8601 (semconv `process.creation.time`); on `target_info`. */
export const ATTR_PROCESS_CREATION_TIME = 'process.creation.time';

// Metric data-point attributes.
export const ATTR_OTEL_METRIC_OVERFLOW = 'otel.metric.overflow';

// Runtime metrics, recorded by @opentelemetry/instrumentation-runtime-node (semconv: nodejs, v8js).
export const METRIC_NODEJS_EVENTLOOP_DELAY_MIN = 'nodejs.eventloop.delay.min';
export const METRIC_NODEJS_EVENTLOOP_DELAY_MAX = 'nodejs.eventloop.delay.max';
export const METRIC_NODEJS_EVENTLOOP_DELAY_MEAN = 'nodejs.eventloop.delay.mean';
export const METRIC_NODEJS_EVENTLOOP_DELAY_STDDEV = 'nodejs.eventloop.delay.stddev';
export const METRIC_NODEJS_EVENTLOOP_DELAY_P50 = 'nodejs.eventloop.delay.p50';
export const METRIC_NODEJS_EVENTLOOP_DELAY_P90 = 'nodejs.eventloop.delay.p90';
export const METRIC_NODEJS_EVENTLOOP_DELAY_P99 = 'nodejs.eventloop.delay.p99';
export const METRIC_NODEJS_EVENTLOOP_UTILIZATION = 'nodejs.eventloop.utilization';
export const METRIC_NODEJS_EVENTLOOP_TIME = 'nodejs.eventloop.time';
export const METRIC_V8JS_GC_DURATION = 'v8js.gc.duration';
export const METRIC_V8JS_MEMORY_HEAP_USED = 'v8js.memory.heap.used';
export const METRIC_V8JS_MEMORY_HEAP_SPACE_SIZE = 'v8js.memory.heap.space.size';
export const METRIC_V8JS_MEMORY_HEAP_SPACE_AVAILABLE_SIZE = 'v8js.memory.heap.space.available_size';
export const METRIC_V8JS_MEMORY_HEAP_SPACE_PHYSICAL_SIZE = 'v8js.memory.heap.space.physical_size';
export const METRIC_V8JS_RESOURCE_ACTIVE = 'v8js.resource.active';
export const ATTR_V8JS_GC_TYPE = 'v8js.gc.type';
export const ATTR_V8JS_HEAP_SPACE_NAME = 'v8js.heap.space.name';

// Process and host metrics, recorded by @opentelemetry/instrumentation-host-metrics (semconv: process, system).
export const METRIC_PROCESS_CPU_TIME = 'process.cpu.time';
export const METRIC_PROCESS_CPU_UTILIZATION = 'process.cpu.utilization';
export const METRIC_PROCESS_MEMORY_USAGE = 'process.memory.usage';
export const METRIC_SYSTEM_CPU_TIME = 'system.cpu.time';
export const METRIC_SYSTEM_CPU_UTILIZATION = 'system.cpu.utilization';
export const METRIC_SYSTEM_MEMORY_USAGE = 'system.memory.usage';
export const METRIC_SYSTEM_MEMORY_UTILIZATION = 'system.memory.utilization';
export const METRIC_SYSTEM_NETWORK_IO = 'system.network.io';
export const METRIC_SYSTEM_NETWORK_ERRORS = 'system.network.errors';
export const METRIC_SYSTEM_NETWORK_PACKET_DROPPED = 'system.network.packet.dropped';

// Process metrics the packages above lack, recorded by src/runtime/process.ts (semconv: process).
export const METRIC_PROCESS_UPTIME = 'process.uptime';
export const METRIC_PROCESS_MEMORY_VIRTUAL = 'process.memory.virtual';
export const METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_COUNT = 'process.unix.file_descriptor.count';
/**
 * Not (yet) in semconv, which has the count but no limit; named after the count and semconv's `*.limit`
 * pattern (`system.filesystem.limit`, `jvm.memory.limit`) so the two sit side by side in a dashboard.
 */
export const METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_LIMIT = 'process.unix.file_descriptor.limit';

// prom-client `collectDefaultMetrics()` names, emitted only with `promClientCompat` (src/runtime/prom-client.ts).
// Counters are named without `_total`: the Prometheus serializer appends it, as for any OTel counter.
export const PROM_CLIENT_CPU_USER_SECONDS = 'process_cpu_user_seconds';
export const PROM_CLIENT_CPU_SYSTEM_SECONDS = 'process_cpu_system_seconds';
export const PROM_CLIENT_CPU_SECONDS = 'process_cpu_seconds';
export const PROM_CLIENT_START_TIME_SECONDS = 'process_start_time_seconds';
export const PROM_CLIENT_RESIDENT_MEMORY_BYTES = 'process_resident_memory_bytes';
export const PROM_CLIENT_VIRTUAL_MEMORY_BYTES = 'process_virtual_memory_bytes';
export const PROM_CLIENT_HEAP_BYTES = 'process_heap_bytes';
export const PROM_CLIENT_OPEN_FDS = 'process_open_fds';
export const PROM_CLIENT_MAX_FDS = 'process_max_fds';
export const PROM_CLIENT_EVENTLOOP_LAG_SECONDS = 'nodejs_eventloop_lag_seconds';
/** `nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`. */
export const PROM_CLIENT_EVENTLOOP_LAG_STAT_SECONDS = (stat: string) =>
  `nodejs_eventloop_lag_${stat}_seconds`;
export const PROM_CLIENT_ACTIVE_RESOURCES = 'nodejs_active_resources';
export const PROM_CLIENT_ACTIVE_RESOURCES_TOTAL = 'nodejs_active_resources_total';
export const PROM_CLIENT_ACTIVE_HANDLES = 'nodejs_active_handles';
export const PROM_CLIENT_ACTIVE_HANDLES_TOTAL = 'nodejs_active_handles_total';
export const PROM_CLIENT_ACTIVE_REQUESTS = 'nodejs_active_requests';
export const PROM_CLIENT_ACTIVE_REQUESTS_TOTAL = 'nodejs_active_requests_total';
export const PROM_CLIENT_HEAP_SIZE_TOTAL_BYTES = 'nodejs_heap_size_total_bytes';
export const PROM_CLIENT_HEAP_SIZE_USED_BYTES = 'nodejs_heap_size_used_bytes';
export const PROM_CLIENT_EXTERNAL_MEMORY_BYTES = 'nodejs_external_memory_bytes';
export const PROM_CLIENT_HEAP_SPACE_SIZE_TOTAL_BYTES = 'nodejs_heap_space_size_total_bytes';
export const PROM_CLIENT_HEAP_SPACE_SIZE_USED_BYTES = 'nodejs_heap_space_size_used_bytes';
export const PROM_CLIENT_HEAP_SPACE_SIZE_AVAILABLE_BYTES = 'nodejs_heap_space_size_available_bytes';
export const PROM_CLIENT_VERSION_INFO = 'nodejs_version_info';
export const PROM_CLIENT_GC_DURATION_SECONDS = 'nodejs_gc_duration_seconds';
/** prom-client's label keys. */
export const PROM_CLIENT_LABEL_TYPE = 'type';
export const PROM_CLIENT_LABEL_SPACE = 'space';
export const PROM_CLIENT_LABEL_KIND = 'kind';

// Prometheus-side names fixed by the OTel ↔ Prometheus compatibility spec.
export const PROM_TARGET_INFO = 'target_info';
/** `target_info`'s family name in OpenMetrics, where info families are named without `_info`. */
export const PROM_TARGET_INFO_OM = 'target';
export const PROM_SCOPE_NAME = 'otel_scope_name';
export const PROM_SCOPE_VERSION = 'otel_scope_version';
export const PROM_SCOPE_SCHEMA_URL = 'otel_scope_schema_url';

/** Our own instrumentation scope, for the self-metrics and built-in collectors. */
export const SCOPE_NAME = 'otel-metrics-bootstrap';
/** Scope of the opt-in prom-client compatible series (`promClientCompat`), so they can be told apart. */
export const PROM_CLIENT_SCOPE_NAME = 'otel-metrics-bootstrap/prom-client';

// Semconv attributes on our self-metrics.
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_ERROR_TYPE = 'error.type';

// The library's own metrics (self-observability), all under one prefix: `omb.` in OTel, `omb_` in Prometheus.
// The README's "Self-metrics" table lists them.
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
/**
 * Measurements given an invalid value (dropped) or attribute (left out), per instrument, with `error.type`
 * `invalid_value` / `invalid_attribute` (src/measurement-guard.ts).
 */
export const METRIC_OMB_RECORD_INVALID = 'omb.record.invalid';
/**
 * Series left out of the last exposition, per instrument, with `error.type` `invalid_name`, `name_conflict`,
 * `unsupported_type` or `invalid_value` (src/prometheus/serializer.ts).
 */
export const METRIC_OMB_EXPOSITION_DROPPED = 'omb.exposition.dropped';
/** Observable callbacks left out of a collection, per instrument and `reason` (`error`, `timeout`). */
export const METRIC_OMB_CALLBACK_FAILURES = 'omb.callback.failures';
/** Metrics requests being served right now (admitted past auth, rate and concurrency checks). */
export const METRIC_OMB_SCRAPES_IN_FLIGHT = 'omb.scrapes.in_flight';
/** Connections our endpoint closed to protect itself, by `error.type` (the reason: a timeout, a limit). */
export const METRIC_OMB_CONNECTIONS_CLOSED = 'omb.connections.closed';
/**
 * Record-time problems of the instruments API, per instrument and `error.type` (`overflow`, `invalid_value`,
 * `undeclared_label`, `invalid_label`, `truncated_value`, `callback_failed`): each is dropped or repaired,
 * logged once and counted here.
 */
export const METRIC_OMB_INSTRUMENT_PROBLEMS = 'omb.instrument.problems';
/** Our own attribute naming the instrument a self-metric is about. */
export const ATTR_OMB_INSTRUMENT = 'omb.instrument';
/** Exports attempted by a push exporter, by `exporter` and `outcome` (`success`/`failure`). */
export const METRIC_OMB_EXPORT_REQUESTS = 'omb.export.requests';
/** Time one export took (collection, encoding, sending, retries), by `exporter`. */
export const METRIC_OMB_EXPORT_DURATION = 'omb.export.duration';
/** Delta data points lost with a failed export (cumulative ones are carried by the next export), by `exporter`. */
export const METRIC_OMB_EXPORT_POINTS_DROPPED = 'omb.export.points_dropped';
/** Cluster mode: worker answers the primary did not get within `cluster.timeout`, by `omb.cluster.worker` (left out of that scrape). */
export const METRIC_OMB_CLUSTER_WORKER_TIMEOUTS = 'omb.cluster.worker.timeouts';
/** Cluster mode: workers connected to the primary. */
export const METRIC_OMB_CLUSTER_WORKERS = 'omb.cluster.workers';
/** Cluster mode: the worker a self-metric is about (`worker` itself is the label of the process that reports it). */
export const ATTR_OMB_CLUSTER_WORKER = 'omb.cluster.worker';
/** Cluster mode: which process a series comes from — the worker's slot (`1`…`n`, reused by a replacement) or `primary`. */
export const ATTR_OMB_WORKER = 'worker';
/** Which push exporter (`otlp`, `pushgateway`, `statsd`, `console`); spelled as dashboards query it. */
export const ATTR_OMB_EXPORTER = 'exporter';
/** `success` or `failure`. */
export const ATTR_OMB_OUTCOME = 'outcome';

/** The Prometheus label of a summary's quantile samples (reserved on summaries). */
export const PROM_QUANTILE_LABEL = 'quantile';
/** Exemplar label with the sampled span's trace id (OpenMetrics and protobuf exemplars; the spec's name). */
export const PROM_EXEMPLAR_TRACE_ID = 'trace_id';
/** Exemplar label with the sampled span's id. */
export const PROM_EXEMPLAR_SPAN_ID = 'span_id';
/** The Prometheus label of a histogram's bucket samples (reserved on histograms). */
export const PROM_LE_LABEL = 'le';
/** Why a callback failed: `error` (threw or rejected) or `timeout` (did not settle by its deadline). */
export const ATTR_REASON = 'reason';

// HTTP metrics (stable HTTP semconv, http-metrics.md; active requests and body sizes are "development").
export const METRIC_HTTP_SERVER_REQUEST_DURATION = 'http.server.request.duration';
export const METRIC_HTTP_SERVER_ACTIVE_REQUESTS = 'http.server.active_requests';
export const METRIC_HTTP_SERVER_REQUEST_BODY_SIZE = 'http.server.request.body.size';
export const METRIC_HTTP_SERVER_RESPONSE_BODY_SIZE = 'http.server.response.body.size';
export const METRIC_HTTP_CLIENT_REQUEST_DURATION = 'http.client.request.duration';

// HTTP metric attributes (also `http.response.status_code` and `error.type`, above).
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_URL_SCHEME = 'url.scheme';
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

// GenAI metrics and attributes (semantic-conventions-genai 1.42, schema `gen-ai/1.42.0`, all "Development").
// The constants in @opentelemetry/semantic-conventions 1.45 are deprecated ("moved"), so this table is ours: the one
// place to change when the conventions move (an open proposal may split token.usage into per-kind counters).
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK =
  'gen_ai.client.operation.time_to_first_chunk';
export const METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK =
  'gen_ai.client.operation.time_per_output_chunk';
export const METRIC_GEN_AI_INVOKE_AGENT_DURATION = 'gen_ai.invoke_agent.duration';
export const METRIC_GEN_AI_EXECUTE_TOOL_DURATION = 'gen_ai.execute_tool.duration';
export const METRIC_GEN_AI_WORKFLOW_DURATION = 'gen_ai.workflow.duration';
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_TOOL_TYPE = 'gen_ai.tool.type';
export const ATTR_GEN_AI_WORKFLOW_NAME = 'gen_ai.workflow.name';
/** `gen_ai.token.type` values. */
export const GEN_AI_TOKEN_TYPE_INPUT = 'input';
export const GEN_AI_TOKEN_TYPE_OUTPUT = 'output';
/** `gen_ai.operation.name` values the agent helper sets. */
export const GEN_AI_OPERATION_INVOKE_AGENT = 'invoke_agent';
export const GEN_AI_OPERATION_EXECUTE_TOOL = 'execute_tool';
export const GEN_AI_OPERATION_INVOKE_WORKFLOW = 'invoke_workflow';
/** `gen_ai.tool.type` values of the conventions; anything else is recorded as `_OTHER`. */
export const GEN_AI_TOOL_TYPES: readonly string[] = Object.freeze(['function', 'extension', 'datastore']);
/** Bucket advice of `gen_ai.client.operation.duration` and the chunk timings: 0.01 … 81.92 s (×2). */
export const GEN_AI_DURATION_BUCKETS: readonly number[] = Object.freeze(
  Array.from({ length: 14 }, (_, i) => 0.01 * 2 ** i).map((b) => Number(b.toFixed(2))),
);
/** Bucket advice of `gen_ai.client.token.usage`: 1, 4, 16 … 67108864 (×4). */
export const GEN_AI_TOKEN_BUCKETS: readonly number[] = Object.freeze(
  Array.from({ length: 14 }, (_, i) => 4 ** i),
);
/** Bucket advice of `gen_ai.invoke_agent.duration`: 0.1 … 409.6 s (×2). */
export const GEN_AI_AGENT_DURATION_BUCKETS: readonly number[] = Object.freeze(
  Array.from({ length: 13 }, (_, i) => 0.1 * 2 ** i).map((b) => Number(b.toFixed(1))),
);
/** Bucket advice of `gen_ai.workflow.duration`, in seconds. */
export const GEN_AI_WORKFLOW_DURATION_BUCKETS: readonly number[] = Object.freeze([
  1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200,
]);

// Business metrics outside semconv, in our documented namespaces (README "Business metrics"): no convention
// exists for LLM cost, agent step and tool-call counts, or background jobs.
export const METRIC_LLM_CLIENT_COST = 'llm.client.cost';
export const ATTR_LLM_COST_CURRENCY = 'llm.cost.currency';
export const METRIC_AGENT_STEPS = 'agent.steps';
export const METRIC_AGENT_TOOL_CALLS = 'agent.tool_calls';
export const METRIC_AGENT_ERRORS = 'agent.errors';
/** Where an agent error happened: `workflow`, `run`, `step` or `tool`. */
export const ATTR_AGENT_SCOPE = 'agent.scope';
export const METRIC_JOBS_ACTIVE = 'jobs.active';
export const METRIC_JOBS_COMPLETED = 'jobs.completed';
export const METRIC_JOBS_DURATION = 'jobs.duration';
export const METRIC_JOBS_FAILURES = 'jobs.failures';
export const METRIC_JOBS_QUEUE_WAIT = 'jobs.queue.wait';
export const METRIC_JOBS_RETRIES = 'jobs.retries';
export const ATTR_JOB_TYPE = 'job.type';
export const ATTR_JOB_OUTCOME = 'job.outcome';
/** `job.outcome` values. */
export const JOB_OUTCOME_SUCCESS = 'success';
export const JOB_OUTCOME_FAILURE = 'failure';
export const JOB_OUTCOME_CANCELLED = 'cancelled';
/** The value a bounded free-text attribute (model, tool, agent, job type) takes past its allow-list or cap. */
export const BUSINESS_OVERFLOW_VALUE = '_OTHER';
