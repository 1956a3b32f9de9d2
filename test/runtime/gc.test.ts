import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROM_CLIENT_GC_BUCKETS } from '../../src/runtime/prom-client.js';
import { GC_DURATION_BUCKETS } from '../../src/views.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

interface Scrape {
  counts: Record<string, number>;
  les: string[];
}

describe('v8js.gc.duration in a child process started with --expose-gc', () => {
  it('counts every forced major GC, in GC-pause buckets, on the endpoint', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', 'test/fixtures/gc-child.mjs'], {
      cwd: root,
      env: { ...process.env, FORCED_GCS: '5', OTEL_EXPORTER_PROMETHEUS_PORT: '0' },
      timeout: 20_000,
    });
    const { before, after, promBefore, promAfter } = JSON.parse(stdout.trim().split('\n').pop()!) as Record<
      string,
      Scrape
    >;
    // gc() runs a full mark-compact: kind "major", once per call (V8 may add its own on top).
    expect((after!.counts['major'] ?? 0) - (before!.counts['major'] ?? 0)).toBeGreaterThanOrEqual(5);
    expect(after!.les).toEqual([...GC_DURATION_BUCKETS.map(String), '+Inf']);
    // The prom-client compatible histogram sees the same collections, in prom-client's buckets.
    expect((promAfter!.counts['major'] ?? 0) - (promBefore!.counts['major'] ?? 0)).toBeGreaterThanOrEqual(5);
    expect(promAfter!.les).toEqual([...PROM_CLIENT_GC_BUCKETS.map(String), '+Inf']);
  });
});
