// Native histograms and exemplars through a real Prometheus (Debian's 2.42): one server started with
// `--enable-feature=native-histograms,exemplar-storage` (it asks for protobuf), one without (it asks for text),
// both scraping every second an app that records a known distribution into an exponential histogram
// (test/e2e/fixtures/native-histograms.mjs). Answers come from Prometheus's HTTP API, so they are what
// Prometheus itself made of our bytes.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../deploy/support.js';
import { freePort, startProcess, waitFor } from '../processes.js';
import { lognormal } from '../prometheus/lognormal.js';

const PRIMER = 0.5;
// Rounded to microseconds, as a latency would be.
const VALUES = lognormal(2000, 11, 0.05, 0.8).map((v) => Math.round(v * 1e6) / 1e6);
// One per exponential bucket (the exemplar contract keeps one per bucket), increasing; each recorded in its own
// sampled span, whose trace id the app prints.
const EXEMPLAR_VALUES = [0.01, 0.1, 1];

const processes: ChildProcess[] = [];
const dirs: string[] = [];
let app: { metrics: URL; control: string };
let traceIds: string[];

interface Api {
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  exemplars(
    expr: string,
  ): Promise<
    { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string }[] }[]
  >;
}
let native: Api;
let classic: Api;

async function startPrometheus(name: string, flags: string[]): Promise<Api> {
  const dir = mkdtempSync(join(tmpdir(), `omb-native-${name}-`));
  dirs.push(dir);
  const target = (job: string, url: URL) => ({
    job_name: job,
    metrics_path: url.pathname,
    static_configs: [{ targets: [url.host] }],
  });
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s' },
    scrape_configs: [target('app', app.metrics)],
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const port = await freePort();
  const prom = await startProcess(
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...flags,
    ],
    [/(Server is ready to receive web requests)/],
    { command: 'prometheus' },
  );
  processes.push(prom.child);
  const base = `http://127.0.0.1:${port}/api/v1`;
  return {
    async query(expr) {
      const res = await fetch(`${base}/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: never[] } };
      if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
      return body.data.result;
    },
    async exemplars(expr) {
      const now = Date.now() / 1000;
      const res = await fetch(
        `${base}/query_exemplars?query=${encodeURIComponent(expr)}&start=${now - 600}&end=${now + 60}`,
      );
      const body = (await res.json()) as { status: string; error?: string; data: never[] };
      if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
      return body.data;
    },
  };
}

async function scalar(api: Api, expr: string): Promise<number | undefined> {
  const r = await api.query(expr);
  return r.length === 1 ? Number(r[0]!.value[1]) : undefined;
}

beforeAll(async () => {
  const started = await startProcess(
    ['test/e2e/fixtures/native-histograms.mjs'],
    [/metrics: (\S+)/, /traces: (\S+)/, /control: (\S+)/],
    {
      cwd: root,
      env: {
        NATIVE_VALUES: JSON.stringify(VALUES),
        NATIVE_PRIMER: String(PRIMER),
        NATIVE_EXEMPLAR_VALUES: JSON.stringify(EXEMPLAR_VALUES),
      },
    },
  );
  processes.push(started.child);
  const [metrics, traces, control] = started.matches as [string, string, string];
  app = { metrics: new URL(metrics), control };
  traceIds = JSON.parse(traces) as string[];
  [native, classic] = await Promise.all([
    startPrometheus('native', ['--enable-feature=native-histograms,exemplar-storage']),
    startPrometheus('classic', []),
  ]);
  // The primer alone, scraped at least once, before the values are recorded: rate() then sees exactly them.
  await waitFor(
    'the primer scraped as a native histogram',
    async () => ((await scalar(native, 'histogram_count(request_latency_seconds)')) === 1 ? true : undefined),
    45_000,
  );
  await fetch(app.control);
  await waitFor(
    'the values scraped',
    async () =>
      (await scalar(native, 'histogram_count(request_latency_seconds)')) === VALUES.length + 1
        ? true
        : undefined,
    30_000,
  );
}, 120_000);

afterAll(() => {
  for (const p of processes) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('native histograms in a real Prometheus 2.42 with --enable-feature=native-histograms', () => {
  it('stores the exponential histogram as one native series: histogram_count and histogram_sum are exactly what was recorded', async () => {
    expect(await scalar(native, 'histogram_count(request_latency_seconds)')).toBe(VALUES.length + 1);
    const sum = VALUES.reduce((a, b) => a + b, PRIMER);
    expect(await scalar(native, 'histogram_sum(request_latency_seconds)')).toBeCloseTo(sum, 9);
    // Native, not classic: no _bucket/_count series were made.
    expect(await native.query('request_latency_seconds_bucket')).toEqual([]);
    expect(await native.query('request_latency_seconds_count')).toEqual([]);
  });

  it('answers histogram_quantile(0.9, rate(x[1m])) within the bucket error of the true 0.9 quantile', async () => {
    const sorted = [...VALUES].sort((a, b) => a - b);
    const truth = sorted[Math.ceil(0.9 * sorted.length) - 1]!;
    const answer = await waitFor('a rate over the values', async () => {
      const q = await scalar(native, 'histogram_quantile(0.9, rate(request_latency_seconds[1m]))');
      return q !== undefined && Number.isFinite(q) ? q : undefined;
    });
    // The answer lies in the native bucket that holds the true quantile: (base^(k-1), base^k] at the served
    // schema (the SDK picks scale 4 for this spread with its 160 buckets: a bucket is 4.4 % wide).
    const schema = await scrapedSchema();
    expect(schema).toBeGreaterThanOrEqual(3);
    const k = Math.ceil(Math.log2(truth) * 2 ** schema);
    expect(answer).toBeGreaterThanOrEqual(2 ** ((k - 1) / 2 ** schema));
    expect(answer).toBeLessThanOrEqual(2 ** (k / 2 ** schema));
  });

  it('keeps the other series of the same scrape: up and target_info', async () => {
    expect(await scalar(native, 'up{job="app"}')).toBe(1);
    expect((await native.query('target_info{job="app"}')).length).toBe(1);
  });

  it('stores the exemplars of sampled spans, served with a native histogram and a counter: /api/v1/query_exemplars returns their trace ids', async () => {
    expect(traceIds).toHaveLength(EXEMPLAR_VALUES.length);
    const found = await waitFor('exemplars of both series', async () => {
      const r = await native.exemplars('{__name__=~"ex_latency_seconds|ex_requests_total"}');
      const byName = new Map(
        r.map((s) => [s.seriesLabels['__name__'], s.exemplars.map((e) => e.labels['trace_id'])]),
      );
      return byName.size === 2 ? byName : undefined;
    });
    // Prometheus 2.42 takes one exemplar per native histogram and scrape (the latest, on the +Inf bucket).
    expect(found.get('ex_latency_seconds')).toContain(traceIds.at(-1));
    expect(found.get('ex_requests_total')).toEqual([traceIds.at(-1)]);
    for (const ids of found.values()) for (const id of ids) expect(traceIds).toContain(id);
  });
});

describe('the same app scraped by Prometheus 2.42 without the feature flag', () => {
  it('still scrapes it (text format): up == 1 and its counter and target_info are stored', async () => {
    await waitFor('a classic scrape', async () =>
      (await scalar(classic, 'up{job="app"}')) === 1 ? true : undefined,
    );
    expect((await classic.query('target_info{job="app"}')).length).toBe(1);
    expect(await scalar(classic, 'ex_requests_total')).toBe(EXEMPLAR_VALUES.length);
  });
});

/** The schema the app serves for the histogram, read from one protobuf scrape. */
async function scrapedSchema(): Promise<number> {
  const { decodeFamilies } = await import('../prometheus/protobuf-decode.js');
  const res = await fetch(app.metrics, {
    headers: {
      Accept: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited',
    },
  });
  const families = decodeFamilies(new Uint8Array(await res.arrayBuffer()));
  return families.find((f) => f.name === 'request_latency_seconds')!.metric[0]!.histogram!.schema!;
}
