import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { BoundCounter, Counter } from '../instruments/counter.js';
import type { BoundGauge, Gauge } from '../instruments/gauge.js';
import type { BoundHistogram } from '../instruments/histogram.js';
import type { Instruments } from '../instruments/instruments.js';
import type { Timer } from '../instruments/timer.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_JOB_OUTCOME,
  ATTR_JOB_TYPE,
  JOB_OUTCOME_CANCELLED,
  JOB_OUTCOME_FAILURE,
  JOB_OUTCOME_SUCCESS,
  METRIC_JOBS_ACTIVE,
  METRIC_JOBS_COMPLETED,
  METRIC_JOBS_DURATION,
  METRIC_JOBS_FAILURES,
  METRIC_JOBS_QUEUE_WAIT,
  METRIC_JOBS_RETRIES,
} from '../semconv.js';
import type { BoundedValues } from './bounded-values.js';
import type { JobMetricsOptions } from './options.js';
import { elapsed, errorType, getOrAdd, type MeasureTarget, measure, setupHelper } from './setup.js';

/**
 * Buckets of `jobs.duration` and `jobs.queue.wait`, in seconds: background work spans milliseconds to hours, far
 * past the request-sized seconds buckets. A `histograms` entry of `initMeter()` for the name wins.
 */
export const JOB_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600,
]);

/** What `track()` and `start()` may be told about a job run. */
export interface JobRunOptions {
  /**
   * When the job was put on its queue: a `Date` or epoch milliseconds (`Date.now()`). The wait until the run
   * starts is recorded in `jobs.queue.wait`; a time in the future (clock skew between hosts) counts as 0.
   * Default none (no wait recorded).
   */
  enqueuedAt?: number | Date;
  /** Which attempt this run is, from 1; a run with `attempt` ≥ 2 is counted in `jobs.retries`. Default 1. */
  attempt?: number;
}

/** A job run started by `start()`: end it once; later calls are ignored (never thrown). */
export interface JobRun {
  /** Ends the run with outcome `success`. */
  succeed(): void;
  /** Ends the run with outcome `failure`, counting `jobs.failures` by the error's `error.type`. */
  fail(error?: unknown): void;
  /** Ends the run with outcome `cancelled`. */
  cancel(): void;
}

type Outcome = typeof JOB_OUTCOME_SUCCESS | typeof JOB_OUTCOME_FAILURE | typeof JOB_OUTCOME_CANCELLED;

/** The bound series of one job type and outcome. */
class OutcomeSeries {
  readonly completed: BoundCounter;
  readonly duration: BoundHistogram;

  constructor(m: JobMetricsInstruments, type: string, outcome: Outcome) {
    const attributes = { [ATTR_JOB_TYPE]: type, [ATTR_JOB_OUTCOME]: outcome };
    this.completed = m.completed.bind(attributes);
    this.duration = m.duration.bind(attributes);
  }
}

/**
 * One job type's metrics with every series bound (`jobs.bind(jobType)`): `track()` and `start()` as on
 * `JobMetrics`, without looking the job type up per run.
 */
export class BoundJobType implements MeasureTarget {
  readonly active: BoundGauge;
  readonly success: OutcomeSeries;
  readonly failure: OutcomeSeries;
  readonly cancelled: OutcomeSeries;
  readonly wait: BoundHistogram;
  readonly retries: BoundCounter;

  constructor(
    readonly type: string,
    m: JobMetricsInstruments,
    private readonly jobs: JobMetrics,
    private readonly clock: Clock,
  ) {
    const attributes = { [ATTR_JOB_TYPE]: type };
    this.active = m.active.bind(attributes);
    this.success = new OutcomeSeries(m, type, JOB_OUTCOME_SUCCESS);
    this.failure = new OutcomeSeries(m, type, JOB_OUTCOME_FAILURE);
    this.cancelled = new OutcomeSeries(m, type, JOB_OUTCOME_CANCELLED);
    this.wait = m.wait.bind(attributes);
    this.retries = m.retries.bind(attributes);
  }

  /** `JobMetrics.track()` for this job type. */
  track<T>(fn: () => T, options?: JobRunOptions): T {
    this.begin(options);
    return measure(this.clock, fn, this);
  }

  /** `JobMetrics.start()` for this job type. */
  start(options?: JobRunOptions): JobRun {
    this.begin(options);
    return new Run(this.clock, this, this.clock.now());
  }

  private begin(options: JobRunOptions | undefined): void {
    this.active.inc();
    if (options !== undefined) {
      const { enqueuedAt, attempt } = options;
      if (enqueuedAt !== undefined) {
        const at = typeof enqueuedAt === 'number' ? enqueuedAt : enqueuedAt?.getTime?.();
        // A bad enqueue time is dropped by the histogram (NaN) and counted there, never thrown.
        this.wait.observe(typeof at === 'number' ? Math.max(0, (Date.now() - at) / 1000) : Number.NaN);
      }
      if (typeof attempt === 'number' && attempt >= 2) this.retries.inc();
    }
  }

  /** @internal Ends a `track()` run: an `AbortError` (an aborted `AbortSignal`) is a cancellation, any other a failure. */
  done(seconds: number, failed: boolean, error: unknown): void {
    if (!failed) this.end(this.success, seconds, undefined);
    else this.end(isAbort(error) ? this.cancelled : this.failure, seconds, error);
  }

  /** @internal */
  end(outcome: OutcomeSeries, seconds: number, error: unknown): void {
    this.active.dec();
    outcome.completed.inc();
    outcome.duration.observe(seconds);
    if (outcome === this.failure) this.jobs.countFailure(this.type, error);
  }
}

interface JobMetricsInstruments {
  readonly active: Gauge;
  readonly completed: Counter;
  readonly duration: Timer;
  readonly wait: Timer;
  readonly retries: Counter;
}

class Run implements JobRun {
  private ended = false;

  constructor(
    private readonly clock: Clock,
    private readonly series: BoundJobType,
    private readonly started: number,
  ) {}

  succeed(): void {
    this.end(this.series.success, undefined);
  }

  fail(error?: unknown): void {
    this.end(this.series.failure, error);
  }

  cancel(): void {
    this.end(this.series.cancelled, undefined);
  }

  private end(outcome: OutcomeSeries, error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.series.end(outcome, elapsed(this.clock, this.started), error);
  }
}

/**
 * Background job metrics (created by `createJobMetrics()`), all under the `jobs.` prefix with `job.type`:
 * `jobs.active` (gauge, `{job}`), `jobs.completed` (counter, `{job}`, by `job.outcome` = `success` /
 * `failure` / `cancelled`), `jobs.duration` (s, by `job.outcome`), `jobs.failures` (counter, `{job}`, by
 * `error.type`), `jobs.queue.wait` (s) and `jobs.retries` (counter, `{retry}`). Recording never throws.
 */
export class JobMetrics {
  private readonly m: JobMetricsInstruments;
  private readonly failures: Counter;
  private readonly types: BoundedValues;
  private readonly errorTypes: BoundedValues;
  private readonly clock: Clock;
  private readonly series = new Map<string, BoundJobType>();

  /** @internal use `createJobMetrics()`. */
  constructor(options: JobMetricsOptions | undefined) {
    const base = setupHelper('createJobMetrics', options);
    this.clock = base.options.clock ?? systemClock;
    this.m = this.instrumentsOf(base.instruments);
    this.failures = base.instruments.counter(METRIC_JOBS_FAILURES, {
      unit: '{job}',
      description: 'Failed job runs, by job type and error type.',
      labels: [ATTR_JOB_TYPE, ATTR_ERROR_TYPE],
    });
    this.types = base.bounded(ATTR_JOB_TYPE, METRIC_JOBS_COMPLETED, 'jobTypes');
    this.errorTypes = base.bounded(ATTR_ERROR_TYPE, METRIC_JOBS_FAILURES);
  }

  /**
   * Runs `fn` as one run of `jobType` and records it: success when it returns (or its promise fulfils), failure
   * when it throws or rejects (the original error is rethrown unchanged), cancelled when the error is an
   * `AbortError` (as `AbortSignal` aborts throw). Returns what `fn` returns.
   */
  track<T>(jobType: string, fn: () => T, options?: JobRunOptions): T {
    return this.bind(jobType).track(fn, options);
  }

  /** Starts a run of `jobType` to end by hand (`succeed()`, `fail(err)`, `cancel()`); only the first end counts. */
  start(jobType: string, options?: JobRunOptions): JobRun {
    return this.bind(jobType).start(options);
  }

  /**
   * The job type's metrics with their series bound, for a hot loop: `const emails = jobs.bind('email.send');
   * emails.track(fn)`. A type outside `jobTypes` (or past `maxValues`) gives the `_OTHER` one.
   */
  bind(jobType: string): BoundJobType {
    return this.series.get(jobType) ?? this.seriesOf(jobType);
  }

  /** @internal */
  countFailure(type: string, error: unknown): void {
    this.failures.inc({ [ATTR_JOB_TYPE]: type, [ATTR_ERROR_TYPE]: this.errorTypes.of(errorType(error)) });
  }

  private instrumentsOf(instruments: Instruments): JobMetricsInstruments {
    const labels = [ATTR_JOB_TYPE];
    const byOutcome = [ATTR_JOB_TYPE, ATTR_JOB_OUTCOME];
    return {
      active: instruments.gauge(METRIC_JOBS_ACTIVE, {
        unit: '{job}',
        description: 'Job runs in progress, by job type.',
        labels,
      }),
      completed: instruments.counter(METRIC_JOBS_COMPLETED, {
        unit: '{job}',
        description: 'Finished job runs, by job type and outcome (success, failure, cancelled).',
        labels: byOutcome,
      }),
      duration: instruments.timer(METRIC_JOBS_DURATION, {
        description: 'Duration of job runs, by job type and outcome.',
        labels: byOutcome,
        buckets: JOB_DURATION_BUCKETS,
      }),
      wait: instruments.timer(METRIC_JOBS_QUEUE_WAIT, {
        description: 'Time job runs waited on their queue before starting, by job type.',
        labels,
        buckets: JOB_DURATION_BUCKETS,
      }),
      retries: instruments.counter(METRIC_JOBS_RETRIES, {
        unit: '{retry}',
        description: 'Job runs that were retries (attempt ≥ 2), by job type.',
        labels,
      }),
    };
  }

  private seriesOf(jobType: string): BoundJobType {
    const type = this.types.of(jobType);
    // Only accepted values are cached under their own name, so unbounded input cannot grow the map.
    return getOrAdd(this.series, type, () => new BoundJobType(type, this.m, this, this.clock));
  }
}

/** Whether `err` is an `AbortError`, what an aborted `AbortSignal` throws. */
function isAbort(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'AbortError';
}

/**
 * Creates background-job metrics on the provider of `options.meter` (default: the running `initMeter()`'s):
 * `track(jobType, fn, { enqueuedAt, attempt })` for sync and async jobs, `start(jobType)` for runs ended by hand.
 * Job types are bounded by `jobTypes` (allow-list) or `maxValues` (`OMB_BUSINESS_MAX_VALUES`, default 100);
 * others are recorded as `_OTHER`. Throws `MetricsError` for bad options or when there is no meter.
 *
 * ```ts
 * const jobs = createJobMetrics();
 * await jobs.track('email.send', () => sendEmail(msg), { enqueuedAt: msg.enqueuedAt });
 * ```
 */
export function createJobMetrics(options?: JobMetricsOptions): JobMetrics {
  return new JobMetrics(options);
}
