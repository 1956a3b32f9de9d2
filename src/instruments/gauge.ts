import type { Attributes } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { type DataPoint, DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import {
  type CollectableStream,
  type CollectContext,
  descriptorOf,
  Stream,
  SumSeries,
} from '../http/series.js';
import { Instrument, type InstrumentOptions, type SeriesReading } from './instrument.js';

/** Gauge options. */
export interface GaugeOptions extends InstrumentOptions {
  /**
   * Makes a callback gauge: called at every collection, its return value becomes the gauge's value (the series
   * of the constant attributes). A throw or a non-finite result is reported once and that collection keeps the
   * previous value. Default none.
   */
  observe?: () => number;
}

/** The series of one gauge, exported as an OTel gauge (last value). */
export class GaugeStream extends Stream<SumSeries> implements CollectableStream {
  /** Called before each collection (callback gauges). */
  beforeCollect: (() => void) | undefined;

  protected create(attributes: Attributes): SumSeries {
    return new SumSeries(attributes, hrTime());
  }

  collect(context: CollectContext): MetricData | undefined {
    this.beforeCollect?.();
    const dataPoints: DataPoint<number>[] = [];
    for (const s of this.all()) {
      dataPoints.push({
        startTime: s.startTime,
        endTime: context.endTime,
        attributes: s.attributes,
        value: s.value,
      });
    }
    if (dataPoints.length === 0) return undefined;
    return {
      descriptor: descriptorOf(this.descriptor),
      aggregationTemporality: context.temporality,
      dataPointType: DataPointType.GAUGE,
      dataPoints,
    };
  }
}

/** A gauge: a value that goes up and down, set directly or by a callback (Prometheus and OTel `gauge`). */
export class Gauge extends Instrument<SumSeries> {
  readonly kind = 'gauge';

  /** Sets the series of `attributes` to `value` (finite; anything else is dropped and reported once). */
  set(value: number, attributes?: Attributes): void {
    if (!Number.isFinite(value)) {
      this.invalid(value);
      return;
    }
    this.series(attributes).value = value;
  }

  /** Adds `value` (default 1): `inc()`, `inc(2)`, `inc(attributes)`, `inc(2, attributes)`. */
  inc(value: number | Attributes = 1, attributes?: Attributes): void {
    if (typeof value === 'object') this.add(1, value);
    else this.add(value, attributes);
  }

  /** Subtracts `value` (default 1): `dec()`, `dec(2)`, `dec(attributes)`, `dec(2, attributes)`. */
  dec(value: number | Attributes = 1, attributes?: Attributes): void {
    if (typeof value === 'object') this.add(-1, value);
    else this.add(-value, attributes);
  }

  /** Adds `value` (may be negative; finite). */
  add(value: number, attributes?: Attributes): void {
    if (!Number.isFinite(value)) {
      this.invalid(value);
      return;
    }
    this.series(attributes).value += value;
  }

  /** Subtracts `value` (finite). */
  sub(value: number, attributes?: Attributes): void {
    this.add(-value, attributes);
  }

  /** Sets the value to the current Unix time in seconds (`Date.now() / 1000`), as prom-client does. */
  setToCurrentTime(attributes?: Attributes): void {
    this.series(attributes).value = Date.now() / 1000;
  }

  /** A handle on the series of `attributes`: no lookup, no allocation. */
  bind(attributes?: Attributes): BoundGauge {
    return new BoundGauge(this.series(attributes), this);
  }

  /** The current value of the series of `attributes` (0 when it has none); a callback gauge is called first. */
  value(attributes?: Attributes): number {
    (this.stream as GaugeStream).beforeCollect?.();
    return this.peek(attributes)?.value ?? 0;
  }

  /** Makes this a callback gauge (see {@link GaugeOptions.observe}). */
  observeWith(observe: () => number): void {
    const base = this.series(undefined);
    (this.stream as GaugeStream).beforeCollect = () => {
      let value: number;
      try {
        value = observe();
      } catch (err) {
        this.problem(
          'callback_failed',
          `its observe callback threw: ${err instanceof Error ? err.message : String(err)}`,
        );
        return;
      }
      if (Number.isFinite(value)) base.value = value;
      else
        this.problem(
          'callback_failed',
          `its observe callback returned ${String(value)}, not a finite number`,
        );
    };
  }

  override readings(): SeriesReading[] {
    (this.stream as GaugeStream).beforeCollect?.();
    return super.readings();
  }

  protected read(series: SumSeries): SeriesReading {
    return { attributes: series.attributes, value: series.value };
  }

  /** @internal */
  invalid(value: number): void {
    this.problem('invalid_value', `gauge value ${String(value)} dropped: it must be a finite number`);
  }
}

/** One series of a gauge, bound by `gauge.bind()`. */
export class BoundGauge {
  constructor(
    private readonly s: SumSeries,
    private readonly gauge: Gauge,
  ) {}

  set(value: number): void {
    if (!Number.isFinite(value)) {
      this.gauge.invalid(value);
      return;
    }
    this.s.value = value;
  }
  inc(value = 1): void {
    this.add(value);
  }
  dec(value = 1): void {
    this.add(-value);
  }
  add(value: number): void {
    if (!Number.isFinite(value)) {
      this.gauge.invalid(value);
      return;
    }
    this.s.value += value;
  }
  sub(value: number): void {
    this.add(-value);
  }
  setToCurrentTime(): void {
    this.s.value = Date.now() / 1000;
  }
  value(): number {
    return this.s.value;
  }
}
