// Issue 10: a real Prometheus server (Debian `prometheus`) scrapes targets that record every kind of hostile input
// this library must survive. Each target is a child process started by targets/run.mjs; to add one, write
// targets/<name>.mjs (a default export that records through the handle, and optionally a `config` for initMeter)
// and add its name to TARGETS.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectValidInBothFormats } from '../helpers.js';
import { freePort, waitFor } from '../processes.js';

const TARGETS = ['labels', 'names', 'values', 'hung-async-callback'];

const root = fileURLToPath(new URL('../..', import.meta.url));
const processes: ChildProcess[] = [];
const urls = new Map<string, string>();
let dir = '';
let api = '';

/** Starts one target and resolves with its metrics URL; rejects with its output if it exits first. */
function startTarget(name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'test/e2e/targets/run.mjs'), name], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    processes.push(child);
    let output = '';
    const onData = (d: Buffer) => {
      output += d;
      const url = /metrics: (\S+)/.exec(output)?.[1];
      if (url) resolve(url);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (output += d));
    child.on('exit', (code) => reject(new Error(`target ${name} exited with ${code}:\n${output}`)));
  });
}

async function query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const body = (await (await fetch(`${api}/query?query=${encodeURIComponent(promql)}`)).json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data.result;
}

beforeAll(async () => {
  for (const [name, url] of await Promise.all(TARGETS.map(async (n) => [n, await startTarget(n)] as const))) {
    urls.set(name, url);
  }
  dir = mkdtempSync(join(tmpdir(), 'omb-hostile-'));
  const targets = [...urls].map(
    ([name, url]) => `      - targets: ['${new URL(url).host}']\n        labels: { hostile: '${name}' }\n`,
  );
  // The hung-async-callback target answers after its 1.5 s callback deadline; Prometheus's timeout (at most the
  // interval) must leave room for that on a loaded machine.
  writeFileSync(
    join(dir, 'prometheus.yml'),
    'global:\n  scrape_interval: 3s\n  scrape_timeout: 3s\nscrape_configs:\n  - job_name: hostile\n' +
      '    static_configs:\n' +
      targets.join(''),
  );
  const port = await freePort();
  processes.push(
    spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    ),
  );
  api = `http://127.0.0.1:${port}/api/v1`;
}, 90_000);

afterAll(() => {
  for (const p of processes) p.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a real Prometheus scraping targets that record hostile input', () => {
  it('scrapes every target without error (up == 1)', async () => {
    const health = await waitFor(
      'Prometheus to scrape every target',
      async () => {
        const body = (await (await fetch(`${api}/targets`)).json()) as {
          data: { activeTargets: { labels: { hostile: string }; health: string; lastError: string }[] };
        };
        const active = body.data.activeTargets;
        return active.length === TARGETS.length && active.every((t) => t.health !== 'unknown')
          ? active
          : undefined;
      },
      60_000,
    );
    for (const t of health) expect(t, t.labels.hostile).toMatchObject({ health: 'up', lastError: '' });
    const up = await query('up{job="hostile"}');
    expect(Object.fromEntries(up.map((r) => [r.metric['hostile'], r.value[1]]))).toEqual(
      Object.fromEntries(TARGETS.map((n) => [n, '1'])),
    );
  }, 90_000);

  it('stores the control series of every target', async () => {
    const stored = await waitFor('every control series in Prometheus', async () => {
      const result = await query('e2e_control_total{job="hostile"}');
      return result.length === TARGETS.length ? result : undefined;
    });
    for (const r of stored) {
      expect(r.metric['target']).toBe(r.metric['hostile']);
      expect(r.value[1]).toBe('1');
    }
  }, 90_000);

  it('stores the hostile series under their documented names', async () => {
    const samples = await waitFor('the renamed le label in Prometheus', async () => {
      const result = await query('upload_duration_seconds_count{key_le="5",key_quantile="0.5"}');
      return result.length === 1 ? result : undefined;
    });
    expect(samples[0]!.value[1]).toBe('1');
    // Every one of the 8 bad attribute arguments still counted its measurement.
    expect((await query('sum(requests_total{hostile="values"})'))[0]?.value[1]).toBe('8');
    // A scrape's drops are reported by the next scrape.
    await waitFor('the dropped nameless instruments counted', async () => {
      const result = await query('omb_exposition_dropped{hostile="names",error_type="invalid_name"}');
      return result.length === 3 ? result : undefined;
    });
    // The hung callback's instrument is left out, its neighbour is kept, and the timeouts are counted.
    await waitFor('the hung callback counted as timed out', async () => {
      const result = await query(
        'omb_callback_failures_total{hostile="hung-async-callback",omb_instrument="hung.pool.size",reason="timeout"}',
      );
      return result.length === 1 ? result : undefined;
    });
    expect((await query('hung_healthy{hostile="hung-async-callback"}'))[0]?.value[1]).toBe('7');
    expect(await query('hung_pool_size')).toEqual([]);
  }, 90_000);

  it('serves every target as documents that promtool and both reference parsers accept', async () => {
    for (const [name, url] of urls) {
      await expectValidInBothFormats(
        async (format) =>
          (
            await fetch(url, {
              headers:
                format === 'openmetrics' ? { accept: 'application/openmetrics-text; version=1.0.0' } : {},
            })
          ).text(),
        // Names this target records on purpose.
        name === 'names'
          ? [/^h_count non-histogram and non-summary metrics should not have "_count" suffix$/]
          : [],
      );
    }
  }, 90_000);
});
