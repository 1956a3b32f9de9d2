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
      exporters: ['prometheus', 'otlp'],
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
    };
    expect(messageOf(() => resolveConfig(options as never, {}))).toMatchInlineSnapshot(`
      "38 problems in the metrics configuration:
        - serviceNam: unknown option (did you mean \`serviceName\`?) (ERR_UNKNOWN_OPTION)
        - serviceVersion: must be a non-empty string, got "" (ERR_INVALID_STRING)
        - resourceAttributes.bad: must be a string, number or boolean (ERR_INVALID_RESOURCE_ATTRIBUTES)
        - exporters: unknown exporter "otlp"; supported: prometheus, none (ERR_UNKNOWN_EXPORTER)
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
      OTEL_METRICS_EXPORTER: 'prometheus,otlp',
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
    };
    expect(messageOf(() => resolveConfig({}, env))).toMatchInlineSnapshot(`
      "22 problems in the metrics configuration:
        - OTEL_METRICS_EXPORTER: unknown exporter "otlp"; supported: prometheus, none (ERR_UNKNOWN_EXPORTER)
        - prometheus.host: "a/b" is not a host name or IP (ERR_INVALID_HOST)
        - OTEL_EXPORTER_PROMETHEUS_PORT: "80a" is not a port; use an integer from 0 to 65535 (0 picks a free port) (ERR_INVALID_PORT)
        - prometheus.path: "metrics" must start with "/" and hold no spaces, "?" or "#" (ERR_INVALID_PATH)
        - OMB_PROMETHEUS_TARGET_INFO: must be "true" or "false", got "yes" (ERR_INVALID_BOOLEAN)
        - prometheus.readyPath: "ready" must start with "/" and hold no spaces, "?" or "#" (ERR_INVALID_PATH)
        - OMB_PROMETHEUS_BASIC_AUTH: must be "username:password" (ERR_INVALID_AUTH)
        - OMB_PROMETHEUS_RATE_LIMIT: "-1" is not valid; use a number of at least 0 (ERR_INVALID_LIMIT)
        - OMB_PROMETHEUS_CACHE_TTL: 1.5 is not valid; use an integer of at least 0 (ERR_INVALID_LIMIT)
        - OMB_PROMETHEUS_TLS_KEY_FILE/OMB_PROMETHEUS_TLS_CERT_FILE: set both the key file and the certificate file (ERR_INVALID_TLS)
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
