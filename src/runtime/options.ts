import { commaList, type EnvTable, isRecord, type Reader, show } from '../option-reader.js';

/**
 * Runtime metrics options (`nodejs.eventloop.*`, `v8js.*`, from `@opentelemetry/instrumentation-runtime-node`).
 * To add an option: a field here (JSDoc: what, default, unit, env variable), its default in `RUNTIME_DEFAULTS`,
 * its variable in `RUNTIME_ENV`, one read in `resolveRuntime()`, and a README row.
 */
export interface RuntimeOptions {
  /**
   * Sampling interval of the event-loop delay monitor, in milliseconds: the loop is probed this often, so
   * smaller values catch shorter stalls and cost more wake-ups. Default `10`. Env `OMB_RUNTIME_MONITORING_PRECISION`.
   */
  monitoringPrecision?: number;
}

/**
 * Groups of process and host metrics. `process.cpu` → `process.cpu.time`/`.utilization`; `process.memory` →
 * `process.memory.usage` (+ `process.memory.virtual` on Linux); `process.uptime` → `process.uptime`;
 * `process.fd` → `process.unix.file_descriptor.count`/`.limit` (Linux); `system.cpu`, `system.memory`,
 * `system.network` → the `system.*` metrics (per core, per network device). `process` and `system` stand for
 * all groups with that prefix.
 */
export type HostMetricGroup =
  | 'process.cpu'
  | 'process.memory'
  | 'process.uptime'
  | 'process.fd'
  | 'system.cpu'
  | 'system.memory'
  | 'system.network';
/** Every {@link HostMetricGroup}, in the order resolved configs list them. */
export const HOST_METRIC_GROUPS: readonly HostMetricGroup[] = [
  'process.cpu',
  'process.memory',
  'process.uptime',
  'process.fd',
  'system.cpu',
  'system.memory',
  'system.network',
];

/** Process and host metrics options (`@opentelemetry/instrumentation-host-metrics` plus our own process metrics). */
export interface HostOptions {
  /**
   * Which groups to collect. Default `['process.cpu', 'process.memory', 'process.uptime', 'process.fd']`:
   * `system.*` groups are opt-in because they add series per core and per network device.
   * Env `OMB_HOST_METRICS_GROUPS` (comma list).
   */
  groups?: (HostMetricGroup | 'process' | 'system')[];
}

/**
 * Short names accepted in `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS`, spelled
 * as `@opentelemetry/auto-instrumentations-node` spells them (package name without `@opentelemetry/instrumentation-`).
 */
export const INSTRUMENTATION_SHORT_NAMES = Object.freeze({
  runtime: 'runtime-node',
  host: 'host-metrics',
} as const);

export const RUNTIME_DEFAULTS = Object.freeze({ monitoringPrecision: 10 });
export const HOST_DEFAULTS = Object.freeze({
  groups: Object.freeze([
    'process.cpu',
    'process.memory',
    'process.uptime',
    'process.fd',
  ]) as readonly HostMetricGroup[],
});

/** The runtime and host metrics' environment variables, with the option each feeds. */
export const RUNTIME_ENV = Object.freeze({
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'runtime, host',
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'runtime, host',
  OMB_RUNTIME_MONITORING_PRECISION: 'runtime.monitoringPrecision',
  OMB_HOST_METRICS_GROUPS: 'host.groups',
} as const);

/** The codes the runtime and host options can report (see the README's error table). */
export const RUNTIME_ERROR_CODES = ['ERR_INVALID_MONITORING_PRECISION', 'ERR_UNKNOWN_METRIC_GROUP'] as const;

/**
 * An option that is `true`, `false` or an options object, also switched by the OTEL_NODE_*_INSTRUMENTATIONS
 * variables. The section is read even when off, so a bad variable is reported before someone turns it on.
 */
function switchable<D extends object>(
  r: Reader,
  path: string,
  value: unknown,
  shortName: string,
  defaults: D,
) {
  const on =
    value === undefined ? (instrumentationSwitch(r, shortName) ?? true) : value === true || isRecord(value);
  const opts = typeof value === 'boolean' ? undefined : value;
  const s = r.section(
    path,
    opts,
    'must be true, false or an options object',
    RUNTIME_ENV as EnvTable,
    defaults,
  );
  return { s, on };
}

/**
 * On/off from `OTEL_NODE_ENABLED_INSTRUMENTATIONS` then `OTEL_NODE_DISABLED_INSTRUMENTATIONS`, as
 * auto-instrumentations-node applies them: when ENABLED is set only the names it lists are on, then DISABLED
 * turns names off. `undefined` when neither variable is set. Names this library does not know are ignored:
 * the same variables configure other instrumentations in the process.
 */
export function instrumentationSwitch(r: Reader, shortName: string): boolean | undefined {
  const list = (name: keyof typeof RUNTIME_ENV) => {
    const raw = r.envValue(name);
    return raw === undefined ? undefined : commaList(raw).map((s) => s.toLowerCase());
  };
  const enabled = list('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  const disabled = list('OTEL_NODE_DISABLED_INSTRUMENTATIONS');
  let on: boolean | undefined;
  if (enabled !== undefined) on = enabled.includes(shortName);
  if (disabled?.includes(shortName)) on = false;
  return on;
}

/** Runtime metrics options; `undefined` when off. */
export function resolveRuntime(r: Reader, value: unknown): Required<RuntimeOptions> | undefined {
  const { s, on } = switchable(r, 'runtime', value, INSTRUMENTATION_SHORT_NAMES.runtime, RUNTIME_DEFAULTS);
  // perf_hooks.monitorEventLoopDelay() wants a whole number of milliseconds above zero.
  const monitoringPrecision =
    r.checked(
      r.candidate(
        s.source('monitoringPrecision'),
        s.get('monitoringPrecision'),
        s.envName('monitoringPrecision'),
        /^\d+$/,
      ),
      (n) => Number.isInteger(n) && n >= 1 && n <= 60_000,
      'ERR_INVALID_MONITORING_PRECISION',
      (v) => `${v} is not a sampling interval; use whole milliseconds from 1 to 60000 (default 10)`,
    ) ?? RUNTIME_DEFAULTS.monitoringPrecision;
  s.close();
  return on ? { monitoringPrecision } : undefined;
}

/** Process and host metrics options; `undefined` when off. Groups keep the canonical order. */
export function resolveHost(r: Reader, value: unknown): { groups: HostMetricGroup[] } | undefined {
  const { s, on } = switchable(r, 'host', value, INSTRUMENTATION_SHORT_NAMES.host, HOST_DEFAULTS);
  let list: unknown = s.get('groups');
  let source = 'host.groups';
  if (list === undefined) {
    const raw = s.env('groups');
    if (raw !== undefined) [list, source] = [commaList(raw), 'OMB_HOST_METRICS_GROUPS'];
  }
  if (list === undefined) {
    s.close();
    return on ? { groups: [...HOST_DEFAULTS.groups] } : undefined;
  }
  const picked = new Set<HostMetricGroup>();
  if (!Array.isArray(list)) {
    r.report('ERR_UNKNOWN_METRIC_GROUP', source, `must be an array of group names, got ${show(list)}`);
  } else {
    for (const name of list) {
      const matches = HOST_METRIC_GROUPS.filter(
        (g) => g === name || ((name === 'process' || name === 'system') && g.startsWith(`${name}.`)),
      );
      if (matches.length === 0) {
        r.report(
          'ERR_UNKNOWN_METRIC_GROUP',
          source,
          `unknown group ${show(name)}; use ${HOST_METRIC_GROUPS.join(', ')}, process or system`,
        );
      }
      for (const g of matches) picked.add(g);
    }
  }
  s.close();
  // A list that is not an array keeps the default groups.
  const groups = Array.isArray(list)
    ? HOST_METRIC_GROUPS.filter((g) => picked.has(g))
    : [...HOST_DEFAULTS.groups];
  return on ? { groups } : undefined;
}
