import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type PrometheusConfig, promtool, readYaml, root } from './support.js';

interface AlertTest {
  alertname: string;
  exp_alerts: unknown[];
}
interface RuleTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: AlertTest[] }[];
}

const alerts = readYaml<{ groups: { rules: { alert: string; annotations: { runbook: string } }[] }[] }>(
  'deploy/prometheus/rules/alerts.yml',
).groups.flatMap((g) => g.rules);

describe('deploy/prometheus', () => {
  it('passes promtool check config (prometheus.yml)', async () => {
    const { code, out } = await promtool(['check', 'config', 'deploy/prometheus/prometheus.yml']);
    expect(out).toContain('SUCCESS: deploy/prometheus/prometheus.yml is valid prometheus config file syntax');
    expect(code, out).toBe(0);
  });

  it('passes promtool check config (prometheus-kubernetes.yml)', async () => {
    const file = 'deploy/prometheus/prometheus-kubernetes.yml';
    const direct = await promtool(['check', 'config', file]);
    // Debian's promtool is built without Kubernetes discovery and rejects the field itself; any other failure
    // is ours. Everything else in the file is checked below with file discovery in its place.
    if (direct.code !== 0) expect(direct.out).toMatch(/field kubernetes_sd_configs not found/);
    const config = readYaml<PrometheusConfig>(file);
    expect(config.scrape_configs[0]?.kubernetes_sd_configs).toEqual([{ role: 'pod' }]);
    const dir = mkdtempSync(join(tmpdir(), 'omb-promtool-'));
    try {
      delete config.scrape_configs[0]!.kubernetes_sd_configs;
      config.scrape_configs[0]!.file_sd_configs = [{ files: [join(dir, 'pods.json')] }];
      config.rule_files = config.rule_files.map((f) => join(root, 'deploy/prometheus', f));
      writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
      const { code, out } = await promtool(['check', 'config', join(dir, 'prometheus.yml')]);
      expect(code, out).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes promtool check rules', async () => {
    const { code, out } = await promtool([
      'check',
      'rules',
      'deploy/prometheus/rules/recording.yml',
      'deploy/prometheus/rules/alerts.yml',
    ]);
    expect(out).toContain('SUCCESS: 9 rules found');
    expect(out).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(code, out).toBe(0);
  });

  it('passes promtool test rules', async () => {
    const { code, out } = await promtool(['test', 'rules', 'deploy/prometheus/rules/alerts.test.yml']);
    expect(out).toContain('SUCCESS');
    expect(code, out).toBe(0);
  });

  it('has a unit test where each alert fires and one where it stays quiet', () => {
    const tests = readYaml<RuleTests>('deploy/prometheus/rules/alerts.test.yml').tests.flatMap(
      (t) => t.alert_rule_test ?? [],
    );
    for (const { alert } of alerts) {
      const cases = tests.filter((t) => t.alertname === alert);
      expect(
        cases.some((c) => c.exp_alerts.length > 0),
        `${alert} firing`,
      ).toBe(true);
      expect(
        cases.some((c) => c.exp_alerts.length === 0),
        `${alert} not firing`,
      ).toBe(true);
    }
  });

  it('links every alert to a runbook section of docs/troubleshooting.md', () => {
    const doc = readFileSync(join(root, 'docs/troubleshooting.md'), 'utf8');
    // GitHub's anchors: lower case, spaces to hyphens, punctuation dropped.
    const anchors = [...doc.matchAll(/^#+ (.+)$/gm)].map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replaceAll(' ', '-'),
    );
    for (const { alert, annotations } of alerts) {
      const [file, anchor] = annotations.runbook.split('#');
      expect(file).toBe('docs/troubleshooting.md');
      expect(anchors, alert).toContain(anchor);
    }
  });
});
