import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULTS } from '../../src/config.js';
import { readYaml, readYamlDocuments, type ScrapeConfig } from './support.js';

type Components = Record<string, Record<string, unknown> | null>;
interface CollectorConfig {
  receivers: Components;
  processors: Components;
  exporters: Components;
  extensions?: Components;
  service: {
    extensions?: string[];
    pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }>;
    telemetry?: {
      metrics?: { readers?: { pull?: { exporter: { prometheus: { host: string; port: number } } } }[] };
    };
  };
}
interface ComposeService {
  image?: string;
  command?: string[];
  ports?: string[];
  volumes?: string[];
}

const compose = readYaml<{ services: Record<string, ComposeService> }>('docker-compose.yml');
const composeConfig = readYaml<CollectorConfig>('otel-collector.yaml');
const k8sConfig = parse(
  readYamlDocuments<{ kind: string; data?: Record<string, string> }>('deploy/k8s/otel-collector.yaml').find(
    (d) => d.kind === 'ConfigMap',
  )!.data!['config.yaml']!,
) as CollectorConfig;

describe.each([
  ['otel-collector.yaml', composeConfig],
  ['deploy/k8s/otel-collector.yaml', k8sConfig],
])('%s', (_name, config) => {
  const pipelines = Object.values(config.service.pipelines);
  const used = {
    receivers: new Set(pipelines.flatMap((p) => p.receivers)),
    processors: new Set(pipelines.flatMap((p) => p.processors ?? [])),
    exporters: new Set(pipelines.flatMap((p) => p.exporters)),
    extensions: new Set(config.service.extensions ?? []),
  };

  it.each(['receivers', 'processors', 'exporters', 'extensions'] as const)(
    'defines every one of its %s used in the service, and uses every one it defines',
    (kind) => {
      expect([...used[kind]].sort()).toEqual(Object.keys(config[kind] ?? {}).sort());
    },
  );

  it('has the Prometheus receiver (pull) and the OTLP receiver on gRPC 4317 and HTTP 4318 (push)', () => {
    expect(used.receivers).toEqual(new Set(['prometheus', 'otlp']));
    expect(config.receivers['otlp']).toEqual({
      protocols: { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } },
    });
  });

  it('starts every pipeline with memory_limiter, ends it with batch, and exports with remote write', () => {
    for (const [name, p] of Object.entries(config.service.pipelines)) {
      expect(p.processors?.[0], name).toBe('memory_limiter');
      expect(p.processors?.at(-1), name).toBe('batch');
      expect(p.exporters, name).toContain('prometheus_remote_write');
    }
    expect(Object.keys(config.exporters).sort()).toEqual(['debug', 'prometheus_remote_write']);
  });

  it('scrapes the app on the default metrics path', () => {
    const jobs = (config.receivers['prometheus'] as { config: { scrape_configs: ScrapeConfig[] } }).config
      .scrape_configs;
    for (const job of jobs) expect(job.metrics_path ?? '/metrics').toBe(DEFAULTS.prometheus.path);
  });

  it('serves its own metrics on 8888 for Prometheus', () => {
    expect(config.service.telemetry?.metrics?.readers?.[0]?.pull?.exporter.prometheus).toEqual({
      host: '0.0.0.0',
      port: 8888,
    });
  });
});

describe('otel-collector.yaml and docker-compose.yml agree', () => {
  const collector = compose.services['otel-collector']!;

  it("scrapes the compose app service on the app's default port", () => {
    const [job] = (composeConfig.receivers['prometheus'] as { config: { scrape_configs: ScrapeConfig[] } })
      .config.scrape_configs;
    expect(job!.static_configs).toEqual([{ targets: [`app:${DEFAULTS.prometheus.port}`] }]);
    expect(compose.services['app']!.ports).toContain(
      `${DEFAULTS.prometheus.port}:${DEFAULTS.prometheus.port}`,
    );
  });

  it('is the file the Collector container loads', () => {
    const config = collector.command?.find((c) => c.startsWith('--config='))?.slice('--config='.length);
    expect(collector.volumes).toContain(`./otel-collector.yaml:${config}:ro`);
    expect(collector.image).toMatch(/^otel\/opentelemetry-collector-contrib:\d+\.\d+\.\d+$/);
  });

  it('publishes the OTLP, telemetry and health ports it listens on', () => {
    const health = (composeConfig.extensions!['health_check'] as { endpoint: string }).endpoint;
    for (const port of [4317, 4318, 8888, Number(health.split(':')[1])]) {
      expect(collector.ports).toContain(`${port}:${port}`);
    }
  });

  it('remote-writes to the compose Prometheus, which has its receiver on', () => {
    const url = new URL(
      (composeConfig.exporters['prometheus_remote_write'] as { endpoint: string }).endpoint,
    );
    expect(url.hostname).toBe('prometheus');
    expect(url.pathname).toBe('/api/v1/write');
    expect(compose.services['prometheus']!.ports).toContain(`${url.port}:${url.port}`);
    expect(compose.services['prometheus']!.command).toContain('--web.enable-remote-write-receiver');
  });

  it('is scraped by Prometheus on its telemetry port', () => {
    const prom = readYaml<{ scrape_configs: ScrapeConfig[] }>('deploy/prometheus/prometheus.yml');
    const job = prom.scrape_configs.find((j) => j.job_name === 'otel-collector');
    expect(job?.static_configs).toEqual([{ targets: ['otel-collector:8888'] }]);
  });
});

describe('deploy/k8s/otel-collector.yaml', () => {
  it('discovers pods by annotation and adds Kubernetes metadata to pushed data with k8s_attributes', () => {
    const [job] = (k8sConfig.receivers['prometheus'] as { config: { scrape_configs: ScrapeConfig[] } }).config
      .scrape_configs;
    expect(job!.kubernetes_sd_configs).toEqual([{ role: 'pod' }]);
    expect(job!.relabel_configs?.[0]).toMatchObject({
      source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'],
      action: 'keep',
    });
    // The Collector expands ${…}: a relabel replacement needs $$ to reach Prometheus as $.
    expect(job!.relabel_configs?.find((r) => r['target_label'] === '__address__')?.['replacement']).toBe(
      '$$1:$$2',
    );
    // k8s_attributes matches by the sending connection, which batch drops: it must come before batch.
    const push = k8sConfig.service.pipelines['metrics/push']!;
    expect(push.receivers).toEqual(['otlp']);
    expect(push.processors).toEqual(['memory_limiter', 'k8s_attributes', 'batch']);
  });
});
