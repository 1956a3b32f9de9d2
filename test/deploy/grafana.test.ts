import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readYaml, root } from './support.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
}
interface Compose {
  services: Record<string, { volumes?: string[]; ports?: string[]; environment?: Record<string, string> }>;
}

const dashboardPath = 'deploy/grafana/dashboards/otel-metrics-bootstrap.json';
const dashboard = JSON.parse(readFileSync(root + dashboardPath, 'utf8')) as Dashboard;
const graphs = dashboard.panels.filter((p) => p.type !== 'row');
const exprs = graphs.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const compose = readYaml<Compose>('docker-compose.yml');
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JavaScript template.
const DATASOURCE_VARIABLE = '${datasource}';

describe('the Grafana dashboard', () => {
  it.each([
    [
      'request rate by route',
      /^sum by \(http_route\) \(rate\(http_server_request_duration_seconds_count\{[^}]*\}\[/,
    ],
    ['errors via error_type', /http_server_request_duration_seconds_count\{[^}]*error_type!=""/],
    [
      'p50 latency',
      /histogram_quantile\(0\.5, sum by \(le, http_route\) \(rate\(http_server_request_duration_seconds_bucket/,
    ],
    ['p95 latency', /histogram_quantile\(0\.95, sum by \(le, http_route\)/],
    ['p99 latency', /histogram_quantile\(0\.99, sum by \(le, http_route\)/],
    ['active requests', /http_server_active_requests/],
    ['event-loop delay', /nodejs_eventloop_delay_p99_seconds/],
    ['heap', /v8js_memory_heap_used_bytes/],
    ['GC', /v8js_gc_duration_seconds/],
    ['CPU', /process_cpu_time_seconds_total/],
    ['memory', /process_memory_usage_bytes/],
    ['open file descriptors', /process_unix_file_descriptor_count/],
    ['scrape self-metrics', /omb_scrape_duration_seconds_bucket/],
    ['cardinality overflow', /omb_cardinality_overflow_series/],
    ['export failures', /omb_export_requests_total\{[^}]*outcome="failure"/],
  ])('has a panel for %s', (_what, pattern) => {
    expect(exprs.some((e) => pattern.test(e))).toBe(true);
  });

  it('filters every query by the job and instance variables and uses $__rate_interval in every rate', () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'instance']);
    for (const expr of exprs) {
      for (const selector of expr.match(/\{[^}]*\}/g) ?? []) {
        expect(selector, expr).toContain('job=~"$job", instance=~"$instance"');
      }
      expect(expr, 'a fixed rate window').not.toMatch(/\[\d+[smh]\]/);
    }
  });

  it('has unique panel ids, non-overlapping panels and the datasource variable on every query', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      for (let dx = 0; dx < p.gridPos.w; dx++) {
        for (let dy = 0; dy < p.gridPos.h; dy++) {
          const cell = `${p.gridPos.x + dx},${p.gridPos.y + dy}`;
          expect(cells.has(cell), `${p.title} overlaps at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
    }
    for (const p of graphs) {
      expect(p.datasource?.uid, p.title).toBe(DATASOURCE_VARIABLE);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe(DATASOURCE_VARIABLE);
    }
  });
});

describe('Grafana provisioning', () => {
  const grafana = compose.services['grafana']!;
  const mountOf = (source: string) => grafana.volumes?.find((v) => v.startsWith(`${source}:`))?.split(':')[1];

  it('points the datasource at the compose Prometheus service', () => {
    const { datasources } = readYaml<{ datasources: { type: string; url: string; uid: string }[] }>(
      'deploy/grafana/provisioning/datasources/prometheus.yml',
    );
    expect(datasources).toHaveLength(1);
    const url = new URL(datasources[0]!.url);
    expect(datasources[0]!.type).toBe('prometheus');
    expect(Object.keys(compose.services)).toContain(url.hostname);
    expect(compose.services[url.hostname]!.ports).toContain(`${url.port}:${url.port}`);
  });

  it('loads dashboards from where docker-compose mounts deploy/grafana/dashboards', () => {
    expect(mountOf('./deploy/grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const { providers } = readYaml<{ providers: { type: string; options: { path: string } }[] }>(
      'deploy/grafana/provisioning/dashboards/dashboards.yml',
    );
    expect(providers[0]!.options.path).toBe(mountOf('./deploy/grafana/dashboards'));
    expect(grafana.environment?.['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH']).toBe(
      `${providers[0]!.options.path}/otel-metrics-bootstrap.json`,
    );
  });
});
