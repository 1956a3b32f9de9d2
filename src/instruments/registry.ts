import { type Attributes, ValueType } from '@opentelemetry/api';
import type { AggregationTemporality, MetricProducer } from '@opentelemetry/sdk-metrics';
import { MetricsError, type MetricsErrorCode } from '../errors.js';
import {
  attributesKey,
  type CollectableStream,
  HistogramStream,
  type SeriesBudget,
  SeriesProducer,
  type Stream,
  type StreamDescriptor,
  type StreamSource,
  type SumStream,
} from '../http/series.js';
import { familyName, type PromType } from '../prometheus/naming.js';
import { ATTR_OTEL_METRIC_OVERFLOW } from '../semconv.js';
import type { ViewSettings } from '../views.js';
import type { Counter, CounterStream } from './counter.js';
import type { Gauge, GaugeStream } from './gauge.js';
import type { Histogram } from './histogram.js';
import type { Instrument, InstrumentKind, SeriesReading } from './instrument.js';
import { Problems } from './problems.js';
import type { Summary, SummaryStream } from './summary.js';
import type { Timer } from './timer.js';

/** Any instrument of the instruments API. */
export type AnyInstrument = Counter | Gauge | Histogram | Summary | Timer;

/** One instrument read back by `instruments.snapshot()`. */
export interface InstrumentSnapshot {
  readonly name: string;
  readonly kind: InstrumentKind;
  readonly unit: string;
  readonly description: string;
  readonly series: readonly SeriesReading[];
}

/** What identifies an instrument definition: creating it again with another kind, unit or labels conflicts. */
export interface Definition {
  readonly name: string;
  readonly kind: InstrumentKind;
  readonly unit: string;
  readonly description: string;
  readonly labels: readonly string[] | undefined;
}

interface Entry {
  readonly definition: Definition;
  readonly family: string;
  readonly stream: Stream<{ readonly attributes: Attributes }>;
  readonly budget: SeriesBudget;
  /** One instrument object per set of constant attributes. */
  readonly instruments: Map<string, AnyInstrument>;
  readonly first: AnyInstrument;
}

const PROM_TYPES: Readonly<Record<InstrumentKind, PromType>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  timer: 'histogram',
  summary: 'gauge',
};

/** The meter each registry belongs to, so `createInstruments({ meter })` finds the provider's registry. */
const BY_METER = new WeakMap<object, InstrumentRegistry>();

/** Makes `createInstruments({ meter })` use `registry` for this meter (our providers call it). */
export function attachRegistry<M extends object>(meter: M, registry: InstrumentRegistry): M {
  BY_METER.set(meter, registry);
  return meter;
}

/** The registry of a meter from `initMeter()` or `createTestMeter()`; `undefined` for any other meter. */
export function registryOf(meter: object): InstrumentRegistry | undefined {
  return BY_METER.get(meter);
}

/**
 * All instruments-API instruments of one MeterProvider (of one `initMeter()` or `createTestMeter()`, or a
 * standalone `createInstruments()`): the name registry with its conflict rules, and the `StreamSource` whose
 * `MetricProducer`s hand their series to the provider's readers, the same machinery the HTTP metrics use.
 * The settings that the SDK views apply to other instruments apply here too: `histograms` (buckets per name),
 * `unitBuckets`, `attributes` (allow-lists) and `cardinalityLimit(s)`.
 */
export class InstrumentRegistry implements StreamSource {
  readonly histograms: HistogramStream[] = [];
  readonly sums: readonly SumStream[] = [];
  readonly problems = new Problems();
  private readonly streams: CollectableStream[] = [];
  private readonly entries = new Map<string, Entry>();
  private readonly families = new Map<string, string>();

  constructor(
    readonly views: ViewSettings,
    readonly cardinalityLimit: number,
  ) {}

  /** Counters, gauges and summaries, then the problems counter (last: collecting a callback gauge may add to it). */
  get collectables(): readonly CollectableStream[] {
    return [...this.streams, this.problems.stream];
  }

  /** A producer for one reader; `temporality` is the reader's preference. Use one per reader. */
  producer(temporality?: AggregationTemporality): MetricProducer {
    return new SeriesProducer(() => this, temporality);
  }

  /** The descriptor of a new stream, with the views' allow-list and cardinality limit for its name. */
  descriptor(definition: Definition): StreamDescriptor {
    return {
      name: definition.name,
      description: definition.description,
      unit: definition.unit,
      valueType: ValueType.DOUBLE,
      cardinalityLimit: this.views.cardinalityLimits[definition.name] ?? this.cardinalityLimit,
      allowedKeys: this.views.attributes[definition.name],
    };
  }

  /**
   * The instrument for `definition` and these constant attributes: the existing one when the name was
   * created before with the same kind, unit and labels (else `ERR_INSTRUMENT_CONFLICT`), or a new one built
   * by `build` on the stream from `createStream`.
   */
  getOrCreate<I extends AnyInstrument>(
    definition: Definition,
    constAttributes: Attributes,
    budget: SeriesBudget,
    createStream: () => Stream<{ readonly attributes: Attributes }>,
    build: (stream: Stream<{ readonly attributes: Attributes }>) => I,
  ): I {
    const constKey = attributesKey(constAttributes);
    const entry = this.entries.get(definition.name);
    if (entry) {
      this.checkSame(entry.definition, definition);
      let instrument = entry.instruments.get(constKey);
      if (instrument === undefined) {
        instrument = build(entry.stream);
        entry.instruments.set(constKey, instrument);
      }
      return instrument as I;
    }
    const family = familyName(definition.name, definition.unit, PROM_TYPES[definition.kind]);
    const clash = this.families.get(family);
    if (clash !== undefined) {
      conflict(
        definition.name,
        `becomes the Prometheus name "${family}", which instrument "${clash}" already has; rename one of them`,
      );
    }
    const stream = createStream();
    stream.budget = budget;
    const instrument = build(stream);
    this.entries.set(definition.name, {
      definition,
      family,
      stream,
      budget,
      instruments: new Map([[constKey, instrument]]),
      first: instrument,
    });
    this.families.set(family, definition.name);
    if (stream instanceof HistogramStream) this.histograms.push(stream);
    else this.streams.push(stream as CounterStream | GaugeStream | SummaryStream);
    return instrument;
  }

  /** The instrument with this full name (the first one created, for names used with several constant attribute sets). */
  get(name: string): AnyInstrument | undefined {
    return this.entries.get(name)?.first;
  }

  /**
   * Removes the instrument: it is no longer exported and its series return to the budget; existing handles keep
   * working without effect on the output. Creating the name again starts from zero. `false` if there was none.
   */
  unregister(name: string): boolean {
    const entry = this.entries.get(name);
    if (entry === undefined) return false;
    this.entries.delete(name);
    this.families.delete(entry.family);
    const list: unknown[] = entry.stream instanceof HistogramStream ? this.histograms : this.streams;
    list.splice(list.indexOf(entry.stream), 1);
    for (const s of entry.stream.all()) {
      if (s.attributes[ATTR_OTEL_METRIC_OVERFLOW] !== true) entry.budget.used--;
    }
    return true;
  }

  /** Calls `visitor` once per instrument, in creation order. */
  visit(visitor: (instrument: AnyInstrument, name: string) => void): void {
    for (const [name, entry] of this.entries) visitor(entry.first, name);
  }

  /** Every instrument with its series read back. */
  snapshot(): InstrumentSnapshot[] {
    return Array.from(this.entries.values(), ({ definition, first }) => ({
      name: definition.name,
      kind: definition.kind,
      unit: definition.unit,
      description: definition.description,
      series: (first as Instrument<{ readonly attributes: Attributes }>).readings(),
    }));
  }

  private checkSame(had: Definition, want: Definition): void {
    const labels = (l: readonly string[] | undefined) => (l ? `[${[...l].sort().join(', ')}]` : 'any labels');
    const differences: string[] = [];
    if (had.kind !== want.kind) differences.push(`a ${had.kind}, not a ${want.kind}`);
    if (had.unit !== want.unit) differences.push(`unit "${had.unit}", not "${want.unit}"`);
    if (labels(had.labels) !== labels(want.labels))
      differences.push(`labels ${labels(had.labels)}, not ${labels(want.labels)}`);
    if (differences.length > 0)
      conflict(
        want.name,
        `already exists as ${differences.join(', ')}; use the same definition to get it back, or another name`,
      );
  }
}

function conflict(name: string, message: string): never {
  const code: MetricsErrorCode = 'ERR_INSTRUMENT_CONFLICT';
  throw new MetricsError([{ code, source: `instrument "${name}"`, message }]);
}
