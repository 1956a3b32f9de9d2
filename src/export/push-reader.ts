import {
  AggregationTemporality,
  type AggregationTemporalitySelector,
  InstrumentType,
  type MetricProducer,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ExportAccounting } from './accounting.js';
import type { Temporality } from './options.js';

/** One backend. `send` delivers a collection or rejects with why not (after its own retries). */
export interface PushExporter {
  /** The `exporter` attribute of the self-metrics and the name in logs. */
  readonly name: string;
  /** Should stop when `signal` aborts (the reader stops waiting at that point anyway). */
  send(metrics: ResourceMetrics, signal: AbortSignal): Promise<void>;
  /** After the last send, at shutdown: close sockets, delete a Pushgateway group. */
  close?(signal: AbortSignal): Promise<void>;
}

const { CUMULATIVE, DELTA } = AggregationTemporality;

/** The OTLP exporter spec's three temporality preferences (the same table upstream's exporters apply). */
export function temporalitySelector(preference: Temporality): AggregationTemporalitySelector {
  if (preference === 'cumulative') return () => CUMULATIVE;
  const deltaKinds =
    preference === 'delta'
      ? [
          InstrumentType.COUNTER,
          InstrumentType.OBSERVABLE_COUNTER,
          InstrumentType.HISTOGRAM,
          InstrumentType.GAUGE,
          InstrumentType.OBSERVABLE_GAUGE,
        ]
      : [InstrumentType.COUNTER, InstrumentType.HISTOGRAM];
  return (type) => (deltaKinds.includes(type) ? DELTA : CUMULATIVE);
}

export interface PushReaderOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly temporality: Temporality;
  readonly cardinalityLimit: number;
  readonly metricProducers: MetricProducer[];
  readonly accounting: ExportAccounting;
}

/**
 * A periodic reader for our push exporters, in place of the SDK's PeriodicExportingMetricReader, because a
 * backend that is down must cost one log line and bounded memory: the SDK reader logs every failed export
 * through the global error handler and requires `timeout <= interval`. Here an export that is still running
 * when the next interval comes makes that interval skip (nothing queues: cumulative data is re-read next time,
 * delta data keeps accumulating in the SDK until a collection happens); each export has a hard deadline; every
 * outcome is counted by {@link ExportAccounting}.
 */
export class PushReader extends MetricReader {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Why the latest export failed; `undefined` after a success. Read at shutdown to say what was lost. */
  lastFailure: unknown;
  /** Whether the last export has finished (shutdown reports the exporters whose final push did not). */
  settled = true;

  constructor(
    readonly exporter: PushExporter,
    private readonly options: PushReaderOptions,
  ) {
    const { cardinalityLimit } = options;
    super({
      aggregationTemporalitySelector: temporalitySelector(options.temporality),
      cardinalitySelector: () => cardinalityLimit,
      metricProducers: options.metricProducers,
    });
  }

  protected override onInitialized(): void {
    this.timer = setInterval(() => {
      this.running ??= this.exportOnce().finally(() => {
        this.running = undefined;
      });
    }, this.options.intervalMs);
    // Never keeps a process alive: a batch job exits when its work is done and shutdown() pushes the rest.
    this.timer.unref();
  }

  /** Collects and sends once, within the deadline; never rejects. */
  private async exportOnce(): Promise<void> {
    const { timeoutMs, accounting } = this.options;
    const name = this.exporter.name;
    const started = performance.now();
    const controller = new AbortController();
    const deadline = setTimeout(
      () => controller.abort(new Error(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    deadline.unref();
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    // The race below may settle first; this keeps the loser's rejection from going unhandled.
    aborted.catch(() => undefined);
    let metrics: ResourceMetrics | undefined;
    this.settled = false;
    try {
      ({ resourceMetrics: metrics } = await Promise.race([
        this.collect({ timeoutMillis: timeoutMs }),
        aborted,
      ]));
      if (pointCount(metrics, false) === 0) return;
      // Host and process detectors settle asynchronously; an early export (a short batch job) waits for them.
      await Promise.race([metrics.resource.waitForAsyncAttributes?.(), aborted]);
      await Promise.race([this.exporter.send(metrics, controller.signal), aborted]);
      this.lastFailure = undefined;
      accounting.success(name, (performance.now() - started) / 1000);
    } catch (err) {
      this.lastFailure = err;
      controller.abort(err);
      accounting.failure(
        name,
        (performance.now() - started) / 1000,
        err,
        metrics ? pointCount(metrics, true) : 0,
      );
    } finally {
      clearTimeout(deadline);
      this.settled = true;
    }
  }

  protected override async onForceFlush(): Promise<void> {
    await this.running;
    await this.exportOnce();
  }

  /** The last export (the final interval of a batch job), then the exporter's close (Pushgateway delete). */
  protected override async onShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.exportOnce();
    const controller = new AbortController();
    const deadline = setTimeout(
      () => controller.abort(new Error(`no answer within ${this.options.timeoutMs} ms`)),
      this.options.timeoutMs,
    );
    try {
      await this.exporter.close?.(controller.signal);
    } catch (err) {
      this.lastFailure = err;
    } finally {
      clearTimeout(deadline);
    }
  }
}

/** Data points in a collection; with `deltaOnly`, only those a failed export loses for good. */
export function pointCount(metrics: ResourceMetrics, deltaOnly: boolean): number {
  let n = 0;
  for (const scope of metrics.scopeMetrics) {
    for (const m of scope.metrics) {
      if (!deltaOnly || m.aggregationTemporality === DELTA) n += m.dataPoints.length;
    }
  }
  return n;
}
