import {
  type BatchObservableCallback,
  type BatchObservableResult,
  diag,
  type Observable,
  type ObservableCallback,
  type ObservableResult,
} from '@opentelemetry/api';

type AnyCallback = (result: never) => void | Promise<void>;

/**
 * Counts and logs failing observable callbacks, per instrument.
 *
 * The SDK already keeps one failing callback from failing a collection: it drops that callback's observations
 * and returns the error in `CollectionResult.errors`, without saying which instrument it belonged to. To count
 * failures per instrument and log each failing callback once (not on every scrape), every callback registered
 * through our meters is wrapped: the wrapper notes the failure and rethrows, so the SDK's behaviour (the
 * callback's observations are dropped for that collection, the rest is served) stays exactly as it was.
 */
export class CallbackGuard {
  /** Failures per instrument name since start; read by the self-metrics. */
  readonly failures = new Map<string, number>();
  private readonly names = new WeakMap<Observable, string>();
  private readonly logged = new WeakSet<AnyCallback>();
  private readonly reported = new WeakSet<object>();
  private readonly batchWrappers = new WeakMap<AnyCallback, AnyCallback>();
  private readonly unattributedLogged = new Set<string>();

  /** Wraps `addCallback`/`removeCallback` of one observable instrument (an SDK object we just created). */
  observable<T extends Observable>(instrument: T, name: string): T {
    this.names.set(instrument, name);
    const wrappers = new WeakMap<AnyCallback, ObservableCallback>();
    const add = instrument.addCallback.bind(instrument);
    const remove = instrument.removeCallback.bind(instrument);
    // Own properties shadow the prototype methods of this one object; the SDK still sees its own instrument
    // (its batch API checks `instanceof`), so no proxy object is involved.
    instrument.addCallback = (callback: ObservableCallback) => {
      let wrapper = wrappers.get(callback);
      if (wrapper === undefined) {
        wrapper = this.wrap(callback, [name]) as ObservableCallback;
        wrappers.set(callback, wrapper);
      }
      add(wrapper);
    };
    instrument.removeCallback = (callback: ObservableCallback) => {
      remove(wrappers.get(callback) ?? callback);
    };
    return instrument;
  }

  /** The wrapper to register for a batch callback over these observables. */
  batch(callback: BatchObservableCallback, observables: Observable[]): BatchObservableCallback {
    let wrapper = this.batchWrappers.get(callback);
    if (wrapper === undefined) {
      const names = observables.map((o) => this.names.get(o) ?? '');
      wrapper = this.wrap(callback, names);
      this.batchWrappers.set(callback, wrapper);
    }
    return wrapper as BatchObservableCallback;
  }

  /** The wrapper registered for `callback`, to remove it again. */
  batchWrapper(callback: BatchObservableCallback): BatchObservableCallback {
    return (this.batchWrappers.get(callback) as BatchObservableCallback | undefined) ?? callback;
  }

  /**
   * Counts a collection error that no wrapped callback reported (for example the SDK's own timeout of a
   * callback that never settles), under an empty instrument name, and logs each distinct message once.
   */
  collectionErrors(errors: readonly unknown[]): void {
    for (const err of errors) {
      if (typeof err === 'object' && err !== null && this.reported.has(err)) continue;
      this.count(['']);
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (this.unattributedLogged.has(message) || this.unattributedLogged.size >= 100) continue;
      this.unattributedLogged.add(message);
      diag.warn(`otel-metrics-bootstrap: a metric callback failed during collection: ${message}`);
    }
  }

  private wrap(callback: AnyCallback, names: readonly string[]): AnyCallback {
    const fail = (err: unknown) => {
      if (typeof err === 'object' && err !== null) this.reported.add(err);
      this.count(names);
      if (this.logged.has(callback)) return;
      this.logged.add(callback);
      diag.warn(
        `otel-metrics-bootstrap: observable callback for ${names.map((n) => `"${n}"`).join(', ')} failed; ` +
          'its observations are left out of this collection and the rest is served. Logged once per callback; ' +
          `every failure is counted in omb_callback_failures_total. Error: ${
            err instanceof Error ? (err.stack ?? err.message) : String(err)
          }`,
      );
    };
    return function guarded(
      this: unknown,
      result: ObservableResult & BatchObservableResult,
    ): void | Promise<void> {
      let returned: void | Promise<void>;
      try {
        returned = (callback as (r: typeof result) => void | Promise<void>).call(this, result);
      } catch (err) {
        fail(err);
        throw err;
      }
      if (returned && typeof (returned as Promise<void>).then === 'function') {
        return (returned as Promise<void>).then(undefined, (err: unknown) => {
          fail(err);
          throw err;
        });
      }
      return returned;
    };
  }

  private count(names: readonly string[]): void {
    for (const name of names) this.failures.set(name, (this.failures.get(name) ?? 0) + 1);
  }
}
