import type { Attributes, Meter } from '@opentelemetry/api';
import type { AggregationTemporality, MetricProducer } from '@opentelemetry/sdk-metrics';
import { type Clock, systemClock } from '../clock.js';
import { DEFAULTS } from '../config.js';
import { MetricsError, type MetricsProblem } from '../errors.js';
import { HistogramStream, type SeriesBudget, type Stream, type StreamDescriptor } from '../http/series.js';
import { Reader } from '../option-reader.js';
import { DEFAULT_CARDINALITY_LIMIT, exponentialFor } from '../views.js';
import { Counter, CounterStream } from './counter.js';
import { Gauge, type GaugeOptions, GaugeStream } from './gauge.js';
import { Histogram, type HistogramOptions } from './histogram.js';
import type { InstrumentContext, InstrumentKind, InstrumentOptions } from './instrument.js';
import { checkLabels } from './labels.js';
import {
  INSTRUMENT_NAME,
  INSTRUMENTS_DEFAULTS,
  type InstrumentsOptions,
  type ResolvedInstrumentsOptions,
  resolveInstruments,
} from './options.js';
import {
  type AnyInstrument,
  type Definition,
  InstrumentRegistry,
  type InstrumentSnapshot,
  registryOf,
} from './registry.js';
import { Summary, type SummaryOptions, SummaryStream } from './summary.js';
import { Timer, type TimerOptions } from './timer.js';

type AnyStream = Stream<{ readonly attributes: Attributes }>;

/** `createInstruments()` options. */
export interface CreateInstrumentsOptions extends InstrumentsOptions {
  /**
   * A meter from `initMeter()` (`telemetry.meter`, `telemetry.getMeter()`) or `createTestMeter()`: the
   * instruments are exported by that provider's readers, with its `histograms`, `unitBuckets`, `attributes`
   * and cardinality settings, and share its name registry. Without it the instruments stand alone: pass
   * `instruments.producer()` in your reader's `metricProducers` to export them. A meter from any other
   * provider is a `MetricsError` (`ERR_INVALID_CONFIG`).
   */
  meter?: Meter;
  /** Constant attributes on every series of these instruments. Default none. */
  attributes?: Attributes;
  /** Time source of timers and summary windows. Default `systemClock`; tests pass `createTestClock()`. */
  clock?: Clock;
}

/** SDK default explicit-bucket boundaries, for unitless histograms without buckets (as the SDK would use). */
const SDK_DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
]);
const SUMMARY_DEFAULTS = Object.freeze({ quantiles: [0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5 });
const COMMON_KEYS = ['description', 'unit', 'labels'];
const KEYS: Readonly<Record<InstrumentKind, ReadonlySet<string>>> = {
  counter: new Set(COMMON_KEYS),
  gauge: new Set([...COMMON_KEYS, 'observe']),
  histogram: new Set([...COMMON_KEYS, 'buckets']),
  timer: new Set(['description', 'labels', 'buckets']),
  summary: new Set([...COMMON_KEYS, 'quantiles', 'maxAgeSeconds', 'ageBuckets']),
};

/**
 * Counters, gauges, histograms, summaries and timers that feel like prom-client: get-or-create by name,
 * values read back, bound series whose `inc()`/`observe()` allocate nothing, constant attributes, a name
 * prefix, label checks and a total series budget. They are exported as ordinary OTel metrics to every reader
 * of the provider. Creating an instrument is setup: it throws `MetricsError` for a bad definition or a
 * conflict. Recording never throws: bad values are dropped, logged once and counted in
 * `omb.instrument.problems`.
 */
export class Instruments {
  /** @internal use `createInstruments()` or `telemetry.instruments`. */
  constructor(
    private readonly registry: InstrumentRegistry,
    private readonly prefix: string,
    private readonly context: InstrumentContext,
  ) {}

  /** A counter (`{ unit, description, labels }`); Prometheus `<name>_total`. */
  counter(name: string, options: InstrumentOptions = {}): Counter {
    return this.create('counter', name, options, (d) => new CounterStream(d), Counter);
  }

  /** A gauge (`{ unit, description, labels, observe }`); with `observe`, a callback gauge. */
  gauge(name: string, options: GaugeOptions = {}): Gauge {
    const gauge = this.create('gauge', name, options, (d) => new GaugeStream(d), Gauge);
    if (options.observe !== undefined) gauge.observeWith(options.observe);
    return gauge;
  }

  /** An explicit-bucket histogram (`{ unit, description, labels, buckets }`). */
  histogram(name: string, options: HistogramOptions = {}): Histogram {
    return this.create(
      'histogram',
      name,
      options,
      (d) => this.histogramStream(d, options.buckets),
      Histogram,
    );
  }

  /** A summary (`{ unit, description, labels, quantiles, maxAgeSeconds, ageBuckets }`). */
  summary(name: string, options: SummaryOptions = {}): Summary {
    const quantiles = options.quantiles ?? SUMMARY_DEFAULTS.quantiles;
    const maxAgeSeconds = options.maxAgeSeconds ?? SUMMARY_DEFAULTS.maxAgeSeconds;
    const ageBuckets = options.ageBuckets ?? SUMMARY_DEFAULTS.ageBuckets;
    return this.create(
      'summary',
      name,
      options,
      (d) =>
        new SummaryStream(
          d,
          [...quantiles],
          (maxAgeSeconds * 1000) / ageBuckets,
          ageBuckets,
          this.context.clock,
        ),
      Summary,
    );
  }

  /** A timer: a histogram in seconds with `time(fn)`, stopwatches and `startTimer()`. */
  timer(name: string, options: TimerOptions = {}): Timer {
    const full = { ...options, unit: 's' };
    return this.create('timer', name, full, (d) => this.histogramStream(d, options.buckets), Timer);
  }

  /** The same API with more constant attributes on every series of the instruments created through it. */
  withAttributes(attributes: Attributes): Instruments {
    return new Instruments(this.registry, this.prefix, {
      ...this.context,
      constAttributes: Object.freeze({ ...this.context.constAttributes, ...attributes }),
    });
  }

  /** The instrument with this full name (prefix included), if any. */
  get(name: string): AnyInstrument | undefined {
    return this.registry.get(name);
  }

  /** Stops exporting the instrument with this full name and frees its series; `false` if there was none. */
  unregister(name: string): boolean {
    return this.registry.unregister(name);
  }

  /** Calls `visitor(instrument, name)` for every instrument of this provider, in creation order. */
  visit(visitor: (instrument: AnyInstrument, name: string) => void): void {
    this.registry.visit(visitor);
  }

  /** Every instrument of this provider with its series read back (values, counts, sums, buckets, quantiles). */
  snapshot(): InstrumentSnapshot[] {
    return this.registry.snapshot();
  }

  /**
   * A `MetricProducer` for one reader of your own (`new PeriodicExportingMetricReader({ metricProducers: [...] })`),
   * for standalone instruments; instruments of `initMeter()` are already exported. One per reader.
   */
  producer(temporality?: AggregationTemporality): MetricProducer {
    return this.registry.producer(temporality);
  }

  /** A histogram's stream: explicit bounds, or exponential when the `histogramAggregation` settings say so. */
  private histogramStream(d: StreamDescriptor, buckets: readonly number[] | undefined): HistogramStream {
    const views = this.registry.views;
    const own = views.histograms[d.name];
    return new HistogramStream(
      d,
      own ?? buckets ?? views.unitBuckets[d.unit] ?? SDK_DEFAULT_BUCKETS,
      exponentialFor(views, d.name, d.unit, own !== undefined || buckets !== undefined),
    );
  }

  private create<I extends AnyInstrument>(
    kind: InstrumentKind,
    name: string,
    options: InstrumentOptions,
    createStream: (d: StreamDescriptor) => AnyStream,
    Kind: new (
      name: string,
      stream: never,
      context: InstrumentContext,
      labels: readonly string[] | undefined,
    ) => I,
  ): I {
    const fullName = this.prefix + name;
    checkDefinition(kind, name, fullName, options as Record<string, unknown>);
    let labels = checkLabels(fullName, kind, options.labels, this.context.constAttributes);
    // A timer's time() adds error.type on failure; declaring labels must not make it an undeclared key.
    if (kind === 'timer' && labels !== undefined && !labels.includes('error.type'))
      labels = [...labels, 'error.type'];
    const definition: Definition = {
      name: fullName,
      kind,
      unit: options.unit ?? '',
      description: options.description ?? '',
      labels,
    };
    return this.registry.getOrCreate(
      definition,
      this.context.constAttributes,
      this.context.budget,
      () => createStream(this.registry.descriptor(definition)),
      (stream) => new Kind(fullName, stream as never, this.context, labels),
    );
  }
}

/** Checks a definition's name and options (setup time), throwing one `MetricsError` with every problem. */
function checkDefinition(
  kind: InstrumentKind,
  name: string,
  fullName: string,
  options: Record<string, unknown>,
): void {
  const problems: MetricsProblem[] = [];
  const source = `instrument "${fullName}"`;
  if (typeof name !== 'string' || !INSTRUMENT_NAME.test(fullName))
    problems.push({
      code: 'ERR_INVALID_INSTRUMENT_NAME',
      source,
      message: `${JSON.stringify(name)} is not an instrument name: start with a letter, then letters, digits, "_", ".", "-" or "/" (at most 255 with the prefix)`,
    });
  if (options === null || typeof options !== 'object') {
    problems.push({ code: 'ERR_INVALID_CONFIG', source, message: 'options must be an object' });
    throw new MetricsError(problems);
  }
  const option = (message: string) =>
    problems.push({ code: 'ERR_INVALID_INSTRUMENT_OPTION', source, message });
  for (const key of Object.keys(options)) {
    if (!KEYS[kind].has(key) && !(kind === 'timer' && key === 'unit'))
      problems.push({
        code: 'ERR_UNKNOWN_OPTION',
        source: `${source}.${key}`,
        message: `a ${kind} takes ${[...KEYS[kind]].join(', ')}`,
      });
  }
  for (const key of ['description', 'unit'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'string') option(`${key} must be a string`);
  }
  const { buckets, quantiles, maxAgeSeconds, ageBuckets, observe } = options;
  if (buckets !== undefined) {
    const ok =
      Array.isArray(buckets) &&
      buckets.length > 0 &&
      buckets.every((b, i) => typeof b === 'number' && Number.isFinite(b) && (i === 0 || b > buckets[i - 1]));
    if (!ok)
      problems.push({
        code: 'ERR_INVALID_BUCKETS',
        source: `${source}.buckets`,
        message: `must be a non-empty array of finite, strictly increasing numbers, got ${JSON.stringify(buckets)}`,
      });
  }
  if (
    quantiles !== undefined &&
    !(
      Array.isArray(quantiles) &&
      quantiles.length > 0 &&
      quantiles.every((q) => typeof q === 'number' && q >= 0 && q <= 1) &&
      new Set(quantiles).size === quantiles.length
    )
  )
    option(`quantiles must be distinct numbers from 0 to 1 (0.99, not 99), got ${JSON.stringify(quantiles)}`);
  if (
    maxAgeSeconds !== undefined &&
    !(typeof maxAgeSeconds === 'number' && Number.isFinite(maxAgeSeconds) && maxAgeSeconds > 0)
  )
    option(`maxAgeSeconds must be a number of seconds above 0, got ${JSON.stringify(maxAgeSeconds)}`);
  if (ageBuckets !== undefined && !(Number.isInteger(ageBuckets) && (ageBuckets as number) >= 1))
    option(`ageBuckets must be an integer of at least 1, got ${JSON.stringify(ageBuckets)}`);
  if (observe !== undefined && typeof observe !== 'function')
    option('observe must be a function returning a number');
  if (kind === 'timer' && options['unit'] !== 's') option('a timer records seconds; its unit is always "s"');
  if (problems.length > 0) throw new MetricsError(problems);
}

/**
 * Creates an instruments API (see {@link Instruments}). With `meter` from `initMeter()` or `createTestMeter()`
 * the instruments are exported with that provider's metrics; without, call `producer()` for your reader.
 * `telemetry.instruments` is the same API, created by `initMeter()` with its configuration.
 *
 * Options follow explicit option > environment variable > default: `namespace` (`OMB_NAMESPACE`), `subsystem`
 * (`OMB_SUBSYSTEM`), `maxSeries` (`OMB_INSTRUMENTS_MAX_SERIES`, default 10000), `valueLengthLimit`
 * (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, default 256). Throws `MetricsError` for invalid options.
 */
export function createInstruments(options: CreateInstrumentsOptions = {}): Instruments {
  const r = new Reader(process.env);
  const {
    meter,
    attributes = {},
    clock = systemClock,
    namespace,
    subsystem,
    maxSeries,
    valueLengthLimit,
  } = options;
  const resolved = resolveInstruments(r, namespace, subsystem, { maxSeries, valueLengthLimit });
  let registry: InstrumentRegistry | undefined;
  if (meter !== undefined) {
    registry = registryOf(meter);
    if (registry === undefined)
      r.report(
        'ERR_INVALID_CONFIG',
        'meter',
        'is not a meter of initMeter() or createTestMeter(); pass one of theirs, or leave meter out and add instruments.producer() to your reader',
      );
  }
  if (r.problems.length > 0) throw new MetricsError(r.problems);
  return instrumentsFor(
    registry ??
      new InstrumentRegistry(
        { ...emptyViews, unitBuckets: DEFAULTS.unitBuckets, histograms: DEFAULTS.histograms },
        DEFAULT_CARDINALITY_LIMIT,
      ),
    resolved,
    attributes,
    clock,
  );
}

const emptyViews = {
  histograms: {},
  attributes: {},
  cardinalityLimits: {},
  views: [],
  unitBuckets: {},
  histogramAggregation: 'explicit',
  unitHistogramAggregation: {},
  histogramAggregations: {},
} as const;

/** The API over `registry` with resolved options (what `initMeter()` and `createTestMeter()` call). */
export function instrumentsFor(
  registry: InstrumentRegistry,
  options: ResolvedInstrumentsOptions,
  attributes: Attributes = {},
  clock: Clock = systemClock,
): Instruments {
  const prefix = [options.namespace, options.subsystem, ''].filter((p) => p !== undefined).join('.');
  const budget: SeriesBudget = { used: 0, max: options.maxSeries ?? INSTRUMENTS_DEFAULTS.maxSeries };
  // Checked here, at setup, so a bad constant attribute fails createInstruments() rather than the first instrument.
  checkLabels('createInstruments', 'counter', undefined, attributes);
  return new Instruments(registry, prefix, {
    problems: registry.problems,
    budget,
    valueLengthLimit: options.valueLengthLimit,
    constAttributes: Object.freeze({ ...attributes }),
    clock,
  });
}
