import { readdirSync, readFileSync } from 'node:fs';
import { diag, type Meter, type ObservableResult } from '@opentelemetry/api';
import type { ResourceDetector } from '@opentelemetry/resources';
import {
  ATTR_PROCESS_CREATION_TIME,
  METRIC_PROCESS_MEMORY_VIRTUAL,
  METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_COUNT,
  METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_LIMIT,
  METRIC_PROCESS_UPTIME,
} from '../semconv.js';
import type { Collector } from './collectors.js';
import type { HostMetricGroup } from './options.js';

/** Where the Linux readers look; tests point it elsewhere to make a read fail. */
export interface ProcOptions {
  readonly procDir?: string;
}

/**
 * Reads process facts from `/proc/self` (Linux). Every method returns `undefined` instead of throwing when the
 * file is missing or unreadable (other platforms, a locked-down container), and warns once per file.
 */
export class ProcReader {
  private readonly dir: string;
  private readonly warned = new Set<string>();

  constructor(options: ProcOptions = {}) {
    this.dir = options.procDir ?? '/proc/self';
  }

  /** Open file descriptors: the entries of `/proc/self/fd`, minus the one `readdir` itself holds open. */
  openFds(): number | undefined {
    return this.read('fd', () => readdirSync(`${this.dir}/fd`).length - 1);
  }

  /** The soft limit on open files (`ulimit -n`), from `/proc/self/limits`; `undefined` when unlimited. */
  maxFds(): number | undefined {
    return this.read('limits', () => {
      const line = /^Max open files\s+(\S+)/m.exec(readFileSync(`${this.dir}/limits`, 'utf8'));
      const n = Number(line?.[1]);
      return Number.isFinite(n) ? n : undefined;
    });
  }

  /** Virtual memory size and data segment size, in bytes, from `/proc/self/status` (`VmSize`, `VmData`). */
  memory(): { virtual: number; data: number } | undefined {
    return this.read('status', () => {
      const status = readFileSync(`${this.dir}/status`, 'utf8');
      const kib = (key: string) => Number(new RegExp(`^${key}:\\s*(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
      const virtual = kib('VmSize');
      const data = kib('VmData');
      return Number.isFinite(virtual) && Number.isFinite(data) ? { virtual, data } : undefined;
    });
  }

  private read<T>(what: string, fn: () => T | undefined): T | undefined {
    if (process.platform !== 'linux' && this.dir === '/proc/self') return undefined;
    try {
      return fn();
    } catch (err) {
      if (!this.warned.has(what)) {
        this.warned.add(what);
        diag.warn(
          `otel-metrics-bootstrap: cannot read ${this.dir}/${what}; skipping the metrics based on it`,
          err,
        );
      }
      return undefined;
    }
  }
}

/**
 * The process metrics that `@opentelemetry/instrumentation-host-metrics` lacks, under their semconv names:
 * `process.uptime` (group `process.uptime`), `process.memory.virtual` (group `process.memory`, Linux) and
 * `process.unix.file_descriptor.count` / `.limit` (group `process.fd`, Linux). The start time is the
 * `process.creation.time` resource attribute (on `target_info`), see {@link processCreationTimeDetector}.
 */
export function startProcessMetrics(
  meter: Meter,
  groups: readonly HostMetricGroup[],
  options: ProcOptions = {},
): Collector {
  const proc = new ProcReader(options);
  const linux = process.platform === 'linux' || options.procDir !== undefined;
  const stops: (() => void)[] = [];

  if (groups.includes('process.uptime')) {
    const uptime = meter.createObservableGauge(METRIC_PROCESS_UPTIME, {
      description: 'The time the process has been running.',
      unit: 's',
    });
    const cb = (result: ObservableResult) => result.observe(process.uptime());
    uptime.addCallback(cb);
    stops.push(() => uptime.removeCallback(cb));
  }

  if (groups.includes('process.memory') && linux) {
    const virtual = meter.createObservableUpDownCounter(METRIC_PROCESS_MEMORY_VIRTUAL, {
      description: 'The amount of committed virtual memory.',
      unit: 'By',
    });
    const cb = (result: ObservableResult) => {
      const mem = proc.memory();
      if (mem) result.observe(mem.virtual);
    };
    virtual.addCallback(cb);
    stops.push(() => virtual.removeCallback(cb));
  }

  if (groups.includes('process.fd') && linux) {
    const count = meter.createObservableUpDownCounter(METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_COUNT, {
      description: 'Number of UNIX file descriptors in use by the process.',
      unit: '{file_descriptor}',
    });
    const limit = meter.createObservableUpDownCounter(METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_LIMIT, {
      description: 'Maximum number of UNIX file descriptors the process may open (the soft RLIMIT_NOFILE).',
      unit: '{file_descriptor}',
    });
    // Node offers no setrlimit, so the limit is read on every collection only because it is cheap (one small file).
    const countCb = (result: ObservableResult) => {
      const n = proc.openFds();
      if (n !== undefined) result.observe(n);
    };
    const limitCb = (result: ObservableResult) => {
      const n = proc.maxFds();
      if (n !== undefined) result.observe(n);
    };
    count.addCallback(countCb);
    limit.addCallback(limitCb);
    stops.push(
      () => count.removeCallback(countCb),
      () => limit.removeCallback(limitCb),
    );
  }

  return {
    stop() {
      for (const stop of stops.splice(0)) stop();
    },
  };
}

/** Adds `process.creation.time` (ISO 8601, semconv) to the resource: Prometheus sees it on `target_info`. */
export const processCreationTimeDetector: ResourceDetector = {
  detect() {
    return { attributes: { [ATTR_PROCESS_CREATION_TIME]: new Date(performance.timeOrigin).toISOString() } };
  },
};
