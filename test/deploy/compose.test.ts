import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { readYaml, root } from './support.js';

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval: string; timeout: string; retries: number };
}

const compose = readYaml<{ services: Record<string, Service>; volumes: Record<string, unknown> }>(
  'docker-compose.yml',
);
const services = Object.entries(compose.services);

/** Services without a healthcheck, and why (the test fails if this goes stale). */
const NO_HEALTHCHECK: Record<string, string> = {
  'otel-collector': 'the contrib image is distroless: no shell, curl or wget to run a check with',
};

describe('docker-compose.yml', () => {
  it('runs the demo app, the Collector, Prometheus and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'grafana', 'otel-collector', 'prometheus']);
  });

  it('pins every image to a version', () => {
    for (const [name, s] of services) {
      if (s.build) continue;
      expect(s.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+$/);
    }
  });

  it('refers only to files and folders that exist', () => {
    for (const [name, s] of services) {
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(join(root, source)), `${name}: ${volume}`).toBe(true);
        else expect(Object.keys(compose.volumes), `${name}: named volume ${source}`).toContain(source);
      }
    }
    const { build } = compose.services['app']!;
    expect(existsSync(join(root, build!.context, build!.dockerfile))).toBe(true);
  });

  it('has a healthcheck on every service that can run one, and waits for health where it depends', () => {
    for (const [name, s] of services) {
      if (name in NO_HEALTHCHECK) {
        expect(s.healthcheck, name).toBeUndefined();
        continue;
      }
      expect(s.healthcheck?.test[0], name).toBe('CMD');
      expect(s.healthcheck?.retries, name).toBeGreaterThan(0);
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(compose.services[dep], `${name} depends on ${dep}`).toBeDefined();
        if (condition === 'service_healthy') expect(compose.services[dep]!.healthcheck).toBeDefined();
      }
    }
  });

  it("checks the app's health on its /readyz path and metrics port", () => {
    const check = compose.services['app']!.healthcheck!.test.join(' ');
    expect(check).toContain(`http://127.0.0.1:${DEFAULTS.prometheus.port}${DEFAULTS.prometheus.readyPath}`);
  });

  it('binds the app on 0.0.0.0 so other containers reach it, and publishes its ports', () => {
    const app = compose.services['app']!;
    expect(app.environment).toMatchObject({
      OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(DEFAULTS.prometheus.port),
      DEMO_HOST: '0.0.0.0',
    });
    expect(app.ports).toEqual([
      `${app.environment!['DEMO_PORT']}:${app.environment!['DEMO_PORT']}`,
      `${DEFAULTS.prometheus.port}:${DEFAULTS.prometheus.port}`,
    ]);
  });

  it('mounts the shipped Prometheus config where the Prometheus command reads it', () => {
    const prom = compose.services['prometheus']! as Service & { command: string[] };
    expect(prom.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
    expect(prom.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    const config = readYaml<{
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    }>('deploy/prometheus/prometheus.yml');
    const app = config.scrape_configs.find((j) => j.job_name === 'app');
    expect(app?.static_configs).toEqual([{ targets: [`app:${DEFAULTS.prometheus.port}`] }]);
  });
});

describe('examples/demo/Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'examples/demo/Dockerfile'), 'utf8');

  it('copies only files that exist and starts the demo', () => {
    for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of sources!.split(' ')) expect(existsSync(join(root, source)), source).toBe(true);
    }
    expect(dockerfile).toMatch(/^CMD \["node", "examples\/demo\/server\.js"\]$/m);
    expect(dockerfile).toMatch(/^FROM node:24\S* AS build$/m);
  });

  it('leaves node_modules and build output out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist']));
  });
});
