import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './support.js';

const docs = [
  'README.md',
  'docs/troubleshooting.md',
  'docs/migrating-from-prom-client.md',
  'docs/migrating-from-otel-prometheus-exporter.md',
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const anchorsOf = (text: string) =>
  [...text.matchAll(/^#+ (.+)$/gm)].map((m) =>
    m[1]!
      .toLowerCase()
      .replace(/[^\w\- ]/g, '')
      .replaceAll(' ', '-'),
  );

describe.each(docs)('%s', (doc) => {
  const text = readFileSync(join(root, doc), 'utf8');

  it('links only to files and sections that exist', () => {
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^https?:/.test(target!)) continue;
      const [path, anchor] = target!.split('#');
      const file = path ? join(root, dirname(doc), path) : join(root, doc);
      expect(existsSync(file), `${doc} → ${target}`).toBe(true);
      if (anchor) expect(anchorsOf(readFileSync(file, 'utf8')), `${doc} → ${target}`).toContain(anchor);
    }
  });
});

describe('README', () => {
  it('says how to point Prometheus or a Collector at the port and to bind 0.0.0.0 in containers', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toMatch(/^## Deployment$/m);
    expect(readme).toContain('OTEL_EXPORTER_PROMETHEUS_HOST=0.0.0.0');
    for (const path of ['otel-collector.yaml', 'docker-compose.yml', 'docs/troubleshooting.md']) {
      expect(readme).toContain(`](${path})`);
    }
  });
});
