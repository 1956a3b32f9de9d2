import diagnostics from 'node:diagnostics_channel';
import { diag, type MeterProvider, ValueType } from '@opentelemetry/api';
import { AggregationTemporality, type MetricProducer } from '@opentelemetry/sdk-metrics';
import { state } from '../global-state.js';
import {
  METRIC_HTTP_CLIENT_REQUEST_DURATION,
  METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
  METRIC_HTTP_SERVER_REQUEST_BODY_SIZE,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
  METRIC_HTTP_SERVER_RESPONSE_BODY_SIZE,
} from '../semconv.js';
import { BYTES_BUCKETS, exponentialFor, SECONDS_BUCKETS, type ViewSettings } from '../views.js';
import { MethodTable } from './attributes.js';
import { ClientRecorder } from './client.js';
import { startInstrumentationHttp } from './compat.js';
import { compileIgnore, type RequestFilter } from './ignore.js';
import type { ResolvedHttpConfig } from './options.js';
import { onFastifyHandlerStart } from './route.js';
import { RouteTable } from './route-table.js';
import {
  HistogramStream,
  SeriesProducer,
  type StreamDescriptor,
  type StreamSource,
  SumStream,
} from './series.js';
import { ServerRecorder } from './server.js';

/** Channels and the recorder methods they feed; Node keeps subscribers only while subscribed. */
type Subscription = readonly [channel: string, listener: (message: unknown, name: string | symbol) => void];

/**
 * HTTP server and client metrics for one `initMeter()`: builds the streams from the configuration (bucket
 * overrides from `histograms`, allow-lists from `attributes`, limits from `cardinalityLimit(s)` — the same
 * settings the SDK views apply to every other instrument), subscribes the recorders to the diagnostics channels,
 * and hands readers a `MetricProducer`. Under `engine: 'instrumentation-http'` the two duration histograms come
 * from @opentelemetry/instrumentation-http instead and are not recorded here.
 */
export class HttpMetrics implements StreamSource {
  readonly histograms: HistogramStream[] = [];
  readonly sums: SumStream[] = [];
  private readonly subscriptions: Subscription[] = [];
  private stopCompat: (() => void) | undefined;
  /** Compiled once: the server recorder and the compatibility engine apply the same rules. */
  private readonly ignore: RequestFilter | undefined;
  private started = false;
  private stopped = false;

  constructor(
    private readonly config: ResolvedHttpConfig,
    views: ViewSettings,
    defaultCardinalityLimit: number,
  ) {
    const compat = config.engine === 'instrumentation-http';
    this.ignore = compileIgnore(config);
    const methods = new MethodTable(config.knownMethods);
    const describe = (
      name: string,
      description: string,
      unit: string,
      valueType: ValueType,
    ): StreamDescriptor => ({
      name,
      description,
      unit,
      valueType,
      cardinalityLimit: views.cardinalityLimits[name] ?? defaultCardinalityLimit,
      allowedKeys: views.attributes[name],
    });
    const histogram = (
      name: string,
      description: string,
      unit: string,
      valueType: ValueType,
      advice: readonly number[],
    ) => {
      const stream = new HistogramStream(
        describe(name, description, unit, valueType),
        views.histograms[name] ?? advice,
        exponentialFor(views, name, unit),
      );
      this.histograms.push(stream);
      return stream;
    };
    const bytesBuckets = views.unitBuckets['By'] ?? BYTES_BUCKETS;

    if (config.server) {
      const duration = compat
        ? undefined
        : histogram(
            METRIC_HTTP_SERVER_REQUEST_DURATION,
            'Duration of HTTP server requests.',
            's',
            ValueType.DOUBLE,
            SECONDS_BUCKETS,
          );
      const requestSize = histogram(
        METRIC_HTTP_SERVER_REQUEST_BODY_SIZE,
        'Size of HTTP server request bodies.',
        'By',
        ValueType.INT,
        bytesBuckets,
      );
      const responseSize = histogram(
        METRIC_HTTP_SERVER_RESPONSE_BODY_SIZE,
        'Size of HTTP server response bodies.',
        'By',
        ValueType.INT,
        bytesBuckets,
      );
      const active = new SumStream(
        describe(
          METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
          'Number of active HTTP server requests.',
          '{request}',
          ValueType.INT,
        ),
      );
      this.sums.push(active);
      const routes = config.routes.length > 0 ? new RouteTable(config.routes) : undefined;
      const server = new ServerRecorder(
        { duration, requestSize, responseSize, active },
        {
          methods,
          routes,
          ignore: this.ignore,
          serverAddress: config.optInAttributes.includes('server.address'),
          serverPort: config.optInAttributes.includes('server.port'),
        },
      );
      this.subscriptions.push(
        ['http.server.request.start', server.onRequestStart],
        ['http.server.response.finish', server.onResponseFinish],
        ['http2.server.stream.start', server.onHttp2StreamStart],
        ['http2.server.stream.close', server.onHttp2StreamClose],
        ['tracing:fastify.request.handler:start', onFastifyHandlerStart],
      );
    }
    if (config.client && !compat) {
      const client = new ClientRecorder(
        histogram(
          METRIC_HTTP_CLIENT_REQUEST_DURATION,
          'Duration of HTTP client requests.',
          's',
          ValueType.DOUBLE,
          SECONDS_BUCKETS,
        ),
        methods,
      );
      this.subscriptions.push(
        ['http.client.request.created', client.onHttpRequestCreated],
        ['http.client.request.start', client.onHttpRequestCreated],
        ['http.client.response.finish', client.onHttpResponseFinish],
        ['http.client.request.error', client.onHttpRequestError],
        ['undici:request:create', client.onUndiciCreate],
        ['undici:request:headers', client.onUndiciHeaders],
        ['undici:request:trailers', client.onUndiciTrailers],
        ['undici:request:error', client.onUndiciError],
      );
    }
  }

  /**
   * Subscribes to the channels (and, for the compatibility engine, registers instrumentation-http on
   * `meterProvider`). Throws `MetricsError` only for a missing compatibility package, from `initMeter()`.
   */
  start(meterProvider: MeterProvider): void {
    if (this.started) return;
    this.started = true;
    if (this.config.engine === 'instrumentation-http' && (this.config.server || this.config.client)) {
      this.stopCompat = startInstrumentationHttp(meterProvider, this.config, this.ignore);
    }
    for (const [channel, listener] of this.subscriptions) diagnostics.subscribe(channel, listener);
    // The one running HttpMetrics sits in the global state, so a producer created elsewhere (a test kit building
    // its own reader) finds it, whichever copy of the library created it.
    const running = state.httpMetrics;
    if (running !== undefined && running !== this) {
      diag.warn('otel-metrics-bootstrap: HTTP metrics were already started in this process; replacing them');
      running.stop();
    }
    state.httpMetrics = this;
  }

  /** Unsubscribes; recorded data stays readable until the provider shuts down. Safe to call twice. */
  stop(): void {
    if (this.stopped || !this.started) return;
    this.stopped = true;
    for (const [channel, listener] of this.subscriptions) diagnostics.unsubscribe(channel, listener);
    try {
      this.stopCompat?.();
    } catch (err) {
      diag.error('otel-metrics-bootstrap: disabling instrumentation-http failed', err);
    }
    if (state.httpMetrics === this) delete state.httpMetrics;
  }

  /** A producer for one reader; `temporality` should be the reader's preference for histograms. */
  producer(temporality: AggregationTemporality = AggregationTemporality.CUMULATIVE): MetricProducer {
    return new SeriesProducer(() => this, temporality);
  }
}

/**
 * A `MetricProducer` for the HTTP metrics of whatever `initMeter()` is running now (none before it, none after
 * `shutdown()`), for code that builds its own reader: pass it in the reader's `metricProducers` so that reader
 * sees `http.server.*` / `http.client.*` as the built-in Prometheus endpoint does. Use one producer per reader.
 *
 * @param options.temporality the reader's temporality for histograms. Default cumulative.
 */
export function createHttpMetricProducer(
  options: { temporality?: AggregationTemporality } = {},
): MetricProducer {
  return new SeriesProducer(() => state.httpMetrics, options.temporality);
}
