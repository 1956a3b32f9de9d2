import cluster, { type Worker } from 'node:cluster';
import { type Counter, diag, type Meter } from '@opentelemetry/api';
import type { CollectionResult } from '@opentelemetry/sdk-metrics';
import { isRecord } from '../option-reader.js';
import type { MetricsSource } from '../prometheus/scrape.js';
import {
  ATTR_OMB_CLUSTER_WORKER,
  ATTR_OMB_WORKER,
  METRIC_OMB_CLUSTER_WORKER_TIMEOUTS,
  METRIC_OMB_CLUSTER_WORKERS,
} from '../semconv.js';
import { ClusterDecoder, ClusterEncoder, type DecodedMetric, type Payload } from './codec.js';
import { ClusterMerger } from './merge.js';
import type { ResolvedClusterOptions } from './options.js';
import { COLLECT_MESSAGE, HAVE_MESSAGE, METRICS_MESSAGE, READY_MESSAGE } from './worker.js';

/** The `worker` label of the primary's own series. */
export const PRIMARY_WORKER = 'primary';

/**
 * The primary's side of cluster mode: a `MetricsSource` for the endpoint that collects the primary's own data
 * and, at the same time, asks every connected worker for its data over the cluster IPC channel, each within
 * `cluster.timeout`. A worker that does not answer in time is left out of that scrape and counted; the scrape is
 * served on time with everyone else. Everything the endpoint does (negotiation, compression, auth, limits,
 * coalescing) works on the merged result as on a single process's.
 *
 * Each worker gets a slot, the lowest one free when it forks, and a replacement takes the slot of the worker it
 * replaces: the `worker` label stays the same, so in Prometheus the replacement continues the dead worker's
 * series (a counter reset, which `rate()` handles) instead of starting new ones.
 */
export class ClusterPrimary implements MetricsSource {
  private readonly slots = new Map<Worker, string>();
  /** Workers that announced they answer (see `READY_MESSAGE`). */
  private readonly ready = new WeakSet<Worker>();
  private readonly waiting = new Map<number, (data: Payload | null | undefined) => void>();
  /** Each worker's dictionary (codec.ts); the primary's own data goes through the same codec, in process. */
  private readonly decoders = new Map<Worker, ClusterDecoder>();
  private readonly ownEncoder = new ClusterEncoder();
  private readonly ownDecoder = new ClusterDecoder({ [ATTR_OMB_WORKER]: PRIMARY_WORKER });
  /**
   * Aggregated output: each worker's latest answer, retired into the merger when it exits. Its dictionary part
   * is left out: the worker's decoder holds it then (a dictionary only grows until an answer starts a new one).
   */
  private readonly latest = new Map<string, Payload>();
  private readonly merger: ClusterMerger;
  private readonly timeouts: Counter;
  private nextRequest = 1;
  private warned = false;
  private warnedDecode = false;

  constructor(
    private readonly own: MetricsSource,
    private readonly options: ResolvedClusterOptions,
    meter: Meter,
  ) {
    this.merger = new ClusterMerger(options.output === 'aggregated', options.gauges);
    this.timeouts = meter.createCounter(METRIC_OMB_CLUSTER_WORKER_TIMEOUTS, {
      description:
        'Worker answers not received within cluster.timeout; the worker was left out of that scrape',
    });
    meter
      .createObservableGauge(METRIC_OMB_CLUSTER_WORKERS, {
        description: 'Workers connected to the cluster primary',
      })
      .addCallback((result) => result.observe(this.connected().length));
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (!worker) continue;
      this.onFork(worker);
      // Forked before this primary started listening: their announcement may be gone, so ask for it again.
      if (worker.isConnected()) worker.send({ [READY_MESSAGE]: false }, undefined, () => undefined);
    }
    cluster.on('fork', this.onFork);
    cluster.on('exit', this.onExit);
    cluster.on('message', this.onMessage);
  }

  /** Stops listening to the cluster; pending requests end as skipped. */
  stop(): void {
    cluster.off('fork', this.onFork);
    cluster.off('exit', this.onExit);
    cluster.off('message', this.onMessage);
    for (const done of this.waiting.values()) done(undefined);
  }

  async collect(options?: { timeoutMillis?: number }): Promise<CollectionResult> {
    const workers = this.connected();
    const run = this.merger.start();
    // The workers are asked first, so they collect while the primary collects its own, and each answer is
    // decoded and merged as it arrives, while the primary would otherwise wait for the slower ones: once the
    // last one has answered, only its own share is left to do before serializing.
    const answers = workers.map((worker) =>
      this.ask(worker).then((data) => {
        const slot = this.slots.get(worker);
        const metrics = data ? this.decode(worker, data) : undefined;
        if (metrics === undefined || slot === undefined || data == null) return;
        // Kept as the payload, not as what it decodes to: decoded only if the worker exits (`onExit`), so the
        // decoded points die young instead of living on the heap until the next scrape.
        if (this.options.output === 'aggregated') this.latest.set(slot, { ...data, b: 0, d: [] });
        run.add({ worker: slot, metrics }, Number(slot));
      }),
    );
    const own = await this.own.collect(options);
    run.add(
      {
        worker: PRIMARY_WORKER,
        metrics:
          this.ownDecoder.decode(this.ownEncoder.encode(own.resourceMetrics, this.ownDecoder.have())) ?? [],
      },
      0,
    );
    await Promise.all(answers);
    return {
      resourceMetrics: { resource: own.resourceMetrics.resource, scopeMetrics: run.finish() },
      errors: own.errors,
    };
  }

  /** A worker's answer; `undefined`, logged once, when it cannot be read (it is left out of this scrape). */
  private decode(worker: Worker, data: Payload): DecodedMetric[] | undefined {
    try {
      const metrics = this.decoders.get(worker)?.decode(data);
      if (metrics !== undefined) return metrics;
    } catch {
      // Reported below, like an answer that does not fit.
    }
    if (!this.warnedDecode) {
      this.warnedDecode = true;
      diag.warn(
        `otel-metrics-bootstrap: the metrics of cluster worker ${this.slots.get(worker)} could not be read; ` +
          'it is left out of this scrape (logged once). Do the primary and the workers run the same version?',
      );
    }
    return undefined;
  }

  private connected(): Worker[] {
    return [...this.slots.keys()].filter((w) => this.ready.has(w) && w.isConnected());
  }

  /**
   * The worker's payload (`null` when its collection failed), or `undefined` when it did not answer within
   * `cluster.timeout` (counted) or exited.
   */
  private ask(worker: Worker): Promise<Payload | null | undefined> {
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const slot = this.slots.get(worker) ?? 'unknown';
        this.timeouts.add(1, { [ATTR_OMB_CLUSTER_WORKER]: slot });
        if (!this.warned) {
          this.warned = true;
          diag.warn(
            `otel-metrics-bootstrap: cluster worker ${slot} did not send its metrics within ${this.options.timeout} ms ` +
              '(cluster.timeout); it is left out of this scrape (counted in omb_cluster_worker_timeouts_total; ' +
              'logged once). Is initMeter({ cluster: true }) called in the workers, and is their event loop free?',
          );
        }
        done(undefined);
      }, this.options.timeout);
      const done = (data: Payload | null | undefined) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(data);
      };
      this.waiting.set(id, done);
      try {
        // The callback receives send failures (a channel closing right now), so they never become 'error' events.
        const have = this.decoders.get(worker)?.have();
        worker.send({ [COLLECT_MESSAGE]: id, [HAVE_MESSAGE]: have }, undefined, (err) => {
          if (err) done(undefined);
        });
      } catch {
        done(undefined);
      }
    });
  }

  private readonly onFork = (worker: Worker): void => {
    const taken = new Set(this.slots.values());
    let n = 1;
    while (taken.has(String(n))) n++;
    this.slots.set(worker, String(n));
    this.decoders.set(worker, new ClusterDecoder({ [ATTR_OMB_WORKER]: String(n) }));
  };

  private readonly onExit = (worker: Worker): void => {
    const slot = this.slots.get(worker);
    const last = slot === undefined ? undefined : this.latest.get(slot);
    const metrics = last === undefined ? undefined : this.decode(worker, last);
    this.slots.delete(worker);
    this.decoders.delete(worker);
    if (slot === undefined) return;
    this.latest.delete(slot);
    if (metrics) this.merger.retire({ worker: slot, metrics });
  };

  private readonly onMessage = (worker: Worker, message: unknown): void => {
    if (!isRecord(message)) return;
    if (message[READY_MESSAGE] === true) this.ready.add(worker);
    const id = message[METRICS_MESSAGE];
    const data = message['data'];
    if (typeof id === 'number' && (data === null || isRecord(data)))
      this.waiting.get(id)?.(data as Payload | null);
  };
}
