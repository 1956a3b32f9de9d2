import { expect } from 'vitest';
import type { MetricsConfig } from '../../src/config.js';
import { type Collector, startRuntimeMetrics } from '../../src/runtime/collectors.js';
import type { ProcOptions } from '../../src/runtime/process.js';
import { createTestMeter, type MetricsSnapshot, type TestMeter } from '../../src/testing/index.js';

export interface Rig {
  /** The testing kit's meter, configured as `initMeter(config)` would be; the collectors run on its provider. */
  tm: TestMeter;
  collectors: Collector;
  /** One collection; fails the test if the SDK reported collection errors (a collector callback that threw). */
  collect(): Promise<MetricsSnapshot>;
  close(): Promise<void>;
}

/** A test meter configured as `initMeter()` would configure it, with the runtime collectors started on it. */
export function startRig(config: MetricsConfig = {}, proc: ProcOptions = {}): Rig {
  const tm = createTestMeter(config);
  const collectors = startRuntimeMetrics(tm.meterProvider, tm.config, proc);
  return {
    tm,
    collectors,
    async collect() {
      const snapshot = await tm.collect();
      expect(snapshot.errors, 'collection errors').toEqual([]);
      return snapshot;
    },
    async close() {
      collectors.stop();
      await tm.shutdown();
    },
  };
}

/** Burns CPU on this thread until `process.cpuUsage()` shows `ms` more user+system time; returns what it burned (s). */
export function burnCpu(ms: number): number {
  const start = process.cpuUsage();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
    const d = process.cpuUsage(start);
    if ((d.user + d.system) / 1000 >= ms || x < 0) return (d.user + d.system) / 1e6;
  }
}

/** Blocks the event loop for `ms` of wall time. */
export function blockLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
