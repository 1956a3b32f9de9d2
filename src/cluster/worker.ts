import { diag } from '@opentelemetry/api';
import { isRecord } from '../option-reader.js';
import type { MetricsSource } from '../prometheus/scrape.js';
import { ClusterEncoder } from './codec.js';

/**
 * Message key of the primary's request (`{ ombCollect: id, ombHave: [generation, entries] }`: how much of the
 * worker's dictionary the primary holds, see codec.ts).
 */
export const COLLECT_MESSAGE = 'ombCollect';
/** The request's dictionary state. */
export const HAVE_MESSAGE = 'ombHave';
/** Message key of a worker's answer (`{ ombMetrics: id, data }`, `data` a codec `Payload` or `null`). */
export const METRICS_MESSAGE = 'ombMetrics';
/**
 * A worker's announcement that it answers (`{ ombReady: true }`), sent when it starts and again when a primary
 * that started after it says hello (`{ ombReady: false }` from the primary): only announced workers are asked,
 * so a worker still starting, or one that never calls `initMeter()`, is not waited for on every scrape.
 */
export const READY_MESSAGE = 'ombReady';

/**
 * The worker's side of cluster mode: binds no port; announces itself, then answers each request of the primary with this process's
 * data (collected by `reader`, encoded by the codec). Returns the function that stops answering. A failed
 * collection is logged once and answered with no data, so the primary does not wait out its deadline.
 */
export function answerPrimary(reader: MetricsSource, timeout: number): () => void {
  let warned = false;
  const encoder = new ClusterEncoder();
  const announce = () => process.send?.({ [READY_MESSAGE]: true }, undefined, undefined, () => undefined);
  const onMessage = (message: unknown): void => {
    if (!isRecord(message)) return;
    if (message[READY_MESSAGE] === false) return void announce();
    const id = message[COLLECT_MESSAGE];
    if (typeof id !== 'number') return;
    reader
      .collect({ timeoutMillis: timeout })
      .then((result) => encoder.encode(result.resourceMetrics, message[HAVE_MESSAGE]))
      .catch((err: unknown) => {
        if (!warned)
          diag.error('otel-metrics-bootstrap: metrics collection for the cluster primary failed', err);
        warned = true;
        return null;
      })
      .then((data) => {
        // The callback takes send failures (the primary went away): there is nobody left to answer.
        process.send?.({ [METRICS_MESSAGE]: id, data }, undefined, undefined, () => undefined);
      });
  };
  process.on('message', onMessage);
  announce();
  return () => process.off('message', onMessage);
}

/**
 * This process's PM2 instance number when PM2 runs it in cluster mode, else `undefined`. There the cluster primary
 * is PM2's daemon, not the application: no process of ours can gather the workers, so each instance serves its own
 * endpoint on `port + NODE_APP_INSTANCE` instead (README "Cluster and PM2").
 */
export function pm2Instance(isWorker: boolean, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (!isWorker || env['pm_id'] === undefined) return undefined;
  const instance = Number(env['NODE_APP_INSTANCE'] ?? env['pm_id']);
  return Number.isInteger(instance) && instance >= 0 ? instance : 0;
}
