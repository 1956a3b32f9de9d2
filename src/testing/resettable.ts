import type {
  Attributes,
  BatchObservableCallback,
  BatchObservableResult,
  Context,
  Counter,
  Gauge,
  Histogram,
  Meter,
  MeterOptions,
  MeterProvider,
  MetricAttributes,
  MetricOptions,
  Observable,
  ObservableCallback,
  ObservableCounter,
  ObservableGauge,
  ObservableUpDownCounter,
  UpDownCounter,
} from '@opentelemetry/api';

/**
 * A MeterProvider whose SDK provider can be swapped for a fresh one (`swap()`), while every meter and instrument
 * it handed out stays valid: each is a thin handle that re-creates its SDK counterpart on the current provider
 * the first time it is used after a swap. This is what lets `TestMeter.reset()` start from empty state even when
 * the code under test created its instruments once, at construction, before the reset.
 *
 * Asynchronous instruments and batch callbacks are re-registered eagerly on swap, because the SDK only calls
 * callbacks it knows about at collection time.
 */
export class ResettableMeterProvider implements MeterProvider {
  /** Bumped by `swap()`; handles compare it with the generation they were bound in. */
  generation = 0;
  private sdk: MeterProvider;
  private readonly meters = new Map<string, ResettableMeter>();

  constructor(private readonly create: () => MeterProvider) {
    this.sdk = create();
  }

  /** The SDK provider of the current generation. */
  get current(): MeterProvider {
    return this.sdk;
  }

  getMeter(name: string, version?: string, options?: MeterOptions): Meter {
    const key = `${name}\u0000${version ?? ''}\u0000${options?.schemaUrl ?? ''}`;
    let meter = this.meters.get(key);
    if (meter === undefined) {
      meter = new ResettableMeter(this, name, version, options);
      this.meters.set(key, meter);
    }
    return meter;
  }

  /** Installs a fresh SDK provider and returns the previous one (for the caller to shut down). */
  swap(): MeterProvider {
    const previous = this.sdk;
    this.sdk = this.create();
    this.generation++;
    for (const meter of this.meters.values()) meter.rebindAsync();
    return previous;
  }
}

class ResettableMeter implements Meter {
  private bound = -1;
  private inner!: Meter;
  private readonly observables = new Set<ResettableObservable>();
  private readonly batches = new Map<
    BatchObservableCallback,
    { observables: Observable[]; wrapped?: Wrapped }
  >();

  constructor(
    readonly owner: ResettableMeterProvider,
    private readonly name: string,
    private readonly version: string | undefined,
    private readonly options: MeterOptions | undefined,
  ) {}

  current(): Meter {
    if (this.bound !== this.owner.generation) {
      this.inner = this.owner.current.getMeter(this.name, this.version, this.options);
      this.bound = this.owner.generation;
    }
    return this.inner;
  }

  rebindAsync(): void {
    for (const observable of this.observables) observable.current();
    for (const [callback, entry] of this.batches) this.registerBatch(callback, entry);
  }

  createCounter<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): Counter<A> {
    return new ResettableAdder(this, (m) => m.createCounter(name, options));
  }
  createUpDownCounter<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): UpDownCounter<A> {
    return new ResettableAdder(this, (m) => m.createUpDownCounter(name, options));
  }
  createHistogram<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): Histogram<A> {
    return new ResettableRecorder(this, (m) => m.createHistogram(name, options));
  }
  createGauge<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): Gauge<A> {
    return new ResettableRecorder(this, (m) => m.createGauge(name, options));
  }
  createObservableCounter<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): ObservableCounter<A> {
    return this.observable((m) => m.createObservableCounter(name, options));
  }
  createObservableGauge<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): ObservableGauge<A> {
    return this.observable((m) => m.createObservableGauge(name, options));
  }
  createObservableUpDownCounter<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): ObservableUpDownCounter<A> {
    return this.observable((m) => m.createObservableUpDownCounter(name, options));
  }

  addBatchObservableCallback<A extends MetricAttributes = MetricAttributes>(
    callback: BatchObservableCallback<A>,
    observables: Observable<A>[],
  ): void {
    const cb = callback as BatchObservableCallback;
    if (this.batches.has(cb)) return;
    const entry = { observables: [...observables] as Observable[] };
    this.batches.set(cb, entry);
    this.registerBatch(cb, entry);
  }

  removeBatchObservableCallback<A extends MetricAttributes = MetricAttributes>(
    callback: BatchObservableCallback<A>,
    observables: Observable<A>[],
  ): void {
    const cb = callback as BatchObservableCallback;
    const entry = this.batches.get(cb);
    if (entry === undefined) return;
    this.batches.delete(cb);
    if (entry.wrapped?.generation === this.owner.generation) {
      this.current().removeBatchObservableCallback(
        entry.wrapped.fn,
        (observables as Observable[]).map(unwrap),
      );
    }
  }

  private observable(create: (m: Meter) => Observable): ResettableObservable {
    const observable = new ResettableObservable(this, create);
    this.observables.add(observable);
    return observable;
  }

  /**
   * The SDK matches observables by identity, so the callback's `result.observe(handle, …)` must be translated to
   * the current generation's SDK instrument.
   */
  private registerBatch(
    callback: BatchObservableCallback,
    entry: { observables: Observable[]; wrapped?: Wrapped },
  ) {
    const fn: BatchObservableCallback = (result) =>
      callback({
        observe: (observable: Observable, value: number, attributes?: Attributes) =>
          result.observe(unwrap(observable), value, attributes),
      } as BatchObservableResult);
    entry.wrapped = { fn, generation: this.owner.generation };
    this.current().addBatchObservableCallback(fn, entry.observables.map(unwrap));
  }
}

interface Wrapped {
  fn: BatchObservableCallback;
  generation: number;
}

function unwrap(observable: Observable): Observable {
  return observable instanceof ResettableObservable ? observable.current() : observable;
}

/** Shared by the handles: holds the SDK instrument of the generation it was last used in. */
abstract class Binding<T> {
  private bound = -1;
  private inner!: T;

  constructor(
    protected readonly meter: ResettableMeter,
    private readonly create: (m: Meter) => T,
  ) {}

  current(): T {
    if (this.bound !== this.meter.owner.generation) {
      this.inner = this.create(this.meter.current());
      this.bound = this.meter.owner.generation;
      this.onBind(this.inner);
    }
    return this.inner;
  }

  protected onBind(_inner: T): void {}
}

class ResettableAdder extends Binding<Counter> implements Counter, UpDownCounter {
  add(value: number, attributes?: Attributes, context?: Context): void {
    this.current().add(value, attributes, context);
  }
}

class ResettableRecorder extends Binding<Histogram | Gauge> implements Histogram, Gauge {
  record(value: number, attributes?: Attributes, context?: Context): void {
    this.current().record(value, attributes, context);
  }
}

class ResettableObservable extends Binding<Observable> implements Observable {
  private readonly callbacks = new Set<ObservableCallback>();

  addCallback(callback: ObservableCallback): void {
    if (this.callbacks.has(callback)) return;
    // Bind first: a first-time bind registers every known callback, and this one must not be registered twice.
    const inner = this.current();
    this.callbacks.add(callback);
    inner.addCallback(callback);
  }

  removeCallback(callback: ObservableCallback): void {
    if (!this.callbacks.delete(callback)) return;
    this.current().removeCallback(callback);
  }

  protected override onBind(inner: Observable): void {
    for (const callback of this.callbacks) inner.addCallback(callback);
  }
}
