import { type Counter, diag, type Gauge, type Histogram, type Meter } from '@opentelemetry/api';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { CallbackFailureReason, CallbackGuard } from '../callback-guard.js';
import type { MeasurementGuard } from '../measurement-guard.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_OMB_INSTRUMENT,
  ATTR_OTEL_METRIC_OVERFLOW,
  ATTR_REASON,
  METRIC_OMB_CALLBACK_FAILURES,
  METRIC_OMB_CONNECTIONS_CLOSED,
  METRIC_OMB_EXPOSITION_DROPPED,
  METRIC_OMB_OVERFLOW_MEASUREMENTS,
  METRIC_OMB_OVERFLOW_SERIES,
  METRIC_OMB_RECORD_INVALID,
  METRIC_OMB_SCRAPE_DURATION,
  METRIC_OMB_SCRAPE_REQUESTS,
  METRIC_OMB_SCRAPE_RESPONSE_SIZE,
  METRIC_OMB_SCRAPE_SERIES,
  METRIC_OMB_SCRAPES_IN_FLIGHT,
} from '../semconv.js';
import type { DroppedSeries, ExpositionStats } from './exposition-stats.js';

const NOTHING_DROPPED: ReadonlyMap<string, DroppedSeries> = new Map();

/** Why a scrape did not answer 200, as the `error.type` attribute. */
export type ScrapeErrorType =
  | 'bad_request'
  | 'unauthorized'
  | 'rate_limited'
  | 'too_many_concurrent_scrapes'
  | 'collection_failed'
  | 'timeout'
  | 'response_too_large'
  | 'not_found'
  | 'method_not_allowed'
  | 'not_initialised'
  | ConnectionCloseReason;

/**
 * Why the endpoint closed a connection itself, as the `error.type` attribute of `omb.connections.closed`:
 * `evicted` (idle, closed to make room at `maxConnections`), `over_capacity` (new, and every connection was
 * busy), `header_timeout`, `tls_handshake_timeout`, `send_timeout`, `queue_full` (over `maxQueuedBytes`).
 */
export type ConnectionCloseReason =
  | 'evicted'
  | 'over_capacity'
  | 'header_timeout'
  | 'tls_handshake_timeout'
  | 'send_timeout'
  | 'queue_full';

/**
 * The endpoint's own metrics, recorded through OpenTelemetry instruments on the library's meter, so every
 * reader (the Prometheus endpoint itself, OTLP, …) carries them. Names and meaning: `src/semconv.ts` and the
 * README's "Self-metrics" table. Values describing a scrape appear in the next scrape (a response cannot
 * contain its own duration).
 *
 * Overflow: the SDK has no counter for measurements that hit a cardinality limit, so they are derived at
 * serialization time from the data points that carry `otel.metric.overflow=true`: the number of such series
 * per instrument (any type), and for histograms the exact number of measurements folded into them (the
 * overflow point's `count`, cumulative like the stream). Sums and gauges keep no measurement count, so for
 * them only the series gauge is reported — an honest "this instrument is overflowing" rather than a guess.
 */
export class SelfMetrics {
  private readonly requests: Counter;
  private readonly duration: Histogram;
  private readonly size: Histogram;
  private readonly series: Gauge;
  private readonly closed: Counter;
  private overflow: ReadonlyMap<string, { series: number; measurements: number }> = new Map();
  private dropped = NOTHING_DROPPED;

  /** `guard` and `measurements` are read for the callback-failure and invalid-measurement counters. */
  constructor(
    private readonly meter: Meter,
    guard?: CallbackGuard,
    measurements?: MeasurementGuard,
  ) {
    this.requests = meter.createCounter(METRIC_OMB_SCRAPE_REQUESTS, {
      description:
        'Requests to the metrics endpoint (health checks excluded), by status code and error type.',
      unit: '{request}',
    });
    this.duration = meter.createHistogram(METRIC_OMB_SCRAPE_DURATION, {
      description: 'Time to answer a metrics request, from arrival to the last byte handed to the socket.',
      unit: 's',
    });
    this.size = meter.createHistogram(METRIC_OMB_SCRAPE_RESPONSE_SIZE, {
      description: 'Body bytes sent per successful scrape, after compression.',
      unit: 'By',
    });
    this.series = meter.createGauge(METRIC_OMB_SCRAPE_SERIES, {
      description: 'Samples in the last exposition served.',
      unit: '{series}',
    });
    this.closed = meter.createCounter(METRIC_OMB_CONNECTIONS_CLOSED, {
      description:
        'Connections the endpoint closed to protect itself (timeouts, connection and queue limits), by reason.',
      unit: '{connection}',
    });
    const overflowSeries = meter.createObservableGauge(METRIC_OMB_OVERFLOW_SERIES, {
      description:
        'Series holding measurements beyond an instrument cardinality limit (otel.metric.overflow=true), per instrument.',
      unit: '{series}',
    });
    const overflowMeasurements = meter.createObservableCounter(METRIC_OMB_OVERFLOW_MEASUREMENTS, {
      description:
        'Measurements folded into overflow series, per histogram instrument (exact: the overflow series count).',
      unit: '{measurement}',
    });
    meter.addBatchObservableCallback(
      (result) => {
        for (const [name, o] of this.overflow) {
          const attributes = { [ATTR_OMB_INSTRUMENT]: name };
          result.observe(overflowSeries, o.series, attributes);
          if (o.measurements > 0) result.observe(overflowMeasurements, o.measurements, attributes);
        }
      },
      [overflowSeries, overflowMeasurements],
    );
    meter
      .createObservableGauge(METRIC_OMB_EXPOSITION_DROPPED, {
        description:
          'Series left out of the last exposition (bad or clashing name, unknown point type, NaN or negative counter), per instrument and reason.',
        unit: '{series}',
      })
      .addCallback((result) => {
        for (const d of this.dropped.values()) {
          result.observe(d.series, { [ATTR_OMB_INSTRUMENT]: d.instrument, [ATTR_ERROR_TYPE]: d.reason });
        }
      });
    if (measurements) {
      meter
        .createObservableCounter(METRIC_OMB_RECORD_INVALID, {
          description:
            'Measurements with an invalid value (dropped) or attribute (left out), per instrument and reason.',
          unit: '{measurement}',
        })
        .addCallback((result) => {
          for (const [name, counts] of measurements.invalid) {
            for (const [reason, count] of counts) {
              result.observe(count, { [ATTR_OMB_INSTRUMENT]: name, [ATTR_ERROR_TYPE]: reason });
            }
          }
        });
    }
    if (guard) {
      meter
        .createObservableCounter(METRIC_OMB_CALLBACK_FAILURES, {
          description:
            'Observable callbacks left out of a collection, per instrument and reason (error: threw or rejected; timeout: did not settle by prometheus.callbackTimeout).',
          unit: '{failure}',
        })
        .addCallback((result) => {
          for (const [name, counts] of guard.failures) {
            for (const reason of Object.keys(counts) as CallbackFailureReason[]) {
              if (counts[reason] > 0) {
                result.observe(counts[reason], { [ATTR_OMB_INSTRUMENT]: name, [ATTR_REASON]: reason });
              }
            }
          }
        });
    }
  }

  /** Reports `inFlight()` as the in-flight scrapes gauge, read at each collection. */
  observeInFlight(inFlight: () => number): void {
    this.meter
      .createObservableGauge(METRIC_OMB_SCRAPES_IN_FLIGHT, {
        description:
          'Metrics requests being served right now (admitted past auth, rate and concurrency checks).',
        unit: '{scrape}',
      })
      .addCallback((result) => result.observe(inFlight()));
  }

  /** One answered request; `seconds` and `bytes` only for requests that reached the scrape itself. */
  request(status: number, errorType?: ScrapeErrorType, seconds?: number, bytes?: number): void {
    const attributes: Record<string, string | number> = { [ATTR_HTTP_RESPONSE_STATUS_CODE]: status };
    if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
    this.requests.add(1, attributes);
    if (seconds !== undefined) this.duration.record(seconds, { [ATTR_HTTP_RESPONSE_STATUS_CODE]: status });
    if (bytes !== undefined) this.size.record(bytes);
  }

  /** A connection the endpoint closed, and why. */
  connectionClosed(reason: ConnectionCloseReason): void {
    this.closed.add(1, { [ATTR_ERROR_TYPE]: reason });
  }

  /** What the last exposition contained. */
  exposition(stats: ExpositionStats): void {
    this.series.record(stats.series);
    this.overflow = stats.overflow;
    this.dropped = stats.dropped ?? NOTHING_DROPPED;
  }
}

/**
 * Logs once per instrument, through diag, the first time an exposition shows that it hit its cardinality
 * limit. The limit is read from the data (the SDK keeps exactly `limit` points per stream once it overflows,
 * the overflow point included), so it is right whatever set it: the default, `cardinalityLimits` or a view.
 */
export class CardinalityWarnings {
  private readonly warned = new Set<string>();

  check(stats: ExpositionStats, metrics: ResourceMetrics): void {
    for (const name of stats.overflow.keys()) {
      if (this.warned.has(name)) continue;
      this.warned.add(name);
      diag.warn(
        `otel-metrics-bootstrap: instrument "${name}" reached its cardinality limit of ${limitOf(name, metrics)} ` +
          'series; measurements with further attribute sets go to the series otel.metric.overflow="true" ' +
          '(counted in omb_cardinality_overflow_series). Raise the limit with cardinalityLimits, or keep fewer ' +
          'attributes with attributes. Logged once per instrument.',
      );
    }
  }
}

/** Points in the stream of `name` that holds the overflow point. */
function limitOf(name: string, metrics: ResourceMetrics): number | string {
  for (const scope of metrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      const points: readonly { attributes: Record<string, unknown> }[] = metric.dataPoints;
      if (points.some((p) => p.attributes[ATTR_OTEL_METRIC_OVERFLOW] === true)) return points.length;
    }
  }
  return '?';
}
