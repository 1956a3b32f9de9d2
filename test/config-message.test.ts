import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { messageOf } from './helpers.js';

// The whole message users see, pinned: a refactor of the resolvers must not change a word of it, nor the order.

describe('the MetricsError message', () => {
  it('lists every mistaken option of every subsystem, in a fixed order and wording', () => {
    const options = {
      serviceNam: 'typo',
      serviceVersion: '',
      resourceAttributes: { ok: 'yes', bad: { nested: true } },
      exporters: ['prometheus', 'zipkin'],
      histograms: { 'a.b': [2, 1], 'bad name*': [1] },
      unitBuckets: { ms: [] },
      attributes: { 'a.b': [''] },
      cardinalityLimit: 0,
      cardinalityLimits: { 'a.b': 1.5 },
      views: [null],
      logLevel: 'loud',
      promClientCompat: 'yes',
      prometheus: {
        prot: 1,
        host: 'a b',
        port: 70000,
        path: 'metrics',
        targetInfo: 1,
        healthPath: '/readyz',
        authToken: 'secret-token',
        basicAuth: { username: 'u', password: 'p' },
        compressionThreshold: -1,
        maxConcurrentScrapes: 0,
        rateLimit: 'fast',
        scrapeTimeout: 1.5,
        tls: { key: '', cert: '' },
      },
      runtime: { monitoringPrecison: 5, monitoringPrecision: 0 },
      host: { group: [], groups: ['process', 'gpu'] },
      http: {
        serve: true,
        client: 'no',
        routes: ['users/:id', '/a/:x', '/a/:y'],
        ignore: ['healthz', 42],
        optInAttributes: ['client.address'],
        knownMethods: ['GE T'],
        engine: 'undici',
      },
      otlp: { endpoit: 'x', protocol: 'smoke', headers: { a: 1 }, intervalMs: 0, tls: { cert: 'C' } },
      pushgateway: { url: 'nope', groupingKey: { job: 'y' }, auth: { username: 'a:b', password: 'p' } },
      statsd: { port: 0, protocol: 'uds', maxPacketBytes: 70000 },
      console: { write: 3 },
      readers: [{}],
      shutdownTimeoutMs: 1.5,
    };
    expect(messageOf(() => resolveConfig(options as never, {}))).toMatchInlineSnapshot(`
      "52 problems in the metrics configuration:
        - serviceNam: unknown option (did you mean \`serviceName\`?) (ERR_UNKNOWN_OPTION)
        - serviceVersion: must be a non-empty string, got "" (ERR_INVALID_STRING)
        - resourceAttributes.bad: must be a string, number or boolean (ERR_INVALID_RESOURCE_ATTRIBUTES)
        - exporters: unknown exporter "zipkin"; supported: prometheus, otlp, pushgateway, statsd, console, none (ERR_UNKNOWN_EXPORTER)
        - prometheus.prot: unknown option (did you mean \`port\`?) (ERR_UNKNOWN_OPTION)
        - prometheus.host: "a b" is not a host name or IP (ERR_INVALID_HOST)
        - prometheus.port: 70000 is not a port; use an integer from 0 to 65535 (0 picks a free port) (ERR_INVALID_PORT)
        - prometheus.path: "metrics" must start with "/" and hold no spaces, "?" or "#" (ERR_INVALID_PATH)
        - prometheus.targetInfo: must be true or false, got 1 (ERR_INVALID_BOOLEAN)
        - prometheus.healthPath: path, healthPath and readyPath must differ, got "metrics", "/readyz", "/readyz" (ERR_INVALID_PATH)
        - prometheus.authToken: set either authToken (bearer) or basicAuth, not both (ERR_INVALID_AUTH)
        - prometheus.compressionThreshold: -1 is not valid; use an integer of at least 0 (ERR_INVALID_LIMIT)
        - prometheus.maxConcurrentScrapes: 0 is not valid; use an integer of at least 1 (ERR_INVALID_LIMIT)
        - prometheus.rateLimit: "fast" is not valid; use a number of at least 0 (ERR_INVALID_LIMIT)
        - prometheus.scrapeTimeout: 1.5 is not valid; use an integer of at least 1 (ERR_INVALID_LIMIT)
        - prometheus.tls: both key and cert must be non-empty PEM text (ERR_INVALID_TLS)
        - otlp.endpoit: unknown option (did you mean \`endpoint\`?) (ERR_UNKNOWN_OPTION)
        - otlp.protocol: "smoke" is not valid; use http/protobuf, http/json, grpc (ERR_INVALID_EXPORT_OPTION)
        - otlp.headers.a: must be a string (ERR_INVALID_EXPORT_OPTION)
        - otlp.intervalMs: 0 is not a duration; use whole milliseconds of at least 1 (ERR_INVALID_LIMIT)
        - otlp.tls: a client certificate needs its key and the key its certificate (ERR_INVALID_TLS)
        - pushgateway.url: "nope" is not an absolute URL such as http://collector:4318 (ERR_INVALID_URL)
        - pushgateway.groupingKey: "job" is not a grouping label name (job is set by \`job\`) (ERR_INVALID_EXPORT_OPTION)
        - pushgateway.auth: must be { token } or { username, password } (no ":" in the username) (ERR_INVALID_AUTH)
        - statsd.socketPath: protocol uds needs a socket path (ERR_INVALID_EXPORT_OPTION)
        - statsd.port: 0 is not a port; use an integer from 1 to 65535 (ERR_INVALID_PORT)
        - statsd.maxPacketBytes: 70000 exceeds the largest UDP payload (65507) (ERR_INVALID_LIMIT)
        - console.write: must be a function (record) => void, got 3 (ERR_INVALID_EXPORT_OPTION)
        - readers[0]: is not a MetricReader (extend MetricReader from @opentelemetry/sdk-metrics 3.x) (ERR_INVALID_READER)
        - shutdownTimeoutMs: 1.5 is not a duration; use whole milliseconds of at least 1 (ERR_INVALID_LIMIT)
        - histograms["a.b"]: boundaries must be strictly increasing, but 1 follows 2 at index 1 (ERR_INVALID_BUCKETS)
        - histograms["bad name*"]: is not an instrument name (letters, digits, "_", ".", "-", "/"; no wildcards — use \`views\` for those) (ERR_INVALID_INSTRUMENT_NAME)
        - attributes["a.b"]: must be an array of attribute keys, got [""] (ERR_INVALID_ATTRIBUTES)
        - cardinalityLimit: 0 is not a valid cardinality limit; use a positive integer (default 2000) (ERR_INVALID_CARDINALITY_LIMIT)
        - cardinalityLimits["a.b"]: 1.5 is not a valid cardinality limit; use a positive integer (default 2000) (ERR_INVALID_CARDINALITY_LIMIT)
        - unitBuckets["ms"]: must be a non-empty array of numbers, got [] (ERR_INVALID_BUCKETS)
        - logLevel: "loud" is not a log level; use one of none, error, warn, info, debug, verbose, all (ERR_INVALID_LOG_LEVEL)
        - http.serve: unknown option (did you mean \`server\`?) (ERR_UNKNOWN_OPTION)
        - http.client: must be true or false, got "no" (ERR_INVALID_BOOLEAN)
        - http.routes[0]: "users/:id" must start with "/" (ERR_INVALID_HTTP_ROUTE)
        - http.routes: "/a/:y" can never match: an earlier template has the same shape (ERR_INVALID_HTTP_ROUTE)
        - http.ignore[0]: "healthz" must start with "/" (ERR_INVALID_HTTP_IGNORE)
        - http.ignore[1]: must be a path or a RegExp, got 42 (ERR_INVALID_HTTP_IGNORE)
        - http.optInAttributes: "client.address" is not an opt-in attribute; use server.address, server.port (ERR_INVALID_HTTP_OPTION)
        - http.knownMethods: "GE T" is not an HTTP method token (ERR_INVALID_HTTP_OPTION)
        - http.engine: "undici" is not an HTTP engine; use diagnostics-channel or instrumentation-http (ERR_UNKNOWN_HTTP_ENGINE)
        - runtime.monitoringPrecison: unknown option (did you mean \`monitoringPrecision\`?) (ERR_UNKNOWN_OPTION)
        - runtime.monitoringPrecision: 0 is not a sampling interval; use whole milliseconds from 1 to 60000 (default 10) (ERR_INVALID_MONITORING_PRECISION)
        - host.group: unknown option (did you mean \`groups\`?) (ERR_UNKNOWN_OPTION)
        - host.groups: unknown group "gpu"; use process.cpu, process.memory, process.uptime, process.fd, system.cpu, system.memory, system.network, process or system (ERR_UNKNOWN_METRIC_GROUP)
        - promClientCompat: must be true or false, got "yes" (ERR_INVALID_BOOLEAN)
        - views: must be an array of SDK ViewOptions objects (ERR_INVALID_VIEWS)"
    `);
  });

  it('lists every mistaken environment variable of every subsystem, in a fixed order and wording', () => {
    const env = {
      OTEL_SERVICE_NAME: 'svc',
      OTEL_METRICS_EXPORTER: 'prometheus,zipkin,otlp,pushgateway,statsd',
      OTEL_LOG_LEVEL: 'loud',
      OTEL_EXPORTER_PROMETHEUS_HOST: 'a/b',
      OTEL_EXPORTER_PROMETHEUS_PORT: '80a',
      OMB_PROMETHEUS_PATH: 'metrics',
      OMB_PROMETHEUS_TARGET_INFO: 'yes',
      OMB_PROMETHEUS_READY_PATH: 'ready',
      OMB_PROMETHEUS_BASIC_AUTH: 'no-colon-secret',
      OMB_PROMETHEUS_RATE_LIMIT: '-1',
      OMB_PROMETHEUS_CACHE_TTL: '1.5',
      OMB_PROMETHEUS_TLS_KEY_FILE: '/nonexistent/key.pem',
      OMB_CARDINALITY_LIMIT: '0',
      OMB_SECONDS_BUCKETS: '1,,0.5',
      OMB_PROM_CLIENT_COMPAT: '1',
      OMB_RUNTIME_MONITORING_PRECISION: '60001',
      OMB_HOST_METRICS_GROUPS: 'process,gpu',
      OMB_HTTP_SERVER: 'maybe',
      OMB_HTTP_ROUTES: 'users/:id',
      OMB_HTTP_IGNORE: 'healthz,/internal/*',
      OMB_HTTP_OPT_IN_ATTRIBUTES: 'client.address',
      OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: 'GET,GE T',
      OMB_HTTP_ENGINE: 'undici',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'nope',
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: '=secret',
      OTEL_EXPORTER_OTLP_TIMEOUT: '1.5',
      OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent/ca.pem',
      OMB_PUSHGATEWAY_BASIC_AUTH: 'no-colon-secret',
      OMB_PUSHGATEWAY_METHOD: 'GET',
      OMB_STATSD_PORT: '99999',
      OMB_STATSD_TAGS: 'x',
      OMB_SHUTDOWN_TIMEOUT: '-1',
    };
    expect(messageOf(() => resolveConfig({}, env))).toMatchInlineSnapshot(`
      "32 problems in the metrics configuration:
        - OTEL_METRICS_EXPORTER: unknown exporter "zipkin"; supported: prometheus, otlp, pushgateway, statsd, console, none (ERR_UNKNOWN_EXPORTER)
        - prometheus.host: "a/b" is not a host name or IP (ERR_INVALID_HOST)
        - OTEL_EXPORTER_PROMETHEUS_PORT: "80a" is not a port; use an integer from 0 to 65535 (0 picks a free port) (ERR_INVALID_PORT)
        - prometheus.path: "metrics" must start with "/" and hold no spaces, "?" or "#" (ERR_INVALID_PATH)
        - OMB_PROMETHEUS_TARGET_INFO: must be "true" or "false", got "yes" (ERR_INVALID_BOOLEAN)
        - prometheus.readyPath: "ready" must start with "/" and hold no spaces, "?" or "#" (ERR_INVALID_PATH)
        - OMB_PROMETHEUS_BASIC_AUTH: must be "username:password" (ERR_INVALID_AUTH)
        - OMB_PROMETHEUS_RATE_LIMIT: "-1" is not valid; use a number of at least 0 (ERR_INVALID_LIMIT)
        - OMB_PROMETHEUS_CACHE_TTL: 1.5 is not valid; use an integer of at least 0 (ERR_INVALID_LIMIT)
        - OMB_PROMETHEUS_TLS_KEY_FILE/OMB_PROMETHEUS_TLS_CERT_FILE: set both the key file and the certificate file (ERR_INVALID_TLS)
        - OTEL_EXPORTER_OTLP_ENDPOINT: "nope" is not an absolute URL such as http://collector:4318 (ERR_INVALID_URL)
        - OTEL_EXPORTER_OTLP_METRICS_HEADERS: must be a comma list of key=value pairs (ERR_INVALID_EXPORT_OPTION)
        - OTEL_EXPORTER_OTLP_TIMEOUT: "1.5" is not a duration; use whole milliseconds of at least 1 (ERR_INVALID_LIMIT)
        - OTEL_EXPORTER_OTLP_CERTIFICATE: cannot read: ENOENT: no such file or directory, open '/nonexistent/ca.pem' (ERR_INVALID_TLS)
        - pushgateway.url: is required: set OMB_PUSHGATEWAY_URL or pushgateway.url (ERR_INVALID_URL)
        - OMB_PUSHGATEWAY_BASIC_AUTH: must be "username:password" (ERR_INVALID_AUTH)
        - OMB_PUSHGATEWAY_METHOD: "get" is not valid; use put, post (ERR_INVALID_EXPORT_OPTION)
        - OMB_STATSD_PORT: 99999 is not a port; use an integer from 1 to 65535 (ERR_INVALID_PORT)
        - OMB_STATSD_TAGS: "x" is not valid; use dogstatsd, none (ERR_INVALID_EXPORT_OPTION)
        - OMB_SHUTDOWN_TIMEOUT: "-1" is not a duration; use whole milliseconds of at least 1 (ERR_INVALID_LIMIT)
        - OMB_CARDINALITY_LIMIT: 0 is not a valid cardinality limit; use a positive integer (default 2000) (ERR_INVALID_CARDINALITY_LIMIT)
        - OMB_SECONDS_BUCKETS: boundary 1 is NaN; boundaries must be finite numbers (ERR_INVALID_BUCKETS)
        - OTEL_LOG_LEVEL: "loud" is not a log level; use one of none, error, warn, info, debug, verbose, all (ERR_INVALID_LOG_LEVEL)
        - OMB_HTTP_SERVER: must be "true" or "false", got "maybe" (ERR_INVALID_BOOLEAN)
        - http.routes[0]: "users/:id" must start with "/" (ERR_INVALID_HTTP_ROUTE)
        - OMB_HTTP_IGNORE: "healthz" must start with "/" (ERR_INVALID_HTTP_IGNORE)
        - OMB_HTTP_OPT_IN_ATTRIBUTES: "client.address" is not an opt-in attribute; use server.address, server.port (ERR_INVALID_HTTP_OPTION)
        - http.knownMethods: "GE T" is not an HTTP method token (ERR_INVALID_HTTP_OPTION)
        - OMB_HTTP_ENGINE: "undici" is not an HTTP engine; use diagnostics-channel or instrumentation-http (ERR_UNKNOWN_HTTP_ENGINE)
        - OMB_RUNTIME_MONITORING_PRECISION: 60001 is not a sampling interval; use whole milliseconds from 1 to 60000 (default 10) (ERR_INVALID_MONITORING_PRECISION)
        - OMB_HOST_METRICS_GROUPS: unknown group "gpu"; use process.cpu, process.memory, process.uptime, process.fd, system.cpu, system.memory, system.network, process or system (ERR_UNKNOWN_METRIC_GROUP)
        - OMB_PROM_CLIENT_COMPAT: must be "true" or "false", got "1" (ERR_INVALID_BOOLEAN)"
    `);
  });
});
