import { diag, ValueType } from '@opentelemetry/api';
import type { SumSeries } from '../http/series.js';
import { ATTR_ERROR_TYPE, ATTR_OMB_INSTRUMENT, METRIC_OMB_INSTRUMENT_PROBLEMS } from '../semconv.js';
import { CounterStream } from './counter.js';

/** What went wrong at record time; the `error.type` of `omb.instrument.problems`. */
export type ProblemType =
  | 'overflow'
  | 'invalid_value'
  | 'undeclared_label'
  | 'invalid_label'
  | 'truncated_value'
  | 'callback_failed';

/**
 * Record-time problems of the instruments API: never thrown (after setup nothing may throw into the app), but
 * logged through `diag` once per instrument and type, and counted in `omb.instrument.problems` (Prometheus
 * `omb_instrument_problems_total{omb_instrument, error_type}`), which is exported with the instruments.
 */
export class Problems {
  readonly stream = new CounterStream({
    name: METRIC_OMB_INSTRUMENT_PROBLEMS,
    description:
      'Record-time problems of the instruments API (value or attribute dropped, value truncated, series overflowed, callback failed), per instrument.',
    unit: '{problem}',
    valueType: ValueType.INT,
    cardinalityLimit: 2000,
    allowedKeys: undefined,
  });
  private readonly series = new Map<string, SumSeries>();

  report(instrument: string, type: ProblemType, detail: string): void {
    const key = `${instrument}\u0000${type}`;
    let series = this.series.get(key);
    if (series === undefined) {
      diag.warn(
        `otel-metrics-bootstrap: instrument "${instrument}": ${detail}. Logged once; every occurrence is counted in omb_instrument_problems_total{error_type="${type}"}`,
      );
      series = this.stream.resolve({ [ATTR_OMB_INSTRUMENT]: instrument, [ATTR_ERROR_TYPE]: type });
      this.series.set(key, series);
    }
    series.value++;
  }

  /** How often `type` happened on `instrument` so far. */
  count(instrument: string, type: ProblemType): number {
    return this.series.get(`${instrument}\u0000${type}`)?.value ?? 0;
  }
}
