import {
  type BatchObservableCallback,
  type BatchObservableResult,
  diag,
  type Observable,
  type ObservableCallback,
  type ObservableResult,
} from '@opentelemetry/api';

type AnyCallback = (result: never) => void | Promise<void>;

/** Why a callback's observations were left out: it threw or rejected, or it did not settle in time. */
export type CallbackFailureReason = 'error' | 'timeout';

/**
 * What a guarded callback throws to the SDK when it fails: always an object naming the instruments (so the
 * collection's error list says which ones), with the callback's own error as `cause`.
 */
export class CallbackFailure extends Error {
  constructor(
    readonly instruments: readonly string[],
    readonly reason: CallbackFailureReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CallbackFailure';
  }
}

/** Failures of one instrument's callbacks since start, by reason. */
export type FailureCounts = Record<CallbackFailureReason, number>;

const TIMED_OUT = Symbol('timed out');

/**
 * Bounds, counts and logs observable callbacks, per instrument.
 *
 * The SDK already keeps one failing callback from failing a collection: it drops that callback's observations
 * and returns the error in `CollectionResult.errors`, without saying which instrument it belonged to. Every
 * callback registered through our meters is wrapped so that:
 * - an async callback that has not settled after `deadline` ms is given up on: the wrapper rejects, so the SDK
 *   drops only that callback's observations and the collection ends in time (the SDK's own callback timeout
 *   is the collect timeout, longer than any scrape may wait);
 * - a failure is counted per instrument and reason (`error`, `timeout`) and rethrown as a `CallbackFailure`,
 *   an object even when the callback threw a string or `undefined`, so the collection's error list is never
 *   counted a second time as an unattributed error;
 * - a failing callback is logged once per streak: on its first failure, and again only after it has
 *   succeeded in between.
 */
export class CallbackGuard {
  /** Failures per instrument name since start; read by the self-metrics. */
  readonly failures = new Map<string, FailureCounts>();
  private readonly names = new WeakMap<Observable, string>();
  /** Callbacks whose latest call failed (a streak in progress, already logged). */
  private readonly failing = new WeakSet<AnyCallback>();
  private readonly batchWrappers = new WeakMap<AnyCallback, AnyCallback>();
  private readonly unattributedLogged = new Set<string>();

  /** `deadline`: how long an async callback may take, in ms (`prometheus.callbackTimeout`). */
  constructor(private readonly deadline: number) {}

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
   * Counts a collection error that no wrapped callback reported (a callback registered around our meters,
   * timed out by the SDK's own backstop), under an empty instrument name, and logs each distinct message once.
   */
  collectionErrors(errors: readonly unknown[]): void {
    for (const err of errors) {
      if (err instanceof CallbackFailure) continue;
      // The SDK's TimeoutError keeps the name `Error`; its class name tells.
      this.count([''], err instanceof Error && err.constructor.name === 'TimeoutError' ? 'timeout' : 'error');
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (this.unattributedLogged.has(message) || this.unattributedLogged.size >= 100) continue;
      this.unattributedLogged.add(message);
      diag.warn(`otel-metrics-bootstrap: a metric callback failed during collection: ${message}`);
    }
  }

  private wrap(callback: AnyCallback, names: readonly string[]): AnyCallback {
    const shown = names.map((n) => `"${n}"`).join(', ');
    const fail = (reason: CallbackFailureReason, err: unknown): CallbackFailure => {
      this.count(names, reason);
      const what =
        reason === 'timeout'
          ? `did not settle within ${this.deadline} ms (prometheus.callbackTimeout)`
          : `failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
      if (!this.failing.has(callback)) {
        this.failing.add(callback);
        diag.warn(
          `otel-metrics-bootstrap: observable callback for ${shown} ${what}. Its observations are left out ` +
            'of each collection while it fails and the rest is served; every failure is counted in ' +
            'omb_callback_failures_total. Logged again only after it has succeeded in between.',
        );
      }
      return new CallbackFailure(names, reason, `observable callback for ${shown} ${what}`, {
        cause: reason === 'timeout' ? undefined : err,
      });
    };
    const succeed = () => {
      if (this.failing.delete(callback)) {
        diag.info(`otel-metrics-bootstrap: observable callback for ${shown} succeeded again`);
      }
    };
    const deadline = this.deadline;
    return function guarded(
      this: unknown,
      result: ObservableResult & BatchObservableResult,
    ): void | Promise<void> {
      let returned: void | Promise<void>;
      try {
        returned = (callback as (r: typeof result) => void | Promise<void>).call(this, result);
      } catch (err) {
        throw fail('error', err);
      }
      if (!returned || typeof (returned as Promise<void>).then !== 'function') {
        succeed();
        return returned;
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(resolve, deadline, TIMED_OUT);
        // A collection in progress must not keep the process alive.
        timer.unref();
      });
      return Promise.race([returned, late]).then(
        (value) => {
          clearTimeout(timer);
          if (value === TIMED_OUT) throw fail('timeout', undefined);
          succeed();
        },
        (err: unknown) => {
          clearTimeout(timer);
          throw fail('error', err);
        },
      );
    };
  }

  private count(names: readonly string[], reason: CallbackFailureReason): void {
    for (const name of names) {
      let counts = this.failures.get(name);
      if (counts === undefined) {
        counts = { error: 0, timeout: 0 };
        this.failures.set(name, counts);
      }
      counts[reason]++;
    }
  }
}
