import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diag } from '@opentelemetry/api';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  METRIC_NODEJS_EVENTLOOP_DELAY_P99,
  METRIC_NODEJS_EVENTLOOP_TIME,
  METRIC_NODEJS_EVENTLOOP_UTILIZATION,
  METRIC_PROCESS_CPU_TIME,
  METRIC_PROCESS_CPU_UTILIZATION,
  METRIC_PROCESS_MEMORY_USAGE,
  METRIC_PROCESS_MEMORY_VIRTUAL,
  METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_COUNT,
  METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_LIMIT,
  METRIC_PROCESS_UPTIME,
  METRIC_SYSTEM_CPU_TIME,
  METRIC_V8JS_GC_DURATION,
  METRIC_V8JS_MEMORY_HEAP_USED,
  METRIC_V8JS_RESOURCE_ACTIVE,
} from '../../src/semconv.js';
import { GC_DURATION_BUCKETS } from '../../src/views.js';
import { blockLoop, burnCpu, metric, metricsNamed, type Rig, sleep, startRig, value } from './reader.js';

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
  vi.restoreAllMocks();
});
function rig(...args: Parameters<typeof startRig>): Rig {
  const r = startRig(...args);
  rigs.push(r);
  return r;
}

describe('runtime and process collectors', () => {
  it('reports process.memory.usage within 10% of process.memoryUsage().rss taken at the same moment', async () => {
    const { reader } = rig();
    const rm = await reader.metrics();
    const rss = process.memoryUsage().rss;
    const reported = value(rm, METRIC_PROCESS_MEMORY_USAGE);
    expect(Math.abs(reported - rss) / rss).toBeLessThan(0.1);
    expect(metric(rm, METRIC_PROCESS_MEMORY_USAGE).descriptor.unit).toBe('By');
  });

  it('grows process.cpu.time{cpu.mode="user"} by at least the CPU a busy loop burned', async () => {
    const { reader } = rig();
    const before = await reader.metrics();
    const userBefore = value(before, METRIC_PROCESS_CPU_TIME, { 'cpu.mode': 'user' });
    const systemBefore = value(before, METRIC_PROCESS_CPU_TIME, { 'cpu.mode': 'system' });
    const burned = burnCpu(250);
    const after = await reader.metrics();
    const grew =
      value(after, METRIC_PROCESS_CPU_TIME, { 'cpu.mode': 'user' }) -
      userBefore +
      (value(after, METRIC_PROCESS_CPU_TIME, { 'cpu.mode': 'system' }) - systemBefore);
    expect(burned).toBeGreaterThanOrEqual(0.25);
    expect(grew).toBeGreaterThanOrEqual(burned * 0.99);
    // A loop of pure arithmetic runs in user mode.
    expect(value(after, METRIC_PROCESS_CPU_TIME, { 'cpu.mode': 'user' }) - userBefore).toBeGreaterThan(
      burned / 2,
    );
    const utilization = value(after, METRIC_PROCESS_CPU_UTILIZATION, { 'cpu.mode': 'user' });
    expect(utilization).toBeGreaterThan(0);
    expect(utilization).toBeLessThanOrEqual(1);
  });

  it('raises the event-loop delay p99 to about 200 ms when the loop is blocked for 200 ms', async () => {
    const { reader } = rig({ runtime: { monitoringPrecision: 10 } });
    await reader.metrics(); // resets the delay histogram
    await sleep(150);
    const calm = value(await reader.metrics(), METRIC_NODEJS_EVENTLOOP_DELAY_P99);
    // Node's delay monitor drops the first interval after a reset (each collection resets it), so let it
    // tick before stalling.
    await sleep(30);
    blockLoop(200);
    await sleep(100); // more samples than the 5 the collector needs before it reports
    const blocked = value(await reader.metrics(), METRIC_NODEJS_EVENTLOOP_DELAY_P99);
    expect(blocked).toBeGreaterThanOrEqual(0.15);
    expect(blocked).toBeGreaterThan(calm);
    expect(metric(await reader.metrics(), METRIC_NODEJS_EVENTLOOP_UTILIZATION).descriptor.unit).toBe('1');
  });

  it('buckets v8js.gc.duration with the GC-pause boundaries instead of the request-scale advice', async () => {
    const { provider, reader } = rig();
    // Allocate until at least one GC has been observed.
    let junk: number[][] = [];
    for (
      let i = 0;
      i < 200 && metricsNamed(await reader.metrics(), METRIC_V8JS_GC_DURATION).length === 0;
      i++
    ) {
      junk = Array.from({ length: 2000 }, () => new Array(100).fill(i));
      await sleep(5);
    }
    expect(junk.length).toBe(2000);
    const gc = metric(await reader.metrics(), METRIC_V8JS_GC_DURATION);
    expect(gc.dataPointType).toBe(DataPointType.HISTOGRAM);
    const point = gc.dataPoints[0]!.value as { buckets: { boundaries: number[] } };
    expect(point.buckets.boundaries).toEqual([...GC_DURATION_BUCKETS]);
    expect(Object.keys(gc.dataPoints[0]!.attributes)).toEqual(['v8js.gc.type']);
    expect(provider).toBeDefined();
  });

  it('reports heap, event-loop time and active resources from the runtime package', async () => {
    const { reader } = rig();
    const timer = setInterval(() => {}, 1000);
    try {
      const rm = await reader.metrics();
      const heapUsed = metric(rm, METRIC_V8JS_MEMORY_HEAP_USED).dataPoints.reduce(
        (s, p) => s + (p.value as number),
        0,
      );
      const v8Used = process.memoryUsage().heapUsed;
      expect(Math.abs(heapUsed - v8Used) / v8Used).toBeLessThan(0.25);
      expect(value(rm, METRIC_NODEJS_EVENTLOOP_TIME, { 'nodejs.eventloop.state': 'active' })).toBeGreaterThan(
        0,
      );
      expect(
        value(rm, METRIC_V8JS_RESOURCE_ACTIVE, { 'v8js.resource.type': 'Timeout' }),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      clearInterval(timer);
    }
  });

  it('reports process.uptime in seconds, matching process.uptime()', async () => {
    const { reader } = rig();
    const rm = await reader.metrics();
    expect(Math.abs(value(rm, METRIC_PROCESS_UPTIME) - process.uptime())).toBeLessThan(1);
    expect(metric(rm, METRIC_PROCESS_UPTIME).descriptor.unit).toBe('s');
  });

  it.runIf(process.platform === 'linux')(
    'counts open file descriptors exactly and reports the soft limit that ulimit -n shows',
    async () => {
      const { reader } = rig();
      const dir = mkdtempSync(join(tmpdir(), 'omb-fd-'));
      const before = value(await reader.metrics(), METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_COUNT);
      const fds = Array.from({ length: 25 }, (_, i) => openSync(join(dir, `f${i}`), 'w'));
      try {
        const rm = await reader.metrics();
        expect(value(rm, METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_COUNT) - before).toBe(25);
        const ulimit = Number(execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
        expect(value(rm, METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_LIMIT)).toBe(ulimit);
        const virtual = value(rm, METRIC_PROCESS_MEMORY_VIRTUAL);
        expect(virtual).toBeGreaterThan(process.memoryUsage().rss);
      } finally {
        for (const fd of fds) closeSync(fd);
        rmSync(dir, { recursive: true });
      }
    },
  );

  it('skips the /proc metrics, warns once and still collects everything else when /proc cannot be read', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const { reader } = rig({ promClientCompat: true }, { procDir: '/nonexistent/proc/self' });
    const warnings = () => warn.mock.calls.filter(([m]) => String(m).includes('/nonexistent/proc/self'));
    let afterFirst = 0;
    for (let i = 0; i < 3; i++) {
      const rm = await reader.metrics();
      if (i === 0) afterFirst = warnings().length;
      expect(metricsNamed(rm, METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_COUNT)[0]?.dataPoints ?? []).toEqual([]);
      expect(value(rm, METRIC_PROCESS_UPTIME)).toBeGreaterThan(0);
      expect(value(rm, METRIC_PROCESS_MEMORY_USAGE)).toBeGreaterThan(0);
      expect(value(rm, 'process_cpu_seconds')).toBeGreaterThan(0);
    }
    // Warned about each file (fd, limits, status) on the first collection, not again on later ones.
    expect(warnings().map(([m]) => String(m).split(' ')[3])).toEqual(
      expect.arrayContaining([
        '/nonexistent/proc/self/fd;',
        '/nonexistent/proc/self/limits;',
        '/nonexistent/proc/self/status;',
      ]),
    );
    expect(afterFirst).toBeGreaterThanOrEqual(3);
    expect(warnings().length).toBe(afterFirst);
  });

  it('keeps system.* metrics off by default and adds them per core when the group is chosen', async () => {
    const defaults = await rig().reader.metrics();
    expect(defaults.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name))).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^system\./)]),
    );
    const rm = await rig({ host: { groups: ['process.cpu', 'system.cpu'] } }).reader.metrics();
    const cores = new Set(
      metric(rm, METRIC_SYSTEM_CPU_TIME).dataPoints.map((p) => p.attributes['cpu.logical_number']),
    );
    const { cpus } = await import('node:os');
    expect(cores.size).toBe(cpus().length);
    expect(metricsNamed(rm, METRIC_PROCESS_MEMORY_USAGE)).toEqual([]);
    expect(metricsNamed(rm, METRIC_PROCESS_UPTIME)).toEqual([]);
  });

  it('starts nothing when runtime and host are off', async () => {
    const rm = await rig({ runtime: false, host: false }).reader.metrics();
    expect(rm.scopeMetrics.flatMap((s) => s.metrics)).toEqual([]);
  });

  it('stops observing after stop(), so values freeze at their last reading', async () => {
    const r = rig();
    expect(value(await r.reader.metrics(), METRIC_PROCESS_UPTIME)).toBeGreaterThan(0);
    r.collectors.stop();
    r.collectors.stop();
    // The SDK keeps reporting the last cumulative value of an async instrument; a live one would move.
    const first = await r.reader.metrics();
    burnCpu(20);
    await sleep(20);
    const second = await r.reader.metrics();
    expect(value(second, METRIC_PROCESS_UPTIME)).toBe(value(first, METRIC_PROCESS_UPTIME));
    const user = { 'cpu.mode': 'user' };
    expect(value(second, METRIC_PROCESS_CPU_TIME, user)).toBe(value(first, METRIC_PROCESS_CPU_TIME, user));
  });
});
