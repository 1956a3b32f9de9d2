import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
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
import { exactly } from '../../src/testing/index.js';
import { GC_DURATION_BUCKETS } from '../../src/views.js';
import { blockLoop, burnCpu, type Rig, sleep, startRig } from './reader.js';

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

const USER = { 'cpu.mode': 'user' };
const SYSTEM = { 'cpu.mode': 'system' };

describe('runtime and process collectors', () => {
  it('reports process.memory.usage within 10% of process.memoryUsage().rss taken at the same moment', async () => {
    const snap = await rig().collect();
    const rss = process.memoryUsage().rss;
    expect(snap).toHaveGauge(METRIC_PROCESS_MEMORY_USAGE, exactly({}));
    const reported = snap.gauge(METRIC_PROCESS_MEMORY_USAGE)!;
    expect(Math.abs(reported - rss) / rss).toBeLessThan(0.1);
    expect(snap.metric(METRIC_PROCESS_MEMORY_USAGE)?.unit).toBe('By');
  });

  it('grows process.cpu.time{cpu.mode="user"} by at least the CPU a busy loop burned', async () => {
    const r = rig();
    const before = await r.collect();
    expect(before).toHaveCounter(METRIC_PROCESS_CPU_TIME, exactly(USER));
    expect(before).toHaveCounter(METRIC_PROCESS_CPU_TIME, exactly(SYSTEM));
    const userBefore = before.counter(METRIC_PROCESS_CPU_TIME, exactly(USER))!;
    const systemBefore = before.counter(METRIC_PROCESS_CPU_TIME, exactly(SYSTEM))!;
    const burned = burnCpu(250);
    const after = await r.collect();
    const userAfter = after.counter(METRIC_PROCESS_CPU_TIME, exactly(USER))!;
    const grew =
      userAfter - userBefore + (after.counter(METRIC_PROCESS_CPU_TIME, exactly(SYSTEM))! - systemBefore);
    expect(burned).toBeGreaterThanOrEqual(0.25);
    expect(grew).toBeGreaterThanOrEqual(burned * 0.99);
    // A loop of pure arithmetic runs in user mode.
    expect(userAfter - userBefore).toBeGreaterThan(burned / 2);
    expect(after).toHaveGauge(METRIC_PROCESS_CPU_UTILIZATION, exactly(USER));
    const utilization = after.gauge(METRIC_PROCESS_CPU_UTILIZATION, exactly(USER))!;
    expect(utilization).toBeGreaterThan(0);
    expect(utilization).toBeLessThanOrEqual(1);
  });

  it('raises the event-loop delay p99 to about 200 ms when the loop is blocked for 200 ms', async () => {
    const r = rig({ runtime: { monitoringPrecision: 10 } });
    // Each collection resets the delay histogram. The collector reports p99 only after 5 samples; on a busy
    // machine the 10 ms timer can miss its ticks, so wait in rounds rather than betting on one 150 ms window.
    let calmSnap = await r.collect();
    for (let round = 0; round < 20; round++) {
      await sleep(150);
      calmSnap = await r.collect();
      if (calmSnap.gauge(METRIC_NODEJS_EVENTLOOP_DELAY_P99) !== undefined) break;
    }
    expect(calmSnap).toHaveGauge(METRIC_NODEJS_EVENTLOOP_DELAY_P99, exactly({}));
    const calm = calmSnap.gauge(METRIC_NODEJS_EVENTLOOP_DELAY_P99)!;
    // Node's delay monitor drops the first interval after a reset (each collection resets it), so let it
    // tick before stalling.
    await sleep(30);
    blockLoop(200);
    // More samples than the 5 the collector needs, and at most 100, so the blocked sample is the p99.
    await sleep(300);
    const blockedSnap = await r.collect();
    expect(blockedSnap).toHaveGauge(METRIC_NODEJS_EVENTLOOP_DELAY_P99, exactly({}));
    const blocked = blockedSnap.gauge(METRIC_NODEJS_EVENTLOOP_DELAY_P99)!;
    expect(blocked).toBeGreaterThanOrEqual(0.15);
    expect(blocked).toBeGreaterThan(calm);
    expect((await r.collect()).metric(METRIC_NODEJS_EVENTLOOP_UTILIZATION)?.unit).toBe('1');
  });

  it('buckets v8js.gc.duration with the GC-pause boundaries instead of the request-scale advice', async () => {
    const r = rig();
    // Allocate until at least one GC has been observed.
    let junk: number[][] = [];
    for (let i = 0; i < 200 && (await r.collect()).metric(METRIC_V8JS_GC_DURATION) === undefined; i++) {
      junk = Array.from({ length: 2000 }, () => new Array(100).fill(i));
      await sleep(5);
    }
    expect(junk.length).toBe(2000);
    const snap = await r.collect();
    expect(snap).toHaveHistogram(METRIC_V8JS_GC_DURATION);
    // Merging the series (one per GC type) also checks that they all have these buckets.
    expect(snap.histogram(METRIC_V8JS_GC_DURATION)?.boundaries).toEqual([...GC_DURATION_BUCKETS]);
    for (const point of snap.points(METRIC_V8JS_GC_DURATION)) {
      expect(Object.keys(point.attributes)).toEqual(['v8js.gc.type']);
    }
  });

  it('reports heap, event-loop time and active resources from the runtime package', async () => {
    const r = rig();
    const timer = setInterval(() => {}, 1000);
    try {
      const snap = await r.collect();
      expect(snap).toHaveGauge(METRIC_V8JS_MEMORY_HEAP_USED);
      // Summed over the heap spaces.
      const heapUsed = snap.gauge(METRIC_V8JS_MEMORY_HEAP_USED)!;
      const v8Used = process.memoryUsage().heapUsed;
      expect(Math.abs(heapUsed - v8Used) / v8Used).toBeLessThan(0.25);
      expect(snap).toHaveCounter(METRIC_NODEJS_EVENTLOOP_TIME, { 'nodejs.eventloop.state': 'active' });
      expect(
        snap.counter(METRIC_NODEJS_EVENTLOOP_TIME, { 'nodejs.eventloop.state': 'active' }),
      ).toBeGreaterThan(0);
      expect(snap).toHaveGauge(METRIC_V8JS_RESOURCE_ACTIVE, { 'v8js.resource.type': 'Timeout' });
      expect(
        snap.gauge(METRIC_V8JS_RESOURCE_ACTIVE, { 'v8js.resource.type': 'Timeout' }),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      clearInterval(timer);
    }
  });

  it('reports process.uptime in seconds, matching process.uptime()', async () => {
    const snap = await rig().collect();
    expect(snap).toHaveGauge(METRIC_PROCESS_UPTIME, exactly({}));
    expect(Math.abs(snap.gauge(METRIC_PROCESS_UPTIME)! - process.uptime())).toBeLessThan(1);
    expect(snap.metric(METRIC_PROCESS_UPTIME)?.unit).toBe('s');
  });

  it.runIf(process.platform === 'linux')(
    'counts open file descriptors exactly and reports the soft limit that ulimit -n shows',
    async () => {
      const r = rig();
      const dir = mkdtempSync(join(tmpdir(), 'omb-fd-'));
      const first = await r.collect();
      expect(first).toHaveGauge(METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_COUNT, exactly({}));
      const before = first.gauge(METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_COUNT)!;
      const fds = Array.from({ length: 25 }, (_, i) => openSync(join(dir, `f${i}`), 'w'));
      try {
        const snap = await r.collect();
        expect(snap.gauge(METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_COUNT)! - before).toBe(25);
        const ulimit = Number(execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
        expect(snap.gauge(METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_LIMIT, exactly({}))).toBe(ulimit);
        expect(snap).toHaveGauge(METRIC_PROCESS_MEMORY_VIRTUAL, exactly({}));
        expect(snap.gauge(METRIC_PROCESS_MEMORY_VIRTUAL)).toBeGreaterThan(process.memoryUsage().rss);
      } finally {
        for (const fd of fds) closeSync(fd);
        rmSync(dir, { recursive: true });
      }
    },
  );

  it('skips the /proc metrics, warns once and still collects everything else when /proc cannot be read', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    onTestFinished(() => warn.mockRestore());
    const r = rig({ promClientCompat: true }, { procDir: '/nonexistent/proc/self' });
    const warnings = () => warn.mock.calls.filter(([m]) => String(m).includes('/nonexistent/proc/self'));
    let afterFirst = 0;
    for (let i = 0; i < 3; i++) {
      const snap = await r.collect();
      if (i === 0) afterFirst = warnings().length;
      expect(snap).not.toHaveMetric(METRIC_PROCESS_UNIX_FILE_DESCRIPTOR_COUNT);
      expect(snap).toHaveGauge(METRIC_PROCESS_UPTIME);
      expect(snap.gauge(METRIC_PROCESS_UPTIME)).toBeGreaterThan(0);
      expect(snap).toHaveGauge(METRIC_PROCESS_MEMORY_USAGE);
      expect(snap.gauge(METRIC_PROCESS_MEMORY_USAGE)).toBeGreaterThan(0);
      expect(snap).toHaveCounter('process_cpu_seconds');
      expect(snap.counter('process_cpu_seconds')).toBeGreaterThan(0);
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
    const defaults = await rig().collect();
    expect(defaults.names()).not.toEqual(expect.arrayContaining([expect.stringMatching(/^system\./)]));
    const snap = await rig({ host: { groups: ['process.cpu', 'system.cpu'] } }).collect();
    expect(snap).toHaveCounter(METRIC_SYSTEM_CPU_TIME);
    const cores = new Set(snap.points(METRIC_SYSTEM_CPU_TIME).map((p) => p.attributes['cpu.logical_number']));
    const { cpus } = await import('node:os');
    expect(cores.size).toBe(cpus().length);
    expect(snap).not.toHaveMetric(METRIC_PROCESS_MEMORY_USAGE);
    expect(snap).not.toHaveMetric(METRIC_PROCESS_UPTIME);
  });

  it('starts nothing when runtime and host are off', async () => {
    const snap = await rig({ runtime: false, host: false }).collect();
    expect(snap.names()).toEqual([]);
  });

  it('stops observing after stop(), so values freeze at their last reading', async () => {
    const r = rig();
    const live = await r.collect();
    expect(live).toHaveGauge(METRIC_PROCESS_UPTIME);
    expect(live.gauge(METRIC_PROCESS_UPTIME)).toBeGreaterThan(0);
    r.collectors.stop();
    r.collectors.stop();
    // The SDK keeps reporting the last cumulative value of an async instrument; a live one would move.
    const first = await r.collect();
    burnCpu(20);
    await sleep(20);
    const second = await r.collect();
    expect(first).toHaveGauge(METRIC_PROCESS_UPTIME, exactly({}));
    expect(second.gauge(METRIC_PROCESS_UPTIME)).toBe(first.gauge(METRIC_PROCESS_UPTIME));
    expect(first).toHaveCounter(METRIC_PROCESS_CPU_TIME, exactly(USER));
    expect(second.counter(METRIC_PROCESS_CPU_TIME, exactly(USER))).toBe(
      first.counter(METRIC_PROCESS_CPU_TIME, exactly(USER)),
    );
  });
});
