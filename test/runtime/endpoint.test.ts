import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { diag } from '@opentelemetry/api';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { initMeter, type MetricsHandle } from '../../src/init.js';
import { exactly, expectExposition } from '../../src/testing/index.js';
import { type ParsedFamily, promtoolCheck, referenceParse } from '../helpers.js';
import { type Rig, startRig } from './reader.js';

const handles: MetricsHandle[] = [];
const rigs: Rig[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.shutdown();
  for (const r of rigs.splice(0)) await r.close();
  vi.restoreAllMocks();
});

/**
 * A full GC now, without starting the test process with --expose-gc: the GC histograms of a scrape then have a
 * sample even when V8 happened not to collect since the collectors started.
 */
function forceGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function scrape(config: Parameters<typeof initMeter>[0] = {}): Promise<string> {
  // coalesceWindow 0: the second scrape must collect afresh, after the priming one.
  const h = initMeter({ prometheus: { port: 0, coalesceWindow: 0 }, ...config });
  handles.push(h);
  await h.ready;
  await fetch(h.metricsUrl!); // the first collection primes the delay histogram and utilization
  forceGc();
  await new Promise((r) => setTimeout(r, 60));
  const res = await fetch(h.metricsUrl!);
  expect(res.status).toBe(200);
  return res.text();
}

/** Sample lines, i.e. Prometheus series, excluding target_info. */
function series(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('target_info'));
}

/** Every sample name a family produces (histograms: _bucket, _sum, _count). */
function sampleNames(f: ParsedFamily): string[] {
  return [...new Set(f.samples.map((s) => s.name))];
}

function withoutScope(labels: Record<string, string>): string[] {
  return Object.keys(labels)
    .filter((k) => !k.startsWith('otel_scope_') && k !== 'le')
    .sort();
}

/** The lint lines promtool prints for an exposition (exit 3 means lint findings only). */
async function promtoolLint(text: string): Promise<string[]> {
  const out = await promtoolCheck(text, [/./]);
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

describe('runtime metrics on the Prometheus endpoint', () => {
  it('keeps the default series bounded and passes promtool and the reference parsers', async () => {
    const text = await scrape();
    const count = series(text).length;
    // Counted on a 2-core machine: see the README. GC adds 15 series per GC kind seen (at most 4 kinds).
    console.log(`default runtime/process series: ${count}`);
    expect(count).toBeGreaterThan(60);
    expect(count).toBeLessThanOrEqual(170);
    await promtoolCheck(text);
    const families = await referenceParse(text);
    expect(families.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'process_cpu_time_seconds',
        'process_cpu_utilization_ratio',
        'process_memory_usage_bytes',
        'process_uptime_seconds',
        'nodejs_eventloop_delay_p99_seconds',
        'nodejs_eventloop_utilization_ratio',
        'nodejs_eventloop_time_seconds',
        'v8js_memory_heap_used_bytes',
        'v8js_resource_active',
      ]),
    );
    expect(text).not.toMatch(/^system_/m);
  });

  it('puts the runtime version and the process start time on target_info', async () => {
    const text = await scrape({ host: false, runtime: false });
    await referenceParse(text);
    const exposition = expectExposition(text).toHaveSample('target_info', {
      process_runtime_name: 'nodejs',
      process_runtime_version: process.versions.node,
    });
    const info = exposition.samples('target_info')[0]!.labels;
    // ISO 8601 keeps milliseconds; timeOrigin has a fraction.
    expect(Math.abs(Date.parse(info['process_creation_time']!) - performance.timeOrigin)).toBeLessThan(1);
  });

  it('serves 200 with every other metric when a collector callback throws, and logs it', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const rss = vi.spyOn(process.memoryUsage, 'rss').mockImplementation(() => {
      throw new Error('rss unavailable');
    });
    onTestFinished(() => {
      warn.mockRestore();
      rss.mockRestore();
    });
    const text = await scrape();
    expectExposition(text)
      .toHaveSample('process_uptime_seconds')
      .toHaveSample('v8js_memory_heap_used_bytes')
      .not.toHaveSample('process_memory_usage_bytes');
    expect(warn.mock.calls.flat().map(String).join('\n')).toContain('rss unavailable');
  });

  it('exposes every prom-client default metric with the same name, type and labels', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    await new Promise((r) => setTimeout(r, 20));
    const theirs = (await referenceParse(await registry.metrics())).filter((f) => f.samples.length > 0);
    const ours = new Map(
      (await referenceParse(await scrape({ promClientCompat: true }))).map((f) => [f.name, f]),
    );
    expect(theirs.length).toBeGreaterThan(20);
    for (const family of theirs) {
      const mine = ours.get(family.name);
      expect(mine, family.name).toBeDefined();
      expect(mine!.type, family.name).toBe(family.type);
      expect(withoutScope(mine!.samples[0]!.labels), family.name).toEqual(
        withoutScope(family.samples[0]!.labels),
      );
    }
  });

  it('gives prom-client names plausible values', async () => {
    const r = startRig({ promClientCompat: true, runtime: false, host: false });
    rigs.push(r);
    // Looked up by their Prometheus names, which the snapshot knows.
    const snap = await r.collect();
    const rss = process.memoryUsage().rss;
    const cpu = process.cpuUsage();
    const gauge = (name: string) => {
      expect(snap).toHaveGauge(name, exactly({}));
      return snap.gauge(name)!;
    };
    const counter = (name: string) => {
      expect(snap).toHaveCounter(name, exactly({}));
      return snap.counter(name)!;
    };
    expect(Math.abs(gauge('process_resident_memory_bytes') - rss) / rss).toBeLessThan(0.1);
    expect(counter('process_cpu_seconds_total')).toBeLessThanOrEqual((cpu.user + cpu.system) / 1e6);
    expect(counter('process_cpu_seconds_total')).toBeCloseTo(
      counter('process_cpu_user_seconds_total') + counter('process_cpu_system_seconds_total'),
      6,
    );
    expect(
      Math.abs(gauge('process_start_time_seconds') - (Date.now() / 1000 - process.uptime())),
    ).toBeLessThan(1);
    const [major, minor, patch] = process.versions.node.split('.') as [string, string, string];
    expect(snap).toHaveGauge(
      'nodejs_version_info',
      exactly({ version: process.version, major, minor, patch }),
      1,
    );
    expect(gauge('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    if (process.platform === 'linux')
      expect(gauge('process_max_fds')).toBeGreaterThan(gauge('process_open_fds'));
  });

  it('keeps prom-client names and our semconv names apart, in text and OpenMetrics alike', async () => {
    const text = await scrape({ promClientCompat: true, host: { groups: ['process', 'system'] } });
    // No sample name is produced by two families, and no family name is reused.
    const families = await referenceParse(text);
    const owner = new Map<string, string>();
    for (const f of families) {
      for (const name of sampleNames(f)) {
        expect(owner.get(name), `${name} from ${f.name} and ${owner.get(name)}`).toBeUndefined();
        owner.set(name, f.name);
      }
    }
    expect(new Set(families.map((f) => f.name)).size).toBe(families.length);
    // The same collection as OpenMetrics, through the reference OpenMetrics parser (stricter on suffixes).
    const r = startRig({ promClientCompat: true, host: { groups: ['process', 'system'] } });
    rigs.push(r);
    await r.collect();
    const om = await r.tm.exposition('openmetrics');
    const omFamilies = await referenceParse(om, 'openmetrics');
    expect(omFamilies.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'process_cpu_seconds',
        'nodejs_eventloop_lag_seconds',
        'process_cpu_time_seconds',
      ]),
    );
  });

  it('draws no promtool complaint about prom-client names that prom-client itself does not draw', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const theirs = new Set(await promtoolLint(await registry.metrics()));
    const ours = await promtoolLint(await scrape({ promClientCompat: true }));
    for (const h of handles.splice(0)) await h.shutdown();
    // prom-client's own `nodejs_active_*_total` gauges; our only other finding is the semconv `_count` one.
    expect(ours.filter((l) => !theirs.has(l))).toEqual([
      'process_unix_file_descriptor_count non-histogram and non-summary metrics should not have "_count" suffix',
    ]);
    expect(await promtoolLint(await scrape({ promClientCompat: false }))).toEqual([
      'process_unix_file_descriptor_count non-histogram and non-summary metrics should not have "_count" suffix',
    ]);
  });
});
