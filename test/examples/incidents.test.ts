import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error the examples are plain JavaScript without declarations
import { createIncidentMetrics } from '../../examples/incidents/metrics.js';
// @ts-expect-error the examples are plain JavaScript without declarations
import { IncidentService } from '../../examples/incidents/service.js';
// @ts-expect-error the examples are plain JavaScript without declarations
import { startFakeLlm } from '../../examples/llm-app/fake-llm.js';
import { createLlmMetrics } from '../../src/business/llm.js';
import { createTestMeter, type TestMeter } from '../../src/testing/index.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

interface Incident {
  readonly id: string;
  readonly severity: string;
}
interface Service {
  create(event: { title: string; source: string; category: string }): Promise<Incident>;
  resolve(id: string): Incident | undefined;
}

async function service(now: () => number): Promise<{ tm: TestMeter; svc: Service }> {
  const tm = createTestMeter();
  const api = await startFakeLlm();
  cleanup.push(() => tm.shutdown(), api.close);
  const svc = new IncidentService({
    metrics: createIncidentMetrics(tm.instruments),
    llm: createLlmMetrics({ meter: tm.meter, provider: 'openai' }),
    llmUrl: api.url,
    now,
  });
  return { tm, svc };
}

describe('examples/incidents', () => {
  it('counts incidents by severity, deduplicates, and records the time to resolve in its bucket', async () => {
    let now = 1_000_000;
    const { tm, svc } = await service(() => now);
    const outage = await svc.create({
      title: 'payments API down',
      source: 'alertmanager',
      category: 'availability',
    });
    await svc.create({ title: 'payments API down', source: 'alertmanager', category: 'availability' });
    await svc.create({ title: 'disk 80% full', source: 'node-exporter', category: 'capacity' });
    now += 20 * 60 * 1000; // resolved after 20 minutes
    svc.resolve(outage.id);
    const s = await tm.collect();
    expect(outage.severity).toBe('sev-1');
    expect(s.counter('incidents', { severity: 'sev-1', source: 'alertmanager' })).toBe(1);
    expect(s.counter('incidents.deduplicated', { source: 'alertmanager' })).toBe(1);
    expect(s.gauge('incidents.active')).toBe(1);
    const resolution = s.histogram('incident.resolution.duration', { severity: 'sev-1' });
    expect([resolution?.sum, resolution?.bucket(900), resolution?.bucket(1800)]).toEqual([1200, 0, 1]);
    // Triage: one LLM call per new incident (not for the duplicate), with usage from the fake API.
    expect(s.histogram('gen_ai.client.operation.duration')?.count).toBe(2);
    expect(s.histogram('gen_ai.client.token.usage', { 'gen_ai.token.type': 'output' })?.count).toBe(2);
  });

  it('runs its demo with one command and prints the guide’s metrics from a scrape', async () => {
    const { stdout } = await run(process.execPath, ['examples/incidents/server.js', '--demo'], {
      cwd: root,
      timeout: 60_000,
    });
    expect(stdout).toMatch(
      /incidents_total\{severity="sev-1",source="alertmanager",category="availability"\} 1/,
    );
    expect(stdout).toMatch(
      /incidents_active\{severity="sev-3",source="node-exporter",category="capacity"\} 1/,
    );
    expect(stdout).toMatch(/incidents_resolved_total\{[^}]*\} 1/);
    expect(stdout).toMatch(
      /incident_resolution_duration_seconds_count\{severity="sev-2",source="alertmanager"\} 1/,
    );
    expect(stdout).toMatch(/gen_ai_client_operation_duration_seconds_count\{[^}]*\} 3/);
  });
});
