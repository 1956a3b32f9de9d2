import type {
  BatchObservableCallback,
  Counter,
  Gauge,
  Histogram,
  Meter,
  MeterOptions,
  MetricAttributes,
  MetricOptions,
  Observable,
  ObservableCounter,
  ObservableGauge,
  ObservableUpDownCounter,
  UpDownCounter,
} from '@opentelemetry/api';
import { diag } from '@opentelemetry/api';
import {
  AggregationType,
  createAllowListAttributesProcessor,
  InstrumentType,
  MeterProvider,
  type MeterProviderOptions,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import type { CallbackGuard } from './callback-guard.js';
import type { ExponentialSettings } from './http/exponential.js';
import { MeasurementGuard, type ValueRule } from './measurement-guard.js';

/**
 * Boundaries for every histogram whose unit is `s`: the stable HTTP semconv advice (5 ms … 10 s), which suits
 * request-scale latencies. The SDK's own default (`[0, 5, 10, 25, … 10000]`) is meant for milliseconds and puts
 * every sub-5-second measurement in one or two buckets (spec#3525).
 */
export const SECONDS_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** Boundaries for every histogram whose unit is `By`: powers of four from 128 B to 64 MiB (11 buckets). */
export const BYTES_BUCKETS: readonly number[] = Object.freeze([
  128, 512, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
]);

/**
 * Boundaries for `v8js.gc.duration`: 0.1 ms … 1 s. GC pauses are mostly well under 5 ms (scavenges 0.1–2 ms,
 * incremental marking steps less), so the request-scale buckets that instrumentation-runtime-node advises
 * (5 ms … 10 s) would put nearly every pause in the first bucket; a full mark-compact of a large heap is the
 * only thing reaching hundreds of milliseconds.
 */
export const GC_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
]);

/** The OTel spec's default cardinality limit per metric stream, overflow series included. */
export const DEFAULT_CARDINALITY_LIMIT = 2000;

/**
 * How a histogram aggregates: `'explicit'` buckets (boundaries from `histograms`/`unitBuckets`), or base-2
 * `'exponential'` buckets (OTel exponential histogram, served to Prometheus as a native histogram) with the OTel
 * defaults (at most 160 buckets per sign, scale 20 at most), or `{ type: 'exponential', maxSize, maxScale }`.
 */
export type HistogramAggregation =
  | 'explicit'
  | 'exponential'
  | { readonly type: 'exponential'; readonly maxSize?: number; readonly maxScale?: number };

/** A resolved setting: `'explicit'`, or the exponential histogram's settings. */
export type ResolvedHistogramAggregation = 'explicit' | ExponentialSettings;

/** What `views.ts` needs from the resolved configuration. */
export interface ViewSettings {
  readonly histograms: Readonly<Record<string, readonly number[]>>;
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  readonly cardinalityLimits: Readonly<Record<string, number>>;
  readonly views: readonly ViewOptions[];
  readonly unitBuckets: Readonly<Record<string, readonly number[]>>;
  /** The aggregation of histograms that neither `histogramAggregations`, `histograms` nor a unit setting names. */
  readonly histogramAggregation: ResolvedHistogramAggregation;
  readonly unitHistogramAggregation: Readonly<Record<string, ResolvedHistogramAggregation>>;
  readonly histogramAggregations: Readonly<Record<string, ResolvedHistogramAggregation>>;
}

/**
 * The exponential settings of the histogram `name` with `unit`, or `undefined` for explicit buckets. The most
 * specific setting wins: `histogramAggregations[name]`; then explicit when the instrument has its own
 * boundaries (`explicitBuckets`: a `histograms` entry, or the instruments API's `buckets` option); then
 * `unitHistogramAggregation[unit]`; then `histogramAggregation`.
 */
export function exponentialFor(
  settings: ViewSettings,
  name: string,
  unit: string,
  explicitBuckets = settings.histograms[name] !== undefined,
): ExponentialSettings | undefined {
  const chosen =
    settings.histogramAggregations[name] ??
    (explicitBuckets
      ? 'explicit'
      : (settings.unitHistogramAggregation[unit] ?? settings.histogramAggregation));
  return chosen === 'explicit' ? undefined : chosen;
}

/**
 * One view per instrument named in `histograms`, `attributes`, `cardinalityLimits` or `histogramAggregations`
 * (all settings for a name merged into a single view: two views matching one instrument would make the SDK emit
 * two streams), followed by the user's raw views. Unit-wide and global exponential settings are not views (see
 * `BucketAdvisingMeterProvider`).
 */
export function buildViews(settings: ViewSettings): ViewOptions[] {
  const names = new Set([
    ...Object.keys(settings.histograms),
    ...Object.keys(settings.attributes),
    ...Object.keys(settings.cardinalityLimits),
    ...Object.keys(settings.histogramAggregations),
  ]);
  const views: ViewOptions[] = [];
  for (const name of names) {
    const view: ViewOptions = { instrumentName: name };
    const buckets = settings.histograms[name];
    const own = settings.histogramAggregations[name];
    if (own !== undefined && own !== 'explicit') {
      view.aggregation = { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: own.maxSize } };
    } else if (buckets) {
      view.aggregation = {
        type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
        options: { boundaries: [...buckets] },
      };
    }
    const allowed = settings.attributes[name];
    if (allowed) view.attributesProcessors = [createAllowListAttributesProcessor([...allowed])];
    const limit = settings.cardinalityLimits[name];
    if (limit !== undefined) view.aggregationCardinalityLimit = limit;
    views.push(view);
  }
  return [...views, ...settings.views];
}

/**
 * A MeterProvider that gives unit-appropriate bucket advice to histograms created without any.
 *
 * Why not views: the SDK applies *every* matching view, so a unit-wide view (`instrumentUnit: 's'`) plus a
 * per-name override would create two streams for one instrument. Advice is the spec's mechanism for exactly
 * this ("default boundaries for this instrument"), it loses to any view, and it never duplicates a stream.
 */
export class BucketAdvisingMeterProvider extends MeterProvider {
  private readonly unitBuckets: Readonly<Record<string, readonly number[]>>;
  private readonly wrapped = new WeakMap<Meter, Meter>();
  private readonly guard: CallbackGuard | undefined;
  /** Drops invalid values and attributes on every instrument of this provider (see `measurement-guard.ts`). */
  readonly measurements = new MeasurementGuard();

  /**
   * `settings` gives the unit buckets (advice) and which histograms the unit-wide or global setting makes
   * exponential; `guard` counts and logs failing observable callbacks per instrument (see `callback-guard.ts`).
   */
  constructor(options: MeterProviderOptions, settings: ViewSettings, guard?: CallbackGuard) {
    super(options);
    this.unitBuckets = settings.unitBuckets;
    this.guard = guard;
    const { histogramAggregation, unitHistogramAggregation } = settings;
    if (histogramAggregation !== 'explicit' || Object.keys(unitHistogramAggregation).length > 0) {
      chooseExponential(this, (name, unit) => exponentialFor(settings, name, unit));
    }
  }

  override getMeter(name: string, version?: string, options?: MeterOptions): Meter {
    const meter = super.getMeter(name, version, options);
    let advised = this.wrapped.get(meter);
    if (!advised) {
      advised = new AdvisedMeter(meter, this.unitBuckets, this.guard, this.measurements);
      this.wrapped.set(meter, advised);
    }
    return advised;
  }
}

/**
 * The SDK's meter, with bucket advice for histograms, every instrument's measurements checked
 * (`MeasurementGuard`) and observable callbacks counted when they fail (`CallbackGuard`).
 */
class AdvisedMeter implements Meter {
  constructor(
    private readonly meter: Meter,
    private readonly unitBuckets: Readonly<Record<string, readonly number[]>>,
    private readonly guard: CallbackGuard | undefined,
    private readonly measurements: MeasurementGuard,
  ) {}

  createHistogram<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): Histogram<A> {
    const buckets = options?.unit !== undefined ? this.unitBuckets[options.unit] : undefined;
    if (buckets && options?.advice?.explicitBucketBoundaries === undefined) {
      options = { ...options, advice: { ...options?.advice, explicitBucketBoundaries: [...buckets] } };
    }
    return this.measurements.sync(this.meter.createHistogram<A>(name, options), 'record', name, 'count');
  }
  createGauge<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): Gauge<A> {
    return this.measurements.sync(this.meter.createGauge<A>(name, options), 'record', name, 'any');
  }
  createCounter<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): Counter<A> {
    return this.measurements.sync(this.meter.createCounter<A>(name, options), 'add', name, 'count');
  }
  createUpDownCounter<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): UpDownCounter<A> {
    return this.measurements.sync(this.meter.createUpDownCounter<A>(name, options), 'add', name, 'finite');
  }
  createObservableGauge<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): ObservableGauge<A> {
    return this.observable(this.meter.createObservableGauge<A>(name, options), name, 'any');
  }
  createObservableCounter<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): ObservableCounter<A> {
    return this.observable(this.meter.createObservableCounter<A>(name, options), name, 'count');
  }
  createObservableUpDownCounter<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): ObservableUpDownCounter<A> {
    return this.observable(this.meter.createObservableUpDownCounter<A>(name, options), name, 'finite');
  }
  addBatchObservableCallback<A extends MetricAttributes = MetricAttributes>(
    callback: BatchObservableCallback<A>,
    observables: Observable<A>[],
  ): void {
    const measured = this.measurements.batch(callback as BatchObservableCallback);
    this.meter.addBatchObservableCallback<A>(
      (this.guard ? this.guard.batch(measured, observables) : measured) as typeof callback,
      observables,
    );
  }
  removeBatchObservableCallback<A extends MetricAttributes = MetricAttributes>(
    callback: BatchObservableCallback<A>,
    observables: Observable<A>[],
  ): void {
    const measured = this.measurements.batch(callback as BatchObservableCallback);
    this.meter.removeBatchObservableCallback<A>(
      (this.guard ? this.guard.batchWrapper(measured) : measured) as typeof callback,
      observables,
    );
  }

  /** Measurements checked first, then (outermost) failures counted: the guard sees the user's own callback. */
  private observable<T extends Observable>(instrument: T, name: string, rule: ValueRule): T {
    this.measurements.observable(instrument, name, rule);
    return this.guard ? this.guard.observable(instrument, name) : instrument;
  }
}

/** The SDK internals `chooseExponential` relies on (sdk-metrics 3.x, pinned in package.json). */
interface ViewLike {
  aggregation: unknown;
}
interface ViewRegistryLike {
  findViews(instrument: { name: string; unit: string; type: string }, scope: unknown): ViewLike[];
}
type WithRegistry = { _sharedState?: { viewRegistry?: ViewRegistryLike } };

function registryOf(provider: MeterProvider): ViewRegistryLike | undefined {
  const registry = (provider as unknown as WithRegistry)._sharedState?.viewRegistry;
  return typeof registry?.findViews === 'function' ? registry : undefined;
}

/** The SDK's view object for `options`, as its registry holds it. */
function sdkView(options: ViewOptions): ViewLike | undefined {
  return registryOf(new MeterProvider({ views: [options] }))?.findViews(
    { name: 'probe', unit: '', type: InstrumentType.HISTOGRAM },
    { name: '' },
  )[0];
}

/**
 * Makes histograms exponential by unit or globally. A unit-wide view cannot do it: the SDK applies every
 * matching view, so `{ instrumentUnit: 's' }` next to a per-name view (`attributes`, `cardinalityLimits`)
 * would give one instrument two streams; and advice, which handles unit buckets, has no exponential form.
 * So the provider's view lookup is wrapped: a histogram chosen exponential that no view matches gets an
 * exponential view, and matching views that leave the aggregation to the default (an `attributes` view, a
 * user's rename) get the exponential aggregation instead. Views that set an aggregation keep it. When the
 * SDK's internals are not where this expects them, it says so once and histograms stay explicit.
 */
function chooseExponential(
  provider: MeterProvider,
  exponential: (name: string, unit: string) => ExponentialSettings | undefined,
): void {
  const registry = registryOf(provider);
  const defaultAggregation = sdkView({ instrumentName: 'probe' })?.aggregation;
  if (registry === undefined || defaultAggregation === undefined) {
    diag.warn(
      'otel-metrics-bootstrap: this @opentelemetry/sdk-metrics has no view registry where expected; ' +
        'unitHistogramAggregation and histogramAggregation do not apply to SDK instruments (histogramAggregations does)',
    );
    return;
  }
  const bySize = new Map<number, ViewLike | undefined>();
  const find = registry.findViews.bind(registry);
  registry.findViews = (instrument, scope) => {
    const views = find(instrument, scope);
    if (instrument.type !== InstrumentType.HISTOGRAM) return views;
    const settings = exponential(instrument.name, instrument.unit);
    if (settings === undefined) return views;
    let view = bySize.get(settings.maxSize);
    if (!bySize.has(settings.maxSize)) {
      view = sdkView({
        instrumentName: '*',
        aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: settings.maxSize } },
      });
      bySize.set(settings.maxSize, view);
    }
    if (view === undefined) return views;
    if (views.length === 0) return [view];
    return views.map((v) =>
      v.aggregation === defaultAggregation
        ? Object.assign(Object.create(Object.getPrototypeOf(v) as object) as ViewLike, v, {
            aggregation: view.aggregation,
          })
        : v,
    );
  };
}
