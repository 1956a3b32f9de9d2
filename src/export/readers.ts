import { diag, type Meter } from '@opentelemetry/api';
import {
  type AggregationTemporality,
  type IMetricReader,
  InstrumentType,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { ResolvedConfig } from '../config.js';
import type { HttpMetrics } from '../http/instrumentation.js';
import { SeriesProducer } from '../http/series.js';
import { loadSync } from '../load-sync.js';
import { describe, ExportAccounting } from './accounting.js';
import type { Temporality } from './options.js';
import { type PushExporter, PushReader, temporalitySelector } from './push-reader.js';

/**
 * Each exporter's module (and what it imports: node:dgram, the Pushgateway's gzip and serializer, the HTTP
 * transport) is loaded only when that exporter is configured, so an app that only serves `/metrics` does not
 * pay for them at start-up (see load-sync.ts).
 */
const exporters = {
  otlp: () => loadSync<typeof import('./otlp.js')>('./export/otlp.js').otlpExporter,
  pushgateway: () =>
    loadSync<typeof import('./pushgateway.js')>('./export/pushgateway.js').pushgatewayExporter,
  statsd: () => loadSync<typeof import('./statsd.js')>('./export/statsd.js').statsdExporter,
  console: () => loadSync<typeof import('./console.js')>('./export/console.js').consoleExporter,
};

/** Deadline of one StatsD or console export, in milliseconds (they have no timeout option of their own). */
const LOCAL_TIMEOUT_MS = 5_000;

/** The push readers of one `initMeter()`, plus the user's own readers. */
export interface ExportReaders {
  /** Handed to the provider's constructor with the Prometheus reader. */
  readonly readers: readonly IMetricReader[];
  /** Once the provider exists: creates the `omb.export.*` instruments on the library's meter. */
  start(meter: Meter): void;
  /**
   * Shuts the provider down (the last export of every push reader, the Pushgateway delete) within
   * `shutdownTimeoutMs`, then logs what was not delivered. Never rejects.
   */
  shutdown(provider: { shutdown(): Promise<void> }): Promise<void>;
}

/** Where our pre-bound series come from (the HTTP metrics, the instruments API): a producer per reader. */
export interface SeriesSource {
  producer(temporality?: AggregationTemporality): MetricProducer;
}

/**
 * Builds one reader per configured push exporter (OTLP, Pushgateway, StatsD, console), each with the HTTP
 * metrics' and the instruments API's producers at its own temporality and the configured cardinality limit, and
 * gives the user's readers those producers too. Nothing connects yet: exporters open sockets on their first
 * export.
 */
export function createExportReaders(
  config: ResolvedConfig,
  http: HttpMetrics | undefined,
  instruments: SeriesSource,
): ExportReaders {
  const accounting = new ExportAccounting();
  const push: PushReader[] = [];
  const add = (
    exporter: PushExporter,
    o: { intervalMs: number; timeoutMs: number },
    temporality: Temporality,
  ) => {
    const histograms = temporalitySelector(temporality)(InstrumentType.HISTOGRAM);
    push.push(
      new PushReader(exporter, {
        intervalMs: o.intervalMs,
        timeoutMs: o.timeoutMs,
        temporality,
        cardinalityLimit: config.cardinalityLimit,
        metricProducers: http
          ? [http.producer(histograms), instruments.producer(histograms)]
          : [instruments.producer(histograms)],
        accounting,
      }),
    );
  };
  const { otlp, pushgateway, statsd, console: consoleOptions } = config;
  if (otlp) add(exporters.otlp()(otlp), otlp, otlp.temporality);
  // The Pushgateway stores what it is given, as Prometheus would scrape it: cumulative.
  if (pushgateway) add(exporters.pushgateway()(pushgateway), pushgateway, 'cumulative');
  // StatsD aggregates per flush interval on the agent side, so it needs per-interval deltas. Local sends get a
  // fixed deadline rather than the interval: a short interval must not make a slow collection count as lost.
  if (statsd)
    add(exporters.statsd()(statsd), { intervalMs: statsd.intervalMs, timeoutMs: LOCAL_TIMEOUT_MS }, 'delta');
  if (consoleOptions)
    add(
      exporters.console()(consoleOptions),
      { intervalMs: consoleOptions.intervalMs, timeoutMs: LOCAL_TIMEOUT_MS },
      'cumulative',
    );
  for (const reader of config.readers) addProducers(reader, http, instruments);

  return {
    readers: [...push, ...config.readers],
    start: (meter) => accounting.bind(meter),
    async shutdown(provider) {
      const { shutdownTimeoutMs } = config;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), shutdownTimeoutMs);
        timer.unref();
      });
      const done = provider.shutdown().then(
        () => undefined,
        (err: unknown) => diag.error('otel-metrics-bootstrap: shutdown step failed', err),
      );
      await Promise.race([done, deadline]);
      clearTimeout(timer);
      for (const reader of push) {
        const name = reader.exporter.name;
        if (!reader.settled)
          diag.error(
            `otel-metrics-bootstrap: shutdown: ${name}: the last export was still running after shutdownTimeoutMs (${shutdownTimeoutMs} ms); its data was not delivered`,
          );
        else if (reader.lastFailure !== undefined)
          diag.error(
            `otel-metrics-bootstrap: shutdown: ${name}: the last export was not delivered: ${describe(reader.lastFailure)}`,
          );
      }
    },
  };
}

/**
 * The SDK gives a reader its producers only in its constructor; the user built theirs before `initMeter()`, so
 * the HTTP producer (unless the user already passed one from `createHttpMetricProducer()`) and the instruments
 * API's producer are added to the list the SDK's `MetricReader` keeps.
 */
function addProducers(reader: IMetricReader, http: HttpMetrics | undefined, instruments: SeriesSource): void {
  const producers = (reader as unknown as { _metricProducers?: MetricProducer[] })._metricProducers;
  if (!Array.isArray(producers)) {
    diag.warn(
      'otel-metrics-bootstrap: a reader in `readers` does not extend MetricReader from @opentelemetry/sdk-metrics; ' +
        'pass createHttpMetricProducer() in its metricProducers to give it the HTTP metrics',
    );
    return;
  }
  const temporality = reader.selectAggregationTemporality(InstrumentType.HISTOGRAM);
  const hasHttp = producers.some((p) => p instanceof SeriesProducer);
  if (http && !hasHttp) producers.push(http.producer(temporality));
  // The instruments API's registry belongs to this handle, so no user reader can hold its producer yet.
  producers.push(instruments.producer(temporality));
}
