// The shipped Prometheus setup against real processes: deploy/prometheus/prometheus.yml (ports rewritten to
// random ones) and the shipped rules, run by the real Prometheus server, scraping the demo and a service that
// produces errors, cardinality overflow, callback failures and failing OTLP exports. Every PromQL expression in
// the Grafana dashboard and in the recording rules must execute and return data, and the alerts' unit tests must
// name real metrics and labels.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type PrometheusConfig, readYaml, root } from '../deploy/support.js';
import { freePort, type Started, startProcess, waitFor } from '../processes.js';

const promDir = join(root, 'deploy/prometheus');

/** Labels whose values come from the library itself, so the alerts' unit tests must use real ones. */
const LIBRARY_DEFINED_VALUES = ['exporter', 'outcome', 'otel_scope_name'];

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
}
interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: { query: string } | string }[] };
}

const rules = (file: string): Rule[] =>
  readYaml<{ groups: { rules: Rule[] }[] }>(`deploy/prometheus/rules/${file}`).groups.flatMap((g) => g.rules);
const recordingRules = rules('recording.yml');
const alertRules = rules('alerts.yml');
const dashboard = JSON.parse(
  readFileSync(join(root, 'deploy/grafana/dashboards/otel-metrics-bootstrap.json'), 'utf8'),
) as Dashboard;
const panelExprs = (panels: Panel[]): { where: string; expr: string }[] =>
  panels.flatMap((p) => [
    ...(p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })),
    ...panelExprs(p.panels ?? []),
  ]);

/** Grafana's variables as the dashboard would resolve them here: job "app", every instance. */
function substitute(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', 'app').replaceAll('$instance', '.+');
}

/** `label_values(selector, label)` is Grafana's, not PromQL: the series API answers it. */
function labelValuesQuery(query: string): { selector: string; label: string } {
  const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
  if (!m) throw new Error(`unexpected variable query ${query}`);
  return { selector: substitute(m[1]!), label: m[2]! };
}

const processes: ChildProcess[] = [];
let api = '';
let dir = '';

interface QueryResult {
  status: string;
  error?: string;
  data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
}
async function query(expr: string): Promise<QueryResult> {
  const res = await fetch(`${api}/query?query=${encodeURIComponent(expr)}`);
  return (await res.json()) as QueryResult;
}

/**
 * The shipped config, rewritten for this machine: 1 s intervals, rule files by absolute path, the app job
 * pointed at the two services, and the Kubernetes job's pod discovery replaced by file discovery that yields
 * what Kubernetes would (the Debian build has no Kubernetes discovery), so its relabelling runs for real.
 */
function rewriteConfig(demo: URL, faults: URL, podsFile: string): string {
  const config = readYaml<PrometheusConfig>('deploy/prometheus/prometheus.yml');
  const k8s = readYaml<PrometheusConfig>('deploy/prometheus/prometheus-kubernetes.yml');
  config.global = { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' };
  config.rule_files = config.rule_files.map((f) => join(promDir, f));
  const jobs = config.scrape_configs;
  // No Collector binary on this machine: its scrape target is checked in test/deploy/collector.test.ts.
  expect(jobs.map((j) => j.job_name)).toEqual(['app', 'otel-collector']);
  const app = jobs[0]!;
  expect(app.metrics_path).toBe(demo.pathname);
  app.static_configs = [{ targets: [demo.host, faults.host] }];
  const pods = k8s.scrape_configs[0]!;
  delete pods.kubernetes_sd_configs;
  pods.file_sd_configs = [{ files: [podsFile], refresh_interval: '1s' }];
  config.scrape_configs = [app, pods];
  return stringify(config);
}

/** Three pods as Kubernetes pod discovery presents them: one opted in, one not annotated, one pending. */
function kubernetesPods(demo: URL): string {
  const pod = (name: string, extra: Record<string, string>) => ({
    targets: ['127.0.0.1:8080'],
    labels: {
      __meta_kubernetes_namespace: 'shop',
      __meta_kubernetes_pod_name: name,
      __meta_kubernetes_pod_ip: '127.0.0.1',
      __meta_kubernetes_pod_phase: 'Running',
      __meta_kubernetes_pod_container_name: 'app',
      __meta_kubernetes_pod_label_app_kubernetes_io_name: 'demo-shop',
      ...extra,
    },
  });
  const optIn = {
    __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'true',
    __meta_kubernetes_pod_annotation_prometheus_io_port: demo.port,
    __meta_kubernetes_pod_annotation_prometheus_io_path: demo.pathname,
  };
  return JSON.stringify([
    pod('demo-shop-0', optIn),
    pod('other-0', {}),
    pod('demo-shop-1', { ...optIn, __meta_kubernetes_pod_phase: 'Pending' }),
  ]);
}

beforeAll(async () => {
  const metricsUrl = /metrics:\s+(\S+)/;
  const started: Started[] = await Promise.all([
    startProcess(['examples/demo/server.js'], [metricsUrl], {
      cwd: root,
      env: { DEMO_PORT: '0', OTEL_EXPORTER_PROMETHEUS_PORT: '0' },
    }),
    startProcess(['test/e2e/fixtures/faults.mjs'], [metricsUrl], { cwd: root }),
  ]);
  processes.push(...started.map((s) => s.child));
  const [demo, faults] = started.map((s) => new URL(s.matches[0]!)) as [URL, URL];

  dir = mkdtempSync(join(tmpdir(), 'omb-deploy-prom-'));
  writeFileSync(join(dir, 'pods.json'), kubernetesPods(demo));
  writeFileSync(join(dir, 'prometheus.yml'), rewriteConfig(demo, faults, join(dir, 'pods.json')));
  const port = await freePort();
  const prom = await startProcess(
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    [/(Server is ready to receive web requests)/],
    { command: 'prometheus' },
  );
  processes.push(prom.child);
  api = `http://127.0.0.1:${port}/api/v1`;
  // Two scrapes of every target: enough for rate() over them.
  await waitFor(
    'two scrapes of each target',
    async () => {
      const r = await query('count_over_time(up[1m]) >= 2');
      return (r.data?.result.length ?? 0) >= 3 ? true : undefined;
    },
    45_000,
  );
}, 90_000);

afterAll(() => {
  for (const p of processes) p.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the shipped Prometheus config, run by a real Prometheus server', () => {
  it('scrapes both app instances and the annotated pod: up == 1', async () => {
    const up = await query('up');
    const byTarget = Object.fromEntries(
      (up.data?.result ?? []).map((r) => [
        `${r.metric['job']} ${r.metric['pod'] ?? r.metric['instance']}`,
        r.value[1],
      ]),
    );
    expect(Object.values(byTarget)).toEqual(['1', '1', '1']);
    expect(Object.keys(byTarget).filter((k) => k.startsWith('app '))).toHaveLength(2);
    // Pod discovery keeps only the running pod that opted in, labelled with its namespace and name.
    expect(up.data?.result.find((r) => r.metric['job'] === 'kubernetes-pods')?.metric).toMatchObject({
      namespace: 'shop',
      pod: 'demo-shop-0',
      container: 'app',
      app: 'demo-shop',
    });
  });

  it('sees HTTP traffic: sum(rate(http_server_request_duration_seconds_count[1m])) > 0', async () => {
    const r = await query('sum(rate(http_server_request_duration_seconds_count[1m]))');
    expect(Number(r.data?.result[0]?.value[1])).toBeGreaterThan(0);
  });

  it('returns data for every expression in the dashboard, its variables and the recording rules', async () => {
    const exprs = [
      ...panelExprs(dashboard.panels),
      ...recordingRules.map((r) => ({ where: `recording rule ${r.record}`, expr: r.expr })),
    ];
    expect(exprs.length).toBeGreaterThan(25);
    // Rates need two samples and recorded series a rule evaluation: poll until all have data, then report
    // whichever still have none.
    let empty: string[] = [];
    await waitFor(
      'every expression to return data',
      async () => {
        empty = [];
        for (const { where, expr } of exprs) {
          const r = await query(substitute(expr));
          expect(r.status, `${where}: ${expr}\n${r.error}`).toBe('success');
          if (!r.data?.result.length) empty.push(`${where}: ${expr}`);
        }
        return empty.length === 0 ? true : undefined;
      },
      20_000,
    ).catch(() => undefined);
    expect(empty).toEqual([]);

    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const q = typeof variable.query === 'string' ? variable.query : variable.query!.query;
      const { selector, label } = labelValuesQuery(q);
      const res = await fetch(`${api}/label/${label}/values?match[]=${encodeURIComponent(selector)}`);
      const body = (await res.json()) as { data: string[] };
      expect(body.data.length, `variable ${variable.name}: ${q}`).toBeGreaterThan(0);
    }
  }, 60_000);

  it('stores every recording rule as a series', async () => {
    for (const { record } of recordingRules) {
      const r = await query(record!);
      expect(r.data?.result.length, record).toBeGreaterThan(0);
    }
  });

  it('executes every alert expression without error; the export alerts see the failing OTLP exporter', async () => {
    for (const { alert, expr } of alertRules) {
      const r = await query(expr);
      expect(r.status, `${alert}: ${r.error}`).toBe('success');
    }
    // The fault service exports over OTLP, with delta temporality, to a receiver that rejects every other export.
    for (const name of ['MetricsExportFailing', 'MetricsExportDroppingPoints']) {
      const { expr } = alertRules.find((r) => r.alert === name)!;
      await waitFor(name, async () => ((await query(expr)).data?.result.length ? true : undefined), 20_000);
      const r = await query(expr);
      expect(
        r.data?.result.map((x) => x.metric),
        name,
      ).toEqual([expect.objectContaining({ job: 'app', exporter: 'otlp' })]);
    }
  });

  it("names only metrics and labels in the alerts' promtool unit tests that the real services expose", async () => {
    const tests = readYaml<{ tests: { input_series?: { series: string }[] }[] }>(
      'deploy/prometheus/rules/alerts.test.yml',
    ).tests;
    const selectors = new Set(tests.flatMap((t) => (t.input_series ?? []).map((i) => i.series)));
    expect(selectors.size).toBeGreaterThan(10);
    for (const selector of selectors) {
      const m = /^(\w+)\{(.*)\}$/.exec(selector);
      expect(m, selector).not.toBeNull();
      const [, name, body] = m!;
      const labels = Object.fromEntries([...body!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
      const res = await fetch(`${api}/series?match[]=${encodeURIComponent(name!)}`);
      const real = ((await res.json()) as { data: Record<string, string>[] }).data;
      // Every label the unit test sets exists together on one real series; the labels whose values the library
      // defines (not the app) must also have a value the library really writes.
      const matching = real.filter((series) =>
        Object.entries(labels).every(
          ([k, v]) => k in series && (!LIBRARY_DEFINED_VALUES.includes(k) || series[k] === v),
        ),
      );
      expect(
        matching.length,
        `${selector} has no real counterpart among ${real.length} ${name} series`,
      ).toBeGreaterThan(0);
    }
  });

  it('loads the rule files and fires no alert before its `for` window', async () => {
    const body = (await (await fetch(`${api}/rules`)).json()) as {
      data: {
        groups: {
          rules: { name: string; health: string; lastError?: string; type: string; state?: string }[];
        }[];
      };
    };
    const loaded = body.data.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name).sort()).toEqual(
      [...recordingRules.map((r) => r.record), ...alertRules.map((r) => r.alert)].sort(),
    );
    for (const r of loaded) expect(r.health, `${r.name}: ${r.lastError}`).not.toBe('err');
    // The fault service overflows an instrument and fails its exports on purpose; those alerts wait 5 to 15
    // minutes before they fire.
    expect(loaded.filter((r) => r.type === 'alerting' && r.state === 'firing').map((r) => r.name)).toEqual(
      [],
    );
  });
});
