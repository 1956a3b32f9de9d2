import type { Attributes } from '@opentelemetry/api';
import { hrTime, hrTimeToMilliseconds } from '@opentelemetry/core';
import {
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { EXEMPLARS, type WithExemplars } from '../exemplars.js';
import { captureExemplar } from '../http/exemplar-capture.js';
import {
  type CollectableStream,
  type CollectContext,
  descriptorOf,
  Stream,
  SumSeries,
} from '../http/series.js';
import { Instrument, type SeriesReading } from './instrument.js';

/**
 * The series of one counter, exported as a monotonic OTel sum: cumulative, or the change since this reader's
 * previous collection when the reader asks for delta temporality.
 */
export class CounterStream extends Stream<SumSeries> implements CollectableStream {
  protected create(attributes: Attributes): SumSeries {
    return new SumSeries(attributes, hrTime());
  }

  collect(context: CollectContext): MetricData | undefined {
    const delta = context.temporality === AggregationTemporality.DELTA;
    // Delta points carry an exemplar of their own interval only.
    const since = delta && context.lastCollection ? hrTimeToMilliseconds(context.lastCollection) : undefined;
    const dataPoints: DataPoint<number>[] = [];
    for (const s of this.all()) {
      const previous = delta ? (context.previous.get(s) as number | undefined) : undefined;
      if (delta) context.previous.set(s, s.value);
      const point: DataPoint<number> & WithExemplars = {
        startTime: previous === undefined ? s.startTime : (context.lastCollection ?? s.startTime),
        endTime: context.endTime,
        attributes: s.attributes,
        value: s.value - (previous ?? 0),
      };
      const e = s.exemplar;
      if (e !== undefined && (since === undefined || e.timestamp > since)) point[EXEMPLARS] = [e];
      dataPoints.push(point);
    }
    if (dataPoints.length === 0) return undefined;
    return {
      descriptor: descriptorOf(this.descriptor),
      aggregationTemporality: context.temporality,
      dataPointType: DataPointType.SUM,
      isMonotonic: true,
      dataPoints,
    };
  }
}

/** A counter: a value that only goes up (Prometheus `counter`, OTel monotonic sum). */
export class Counter extends Instrument<SumSeries> {
  readonly kind = 'counter';

  /** Adds 1 to the series of `attributes`; with a sampled span active, it becomes the series' exemplar. */
  inc(attributes?: Attributes): void {
    const series =
      attributes === undefined ? (this.baseSeries ?? this.series(undefined)) : this.series(attributes);
    series.value++;
    captureExemplar(series, 1);
  }

  /** Adds `value` (≥ 0, finite; anything else is dropped and reported once) to the series of `attributes`. */
  add(value: number, attributes?: Attributes): void {
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      this.invalid(value);
      return;
    }
    const series =
      attributes === undefined ? (this.baseSeries ?? this.series(undefined)) : this.series(attributes);
    series.value += value;
    captureExemplar(series, value);
  }

  /** A handle on the series of `attributes`: its `inc()`/`add()` skip the lookup and allocate nothing. */
  bind(attributes?: Attributes): BoundCounter {
    return new BoundCounter(this.series(attributes), this);
  }

  /** The current value of the series of `attributes` (0 when it has none). */
  value(attributes?: Attributes): number {
    return this.peek(attributes)?.value ?? 0;
  }

  protected read(series: SumSeries): SeriesReading {
    return { attributes: series.attributes, value: series.value };
  }

  /** @internal */
  invalid(value: number): void {
    this.problem(
      'invalid_value',
      `counter increment ${String(value)} dropped: it must be a finite number ≥ 0`,
    );
  }
}

/** One series of a counter, bound by `counter.bind()`. */
export class BoundCounter {
  constructor(
    /** @internal The series itself, for a helper that checks several values at once (`LlmMetrics.record`). */
    readonly s: SumSeries,
    private readonly counter: Counter,
  ) {}

  /** Adds 1. */
  inc(): void {
    this.s.value++;
    captureExemplar(this.s, 1);
  }

  /** Adds `value` (≥ 0, finite; anything else is dropped and reported once). */
  add(value: number): void {
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      this.counter.invalid(value);
      return;
    }
    this.s.value += value;
    captureExemplar(this.s, value);
  }

  /** The current value. */
  value(): number {
    return this.s.value;
  }
}
