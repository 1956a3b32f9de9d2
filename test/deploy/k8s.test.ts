import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { readYamlDocuments } from './support.js';

interface Container {
  name: string;
  ports: { name: string; containerPort: number }[];
  env: { name: string; value?: string }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
}
interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: { containers: Container[] };
    };
    ports?: { name: string; port: number; targetPort: string }[];
    endpoints?: { port: string; path: string }[];
    podMetricsEndpoints?: { port: string; path: string }[];
  };
}

const app = readYamlDocuments<Manifest>('deploy/k8s/app.yaml');
const deployment = app.find((d) => d.kind === 'Deployment')!;
const service = app.find((d) => d.kind === 'Service')!;
const podLabels = deployment.spec.template!.metadata.labels;
const container = deployment.spec.template!.spec.containers[0]!;
const [serviceMonitor] = readYamlDocuments<Manifest>('deploy/k8s/servicemonitor.yaml');
const [podMonitor] = readYamlDocuments<Manifest>('deploy/k8s/podmonitor.yaml');
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('deploy/k8s', () => {
  it('exposes a named metrics port on the default port and binds it on 0.0.0.0 inside the pod', () => {
    expect(container.ports).toContainEqual({ name: 'metrics', containerPort: DEFAULTS.prometheus.port });
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    expect(env['OTEL_EXPORTER_PROMETHEUS_HOST']).toBe('0.0.0.0');
    expect(env['OTEL_EXPORTER_PROMETHEUS_PORT']).toBe(String(DEFAULTS.prometheus.port));
  });

  it('probes liveness on /healthz and readiness on /readyz of the metrics port', () => {
    expect(container.livenessProbe.httpGet).toEqual({
      path: DEFAULTS.prometheus.healthPath,
      port: 'metrics',
    });
    expect(container.readinessProbe.httpGet).toEqual({
      path: DEFAULTS.prometheus.readyPath,
      port: 'metrics',
    });
  });

  it('selects its own pods in the Deployment and the Service', () => {
    expect(matches(deployment.spec.selector!.matchLabels!, podLabels)).toBe(true);
    const { matchLabels: _, ...serviceSelector } = service.spec.selector!;
    expect(matches(serviceSelector as Record<string, string>, podLabels)).toBe(true);
    expect(service.spec.ports).toContainEqual({
      name: 'metrics',
      port: DEFAULTS.prometheus.port,
      targetPort: 'metrics',
    });
  });

  it('has a ServiceMonitor that selects the Service and scrapes its metrics port', () => {
    expect(serviceMonitor!.kind).toBe('ServiceMonitor');
    expect(matches(serviceMonitor!.spec.selector!.matchLabels!, service.metadata.labels)).toBe(true);
    const portNames = service.spec.ports!.map((p) => p.name);
    for (const e of serviceMonitor!.spec.endpoints!) {
      expect(portNames).toContain(e.port);
      expect(e.path).toBe(DEFAULTS.prometheus.path);
    }
  });

  it('has a PodMonitor that selects the pods and scrapes their metrics container port', () => {
    expect(podMonitor!.kind).toBe('PodMonitor');
    expect(matches(podMonitor!.spec.selector!.matchLabels!, podLabels)).toBe(true);
    for (const e of podMonitor!.spec.podMetricsEndpoints!) {
      expect(container.ports.map((p) => p.name)).toContain(e.port);
      expect(e.path).toBe(DEFAULTS.prometheus.path);
    }
  });

  it('annotates the pods for annotation-based discovery with the metrics port and path', () => {
    expect(deployment.spec.template!.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(DEFAULTS.prometheus.port),
      'prometheus.io/path': DEFAULTS.prometheus.path,
    });
  });
});
