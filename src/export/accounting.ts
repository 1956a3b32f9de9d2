import { type Attributes, type Counter, diag, type Histogram, type Meter } from '@opentelemetry/api';
import {
  ATTR_OMB_EXPORTER,
  ATTR_OMB_OUTCOME,
  METRIC_OMB_EXPORT_DURATION,
  METRIC_OMB_EXPORT_POINTS_DROPPED,
  METRIC_OMB_EXPORT_REQUESTS,
} from '../semconv.js';

/** Buckets for export durations, in seconds: from a local UDP flush to a push that ran into its timeout. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface PerExporter {
  readonly success: Attributes;
  readonly failure: Attributes;
  readonly base: Attributes;
  /** Failed exports in the current streak; 0 while healthy. */
  streak: number;
}

/**
 * Counts every push export in the `omb.export.*` self-metrics and logs failures once per streak: the first
 * failure after a success (or at start) is logged with its reason, later ones only counted, and the recovery is
 * logged at info level with the streak's length. A backend down for hours therefore costs one log line.
 */
export class ExportAccounting {
  private requests: Counter | undefined;
  private duration: Histogram | undefined;
  private dropped: Counter | undefined;
  private readonly exporters = new Map<string, PerExporter>();

  /** Creates the instruments on the library's meter (the provider exists only after the readers). */
  bind(meter: Meter): void {
    this.requests = meter.createCounter(METRIC_OMB_EXPORT_REQUESTS, {
      description: 'Exports attempted by each push exporter, by outcome.',
      unit: '{request}',
    });
    this.duration = meter.createHistogram(METRIC_OMB_EXPORT_DURATION, {
      description: 'Time one export took: collection, encoding, sending and retries.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.dropped = meter.createCounter(METRIC_OMB_EXPORT_POINTS_DROPPED, {
      description:
        'Delta data points lost with failed exports (cumulative points are carried by the next export).',
      unit: '{point}',
    });
  }

  private of(exporter: string): PerExporter {
    let e = this.exporters.get(exporter);
    if (e === undefined) {
      e = {
        base: { [ATTR_OMB_EXPORTER]: exporter },
        success: { [ATTR_OMB_EXPORTER]: exporter, [ATTR_OMB_OUTCOME]: 'success' },
        failure: { [ATTR_OMB_EXPORTER]: exporter, [ATTR_OMB_OUTCOME]: 'failure' },
        streak: 0,
      };
      this.exporters.set(exporter, e);
    }
    return e;
  }

  success(exporter: string, seconds: number): void {
    const e = this.of(exporter);
    this.requests?.add(1, e.success);
    this.duration?.record(seconds, e.base);
    if (e.streak > 0) {
      diag.info(`otel-metrics-bootstrap: ${exporter} export recovered after ${e.streak} failed export(s)`);
      e.streak = 0;
    }
  }

  failure(exporter: string, seconds: number, reason: unknown, droppedPoints: number): void {
    const e = this.of(exporter);
    this.requests?.add(1, e.failure);
    this.duration?.record(seconds, e.base);
    if (droppedPoints > 0) this.dropped?.add(droppedPoints, e.base);
    if (e.streak === 0) {
      diag.error(
        `otel-metrics-bootstrap: ${exporter} export failed: ${describe(reason)}; ` +
          `retrying every interval, further failures are counted in omb_export_requests_total{outcome="failure"}`,
      );
    }
    e.streak++;
  }
}

/** The reason without a stack: one readable line per streak. */
export function describe(reason: unknown): string {
  if (reason instanceof Error) {
    const code = (reason as { code?: unknown }).code;
    return code !== undefined && !reason.message.includes(String(code))
      ? `${reason.message} (${String(code)})`
      : reason.message || reason.name;
  }
  return String(reason);
}
