import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Attributes } from '@opentelemetry/api';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { expect } from 'vitest';
import { createHttpMetricProducer } from '../../src/http/instrumentation.js';
import { initMeter, type MetricsConfig, type MetricsHandle } from '../../src/index.js';
import {
  type MetricsSnapshot,
  matchesAttributes,
  type SnapshotAttributes,
  toSnapshot,
} from '../../src/testing/index.js';
import { type ParsedFamily, promtoolCheck, referenceParse } from '../helpers.js';

export const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** initMeter() with the endpoint on a free port, after a previous handle (if any) was shut down. */
export async function startMeter(config: MetricsConfig = {}): Promise<MetricsHandle> {
  const handle = initMeter({ prometheus: { port: 0 }, ...config });
  await handle.ready;
  return handle;
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The HTTP metrics as the SDK data model, read through the same producer a reader would use. */
export async function collect(): Promise<Map<string, MetricData>> {
  const { resourceMetrics } = await createHttpMetricProducer().collect();
  const out = new Map<string, MetricData>();
  for (const scope of resourceMetrics.scopeMetrics)
    for (const m of scope.metrics) out.set(m.descriptor.name, m);
  return out;
}

/**
 * Data points of one metric, in the SDK's shape (tests read bucket arrays and attribute value types), whose
 * attributes include all of `match`.
 */
export async function points<T = Histogram>(name: string, match: Attributes = {}): Promise<DataPoint<T>[]> {
  const metric = (await collect()).get(name);
  if (!metric) return [];
  return (metric.dataPoints as DataPoint<T>[]).filter((p) =>
    matchesAttributes(p.attributes as SnapshotAttributes, match as SnapshotAttributes),
  );
}

/** The HTTP metrics as a test-kit snapshot, read through the same producer a reader would use. */
export async function snapshot(): Promise<MetricsSnapshot> {
  const { resourceMetrics, errors } = await createHttpMetricProducer().collect();
  return toSnapshot(resourceMetrics, errors);
}

/** Total histogram count over the matching series (0 when none matches). */
export async function count(name: string, match: Attributes = {}): Promise<number> {
  return (await snapshot()).histogram(name, match as SnapshotAttributes)?.count ?? 0;
}

/** Sum of an up-down counter over the matching series (0 when none matches). */
export async function gauge(name: string, match: Attributes = {}): Promise<number> {
  return (await snapshot()).gauge(name, match as SnapshotAttributes) ?? 0;
}

/**
 * Retries an assertion until it passes (or 5 s pass): a response's `finish` can come a moment after the
 * client has read the body, in the same process.
 */
export async function eventually<T>(check: () => Promise<T> | T): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** GETs a URL and reads the body. */
export async function get(url: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text() };
}

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs Node (the toolchain's, the one running the tests) with arguments; resolves when it exits. */
export function runNode(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The fixture apps (test/http/fixtures/) print their own scrape between these markers before exiting. */
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/**
 * Runs a fixture app with `env` added, checks that it started metrics and exited cleanly, validates its scrape
 * with promtool and returns it parsed by the reference parser.
 */
export async function scrapeOfFixture(args: string[], env: Record<string, string>): Promise<ParsedFamily[]> {
  const { code, stdout, stderr } = await runNode(args, { cwd: FIXTURES, env });
  expect(stderr).not.toMatch(/metrics not started/);
  expect(code).toBe(0);
  const text = /<<<METRICS\n([\s\S]*)METRICS>>>/.exec(stdout)?.[1];
  expect(text).toBeDefined();
  await promtoolCheck(text!);
  return referenceParse(text!);
}
