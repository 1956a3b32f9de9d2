import { constants, type ELDHistogram, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import {
  type Attributes,
  type BatchObservableResult,
  diag,
  type Meter,
  type Observable,
  type ObservableGauge,
  type ObservableResult,
} from '@opentelemetry/api';
import {
  PROM_CLIENT_ACTIVE_HANDLES,
  PROM_CLIENT_ACTIVE_HANDLES_TOTAL,
  PROM_CLIENT_ACTIVE_REQUESTS,
  PROM_CLIENT_ACTIVE_REQUESTS_TOTAL,
  PROM_CLIENT_ACTIVE_RESOURCES,
  PROM_CLIENT_ACTIVE_RESOURCES_TOTAL,
  PROM_CLIENT_CPU_SECONDS,
  PROM_CLIENT_CPU_SYSTEM_SECONDS,
  PROM_CLIENT_CPU_USER_SECONDS,
  PROM_CLIENT_EVENTLOOP_LAG_SECONDS,
  PROM_CLIENT_EVENTLOOP_LAG_STAT_SECONDS,
  PROM_CLIENT_EXTERNAL_MEMORY_BYTES,
  PROM_CLIENT_GC_DURATION_SECONDS,
  PROM_CLIENT_HEAP_BYTES,
  PROM_CLIENT_HEAP_SIZE_TOTAL_BYTES,
  PROM_CLIENT_HEAP_SIZE_USED_BYTES,
  PROM_CLIENT_HEAP_SPACE_SIZE_AVAILABLE_BYTES,
  PROM_CLIENT_HEAP_SPACE_SIZE_TOTAL_BYTES,
  PROM_CLIENT_HEAP_SPACE_SIZE_USED_BYTES,
  PROM_CLIENT_LABEL_KIND,
  PROM_CLIENT_LABEL_SPACE,
  PROM_CLIENT_LABEL_TYPE,
  PROM_CLIENT_MAX_FDS,
  PROM_CLIENT_OPEN_FDS,
  PROM_CLIENT_RESIDENT_MEMORY_BYTES,
  PROM_CLIENT_START_TIME_SECONDS,
  PROM_CLIENT_VERSION_INFO,
  PROM_CLIENT_VIRTUAL_MEMORY_BYTES,
} from '../semconv.js';
import type { Collector } from './collectors.js';
import { type ProcOptions, ProcReader } from './process.js';

/** prom-client's default `nodejs_gc_duration_seconds` buckets, kept so existing quantile panels read the same. */
export const PROM_CLIENT_GC_BUCKETS: readonly number[] = Object.freeze([0.001, 0.01, 0.1, 1, 2, 5]);

/** prom-client's event-loop delay sampling interval (ms). */
const LAG_RESOLUTION_MS = 10;
const LAG_STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** `process._getActiveHandles` / `_getActiveRequests`: undocumented, but what prom-client reads. */
type LegacyProcess = NodeJS.Process & {
  _getActiveHandles?: () => object[];
  _getActiveRequests?: () => object[];
};

/**
 * The metrics prom-client's `collectDefaultMetrics()` exposes, under the same Prometheus names, labels and
 * units, computed the way prom-client computes them (its own event-loop delay histogram reset at each
 * collection, `setImmediate` lag, its GC buckets). Opt-in (`promClientCompat`), for dashboards built on
 * prom-client; docs/runtime.md maps each one to its OpenTelemetry counterpart.
 */
export function startPromClientCompat(meter: Meter, options: ProcOptions = {}): Collector {
  const proc = new ProcReader(options);
  const linux = process.platform === 'linux' || options.procDir !== undefined;
  const safe = onceWarner();
  const attrs = attributeCache();

  const counter = (name: string, description: string) =>
    meter.createObservableCounter(name, { description, unit: 's' });
  const gauge = (name: string, description: string, unit = '') =>
    meter.createObservableGauge(name, { description, unit });

  const cpuUser = counter(PROM_CLIENT_CPU_USER_SECONDS, 'Total user CPU time spent in seconds.');
  const cpuSystem = counter(PROM_CLIENT_CPU_SYSTEM_SECONDS, 'Total system CPU time spent in seconds.');
  const cpuTotal = counter(PROM_CLIENT_CPU_SECONDS, 'Total user and system CPU time spent in seconds.');
  const startTime = gauge(
    PROM_CLIENT_START_TIME_SECONDS,
    'Start time of the process since unix epoch in seconds.',
    's',
  );
  const rss = gauge(PROM_CLIENT_RESIDENT_MEMORY_BYTES, 'Resident memory size in bytes.', 'By');
  const heapTotal = gauge(
    PROM_CLIENT_HEAP_SIZE_TOTAL_BYTES,
    'Process heap size from Node.js in bytes.',
    'By',
  );
  const heapUsed = gauge(
    PROM_CLIENT_HEAP_SIZE_USED_BYTES,
    'Process heap size used from Node.js in bytes.',
    'By',
  );
  const external = gauge(PROM_CLIENT_EXTERNAL_MEMORY_BYTES, 'Node.js external memory size in bytes.', 'By');
  const spaceTotal = gauge(
    PROM_CLIENT_HEAP_SPACE_SIZE_TOTAL_BYTES,
    'Process heap space size total from Node.js in bytes.',
    'By',
  );
  const spaceUsed = gauge(
    PROM_CLIENT_HEAP_SPACE_SIZE_USED_BYTES,
    'Process heap space size used from Node.js in bytes.',
    'By',
  );
  const spaceAvailable = gauge(
    PROM_CLIENT_HEAP_SPACE_SIZE_AVAILABLE_BYTES,
    'Process heap space size available from Node.js in bytes.',
    'By',
  );
  const resources = gauge(
    PROM_CLIENT_ACTIVE_RESOURCES,
    'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
  );
  const resourcesTotal = gauge(PROM_CLIENT_ACTIVE_RESOURCES_TOTAL, 'Total number of active resources.');
  const handles = gauge(
    PROM_CLIENT_ACTIVE_HANDLES,
    'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.',
  );
  const handlesTotal = gauge(PROM_CLIENT_ACTIVE_HANDLES_TOTAL, 'Total number of active handles.');
  const requests = gauge(
    PROM_CLIENT_ACTIVE_REQUESTS,
    'Number of active libuv requests grouped by request type. Every request type is C++ class name.',
  );
  const requestsTotal = gauge(PROM_CLIENT_ACTIVE_REQUESTS_TOTAL, 'Total number of active requests.');
  const version = gauge(PROM_CLIENT_VERSION_INFO, 'Node.js version info.');
  const lagStats = LAG_STATS.map(
    (stat) =>
      [
        stat,
        gauge(
          PROM_CLIENT_EVENTLOOP_LAG_STAT_SECONDS(stat),
          `The ${stat} of the recorded event loop delays.`,
          's',
        ),
      ] as const,
  );
  const linuxGauges: ObservableGauge[] = [];
  const virtual = linux
    ? gauge(PROM_CLIENT_VIRTUAL_MEMORY_BYTES, 'Virtual memory size in bytes.', 'By')
    : undefined;
  const heapBytes = linux ? gauge(PROM_CLIENT_HEAP_BYTES, 'Process heap size in bytes.', 'By') : undefined;
  const openFds = linux ? gauge(PROM_CLIENT_OPEN_FDS, 'Number of open file descriptors.') : undefined;
  const maxFds = linux ? gauge(PROM_CLIENT_MAX_FDS, 'Maximum number of open file descriptors.') : undefined;
  for (const g of [virtual, heapBytes, openFds, maxFds]) if (g) linuxGauges.push(g);

  const startSeconds = performance.timeOrigin / 1000;
  const [major = '', minor = '', patch = ''] = process.versions.node.split('.');
  const versionAttrs: Attributes = { version: process.version, major, minor, patch };

  const delay: ELDHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  delay.enable();

  const batch = (r: BatchObservableResult) => {
    safe('cpu', () => {
      const { user, system } = process.cpuUsage();
      r.observe(cpuUser, user / 1e6);
      r.observe(cpuSystem, system / 1e6);
      r.observe(cpuTotal, (user + system) / 1e6);
    });
    r.observe(startTime, startSeconds);
    r.observe(version, 1, versionAttrs);
    safe('memory', () => {
      const mem = process.memoryUsage();
      r.observe(rss, mem.rss);
      r.observe(heapTotal, mem.heapTotal);
      r.observe(heapUsed, mem.heapUsed);
      r.observe(external, mem.external);
    });
    safe('heap spaces', () => {
      for (const space of getHeapSpaceStatistics()) {
        // prom-client labels `old_space` as `old`.
        const a = attrs(PROM_CLIENT_LABEL_SPACE, space.space_name.replace(/_space$/, ''));
        r.observe(spaceTotal, space.space_size, a);
        r.observe(spaceUsed, space.space_used_size, a);
        r.observe(spaceAvailable, space.space_available_size, a);
      }
    });
    safe('active resources', () => {
      const list = process.getActiveResourcesInfo();
      observeByType(r, resources, list, attrs);
      r.observe(resourcesTotal, list.length);
    });
    safe('active handles', () => {
      const list = (process as LegacyProcess)._getActiveHandles?.();
      if (!list) return;
      observeByType(r, handles, list.map(typeName), attrs);
      r.observe(handlesTotal, list.length);
    });
    safe('active requests', () => {
      const list = (process as LegacyProcess)._getActiveRequests?.();
      if (!list) return;
      observeByType(r, requests, list.map(typeName), attrs);
      r.observe(requestsTotal, list.length);
    });
    // Like prom-client: stats of the delays since the previous collection, then start afresh.
    if (delay.count > 0) {
      for (const [stat, g] of lagStats) {
        const ns =
          stat === 'p50'
            ? delay.percentile(50)
            : stat === 'p90'
              ? delay.percentile(90)
              : stat === 'p99'
                ? delay.percentile(99)
                : delay[stat];
        r.observe(g, ns / 1e9);
      }
    }
    delay.reset();
    if (linux) {
      const mem = proc.memory();
      if (mem && virtual && heapBytes) {
        r.observe(virtual, mem.virtual);
        r.observe(heapBytes, mem.data);
      }
      const open = proc.openFds();
      if (open !== undefined && openFds) r.observe(openFds, open);
      const max = proc.maxFds();
      if (max !== undefined && maxFds) r.observe(maxFds, max);
    }
  };
  const batchObservables: Observable[] = [
    cpuUser,
    cpuSystem,
    cpuTotal,
    startTime,
    rss,
    heapTotal,
    heapUsed,
    external,
    spaceTotal,
    spaceUsed,
    spaceAvailable,
    resources,
    resourcesTotal,
    handles,
    handlesTotal,
    requests,
    requestsTotal,
    version,
    ...lagStats.map(([, g]) => g),
    ...linuxGauges,
  ];
  meter.addBatchObservableCallback(batch, batchObservables);

  // prom-client's `nodejs_eventloop_lag_seconds`: how long a setImmediate queued at collection time waits.
  const lag = gauge(PROM_CLIENT_EVENTLOOP_LAG_SECONDS, 'Lag of event loop in seconds.', 's');
  const lagCallback = (r: ObservableResult) =>
    new Promise<void>((resolve) => {
      const start = process.hrtime.bigint();
      setImmediate(() => {
        r.observe(Number(process.hrtime.bigint() - start) / 1e9);
        resolve();
      });
    });
  lag.addCallback(lagCallback);

  const gcDuration = meter.createHistogram(PROM_CLIENT_GC_DURATION_SECONDS, {
    description: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...PROM_CLIENT_GC_BUCKETS] },
  });
  const gcObserver = new PerformanceObserver((list) => {
    safe('gc', () => {
      for (const entry of list.getEntries()) {
        const kind = GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? -1];
        if (kind) gcDuration.record(entry.duration / 1000, attrs(PROM_CLIENT_LABEL_KIND, kind));
      }
    });
  });
  gcObserver.observe({ entryTypes: ['gc'] });

  return {
    stop() {
      meter.removeBatchObservableCallback(batch, batchObservables);
      lag.removeCallback(lagCallback);
      gcObserver.disconnect();
      delay.disable();
    },
  };
}

function observeByType(
  r: BatchObservableResult,
  gauge: ObservableGauge,
  types: readonly string[],
  attrs: (key: string, value: string) => Attributes,
): void {
  const counts = new Map<string, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  for (const [t, n] of counts) r.observe(gauge, n, attrs(PROM_CLIENT_LABEL_TYPE, t));
}

function typeName(handle: object): string {
  return handle?.constructor?.name ?? 'unknown';
}

/** One frozen attributes object per (key, value), so collections do not allocate them again. */
function attributeCache(): (key: string, value: string) => Attributes {
  const cache = new Map<string, Attributes>();
  return (key, value) => {
    const id = `${key}\u0000${value}`;
    let a = cache.get(id);
    if (a === undefined) {
      a = Object.freeze({ [key]: value });
      cache.set(id, a);
    }
    return a;
  };
}

/** Runs a reading; a failure skips it and is logged once per reading, never thrown into a collection. */
function onceWarner(): (what: string, fn: () => void) => void {
  const warned = new Set<string>();
  return (what, fn) => {
    try {
      fn();
    } catch (err) {
      if (warned.has(what)) return;
      warned.add(what);
      diag.warn(`otel-metrics-bootstrap: prom-client compatible ${what} metrics failed; skipping them`, err);
    }
  };
}
