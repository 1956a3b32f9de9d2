import { isRecord, type Reader, type Section, show } from '../option-reader.js';

/**
 * Cluster mode options (`node:cluster`, PM2 cluster mode through `node:cluster`). The same `initMeter()` call
 * runs in the primary and in every worker: workers bind no port and answer the primary's requests over the
 * cluster IPC channel; the primary serves the endpoint with its own data and every worker's. To add an option: a
 * field here (JSDoc: what, default, unit, env variable), its default in `CLUSTER_DEFAULTS`, its variable in
 * `CLUSTER_ENV`, one read in `resolveCluster()`, and a README row.
 */
export interface ClusterOptions {
  /**
   * How long the primary waits for each worker's data during a scrape, in milliseconds. A worker that has not
   * answered by then is left out of that scrape and counted in `omb_cluster_worker_timeouts_total`. Keep it
   * well below `prometheus.scrapeTimeout`. Default `1000`. Env `OMB_CLUSTER_TIMEOUT`.
   */
  timeout?: number;
  /**
   * `per-worker` (default): every worker's series are served as they are, with a `worker` label (the worker's
   * slot, `1`…`n`, reused by the worker that replaces it; `primary` for the primary's own series), so
   * Prometheus can `sum()` and `rate()` across restarts. `aggregated`: counters and histograms are added across
   * workers (a dead worker's last values are kept, so sums never go backwards) and gauges follow `gauges`.
   * Env `OMB_CLUSTER_OUTPUT`.
   */
  output?: ClusterOutput;
  /**
   * With `output: 'aggregated'`, how gauges of several workers become one: `sum`, `max`, `min`, or `worker`
   * (default: keep one series per worker, with the `worker` label — right for anything that is not additive,
   * such as event-loop percentiles). Summaries and non-additive data are always kept per worker.
   * Env `OMB_CLUSTER_GAUGES`.
   */
  gauges?: GaugePolicy;
}

/** See {@link ClusterOptions.output}. */
export type ClusterOutput = 'per-worker' | 'aggregated';
/** See {@link ClusterOptions.gauges}. */
export type GaugePolicy = 'sum' | 'max' | 'min' | 'worker';

const OUTPUTS: readonly ClusterOutput[] = ['per-worker', 'aggregated'];
const GAUGE_POLICIES: readonly GaugePolicy[] = ['sum', 'max', 'min', 'worker'];

/** The resolved cluster options; `undefined` in the config when cluster mode is off. */
export type ResolvedClusterOptions = Readonly<Required<ClusterOptions>>;

export const CLUSTER_DEFAULTS = Object.freeze({
  timeout: 1000,
  output: 'per-worker' as ClusterOutput,
  gauges: 'worker' as GaugePolicy,
});

/** The cluster options' environment variables, with the option each feeds. */
export const CLUSTER_ENV = Object.freeze({
  OMB_CLUSTER: 'cluster',
  OMB_CLUSTER_TIMEOUT: 'cluster.timeout',
  OMB_CLUSTER_OUTPUT: 'cluster.output',
  OMB_CLUSTER_GAUGES: 'cluster.gauges',
} as const);

/** The codes the cluster options can report (see the README's error table). */
export const CLUSTER_ERROR_CODES = ['ERR_INVALID_CLUSTER_OUTPUT', 'ERR_INVALID_GAUGE_POLICY'] as const;

/**
 * Cluster options; `undefined` when cluster mode is off. `cluster: true` or an options object turns it on, as
 * does `OMB_CLUSTER=true` when the option is not given. The section is read even when off, so a bad variable is
 * reported before someone turns it on.
 */
export function resolveCluster(r: Reader, value: unknown): ResolvedClusterOptions | undefined {
  const on =
    value === undefined || typeof value === 'boolean'
      ? r.bool('cluster', value, 'OMB_CLUSTER', false)
      : isRecord(value);
  const s = r.section(
    'cluster',
    typeof value === 'boolean' ? undefined : value,
    'must be true, false or an options object',
    CLUSTER_ENV,
    CLUSTER_DEFAULTS,
  );
  const timeout = s.integer('timeout', 1);
  const output = oneOf(s, 'output', OUTPUTS, 'ERR_INVALID_CLUSTER_OUTPUT');
  const gauges = oneOf(s, 'gauges', GAUGE_POLICIES, 'ERR_INVALID_GAUGE_POLICY');
  s.close();
  if (!on) return undefined;
  return {
    timeout,
    output: output ?? CLUSTER_DEFAULTS.output,
    gauges: gauges ?? CLUSTER_DEFAULTS.gauges,
  };
}

/** The option's value, else its variable's, when it is one of `allowed`; anything else is reported. */
function oneOf<T extends string>(
  s: Section<typeof CLUSTER_DEFAULTS>,
  key: keyof typeof CLUSTER_DEFAULTS,
  allowed: readonly T[],
  code: (typeof CLUSTER_ERROR_CODES)[number],
): T | undefined {
  const explicit = s.get(key);
  const value = explicit ?? s.env(key);
  if (value === undefined) return undefined;
  if (allowed.includes(value as T)) return value as T;
  const source = explicit !== undefined ? s.source(key) : (s.envName(key) ?? s.source(key));
  s.r.report(code, source, `${show(value)} is not accepted; use one of ${allowed.join(', ')}`);
  return undefined;
}
