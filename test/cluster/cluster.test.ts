import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectValidInBothFormats, type ParsedFamily, referenceParse } from '../helpers.js';
import { freePort, freePorts, type Started, startProcess, waitFor } from '../processes.js';

const FIXTURE = 'test/fixtures/cluster-app.mjs';
const WORKER_SLOTS = ['1', '2', '3', '4'];

interface RunningCluster extends Started {
  app: string;
  metrics: string;
}

async function startCluster(env: NodeJS.ProcessEnv, args: string[] = [FIXTURE]): Promise<RunningCluster> {
  const appPort = await freePort();
  const started = await startProcess(args, [/cluster ready, metrics: (\S+)/], {
    env: { APP_PORT: String(appPort), ...env },
    ms: 60_000,
  });
  return { ...started, app: `http://127.0.0.1:${appPort}`, metrics: started.matches[0]! };
}

async function scrape(url: string, accept = 'text/plain'): Promise<string> {
  const res = await fetch(url, { headers: { accept } });
  expect(res.status).toBe(200);
  return res.text();
}

function samples(families: ParsedFamily[], name: string) {
  return families.flatMap((f) => f.samples).filter((s) => s.name === name);
}

/** The `worker` values of a family's samples. */
function workers(families: ParsedFamily[], sample: string): (string | undefined)[] {
  return [...new Set(samples(families, sample).map((s) => s.labels['worker']))].sort();
}

function requestCount(families: ParsedFamily[]): number {
  return samples(families, 'http_server_request_duration_seconds_count')
    .filter((s) => s.labels['worker'] !== 'primary')
    .reduce((sum, s) => sum + s.value, 0);
}

/**
 * GET on a new connection each time: the cluster hands each connection to the next worker, and a kept-alive
 * connection could meet a server that just closed it.
 */
function appGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve(body));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function load(app: string, requests: number, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        expect(await appGet(`${app}/`)).toBe('hello');
      }
    }),
  );
}

describe('cluster mode with a real node:cluster of 4 workers', () => {
  let c: RunningCluster;
  beforeAll(async () => {
    c = await startCluster({ CLUSTER_TIMEOUT: '500' });
  }, 90_000);
  afterAll(() => {
    c?.child.kill('SIGKILL');
  });

  it('serves every request the workers answered under load, each worker under its own label', async () => {
    const sent = 1200;
    const during: Promise<string>[] = [];
    const loading = load(c.app, sent, 16);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 150));
      during.push(scrape(c.metrics));
    }
    await loading;
    for (const text of await Promise.all(during)) expect(text).toContain('target_info');
    const { families } = await expectValidInBothFormats((format) =>
      scrape(c.metrics, format === 'text' ? 'text/plain' : 'application/openmetrics-text'),
    );
    expect(requestCount(families)).toBe(sent);
    expect(workers(families, 'http_server_request_duration_seconds_count')).toEqual(WORKER_SLOTS);
    // The primary's own runtime metrics are there too, under their own label.
    expect(workers(families, 'process_cpu_time_seconds_total')).toEqual([...WORKER_SLOTS, 'primary']);
    expect(samples(families, 'omb_cluster_workers')[0]?.value).toBe(4);
  }, 120_000);

  it('compresses and keeps every endpoint behaviour on the merged exposition', async () => {
    const res = await fetch(c.metrics, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.text()).toContain('worker="4"');
    const post = await fetch(c.metrics, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('skips a worker stalled in a busy loop within the deadline, and counts it', async () => {
    const stalled = appGet(`${c.app}/stall?ms=3000`);
    await new Promise((r) => setTimeout(r, 300));
    const started = performance.now();
    const text = await scrape(c.metrics);
    const took = performance.now() - started;
    const families = await referenceParse(text);
    // cluster.timeout is 500 ms; the scrape is served without the stalled worker, well before the 10 s scrapeTimeout.
    expect(took).toBeLessThan(2500);
    const answered = workers(families, 'process_cpu_time_seconds_total');
    expect(answered).toHaveLength(4);
    const missing = WORKER_SLOTS.find((w) => !answered.includes(w));
    expect(missing).toBeDefined();
    await stalled;
    const after = await referenceParse(await scrape(c.metrics));
    const timeouts = samples(after, 'omb_cluster_worker_timeouts_total').filter(
      (s) => s.labels['omb_cluster_worker'] === missing,
    );
    expect(timeouts[0]?.value).toBeGreaterThanOrEqual(1);
    expect(workers(after, 'process_cpu_time_seconds_total')).toEqual([...WORKER_SLOTS, 'primary']);
  }, 60_000);

  it('keeps the scrape valid and reuses the worker label when a worker is killed and replaced', async () => {
    const pid = Number(await appGet(`${c.app}/pid`));
    const before = c.output().split('replacement listening').length;
    process.kill(pid, 'SIGKILL');
    // Right after the kill, with the worker gone or its replacement starting, the scrape is valid.
    await expectValidInBothFormats((format) =>
      scrape(c.metrics, format === 'text' ? 'text/plain' : 'application/openmetrics-text'),
    );
    await waitFor('the replacement worker', async () =>
      c.output().split('replacement listening').length > before ? true : undefined,
    );
    const families = await waitFor('four workers answering', async () => {
      const f = await referenceParse(await scrape(c.metrics));
      return workers(f, 'process_cpu_time_seconds_total').length === 5 ? f : undefined;
    });
    // Four slots, not five: the replacement took the dead worker's label.
    expect(workers(families, 'process_cpu_time_seconds_total')).toEqual([...WORKER_SLOTS, 'primary']);
  }, 60_000);
});

describe('cluster mode through the register entry', () => {
  it('serves every worker from the primary with `--import otel-metrics-bootstrap/register`', async () => {
    const port = await freePort();
    const c = await startCluster(
      {
        CLUSTER_REGISTER: '1',
        OMB_CLUSTER: 'true',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
        METRICS_PORT: String(port),
      },
      ['--import', 'otel-metrics-bootstrap/register', FIXTURE],
    );
    try {
      const url = c.metrics;
      await load(c.app, 40, 4);
      const families = await waitFor('every worker in the scrape', async () => {
        const f = await referenceParse(await scrape(url));
        return requestCount(f) === 40 ? f : undefined;
      });
      expect(workers(families, 'process_cpu_time_seconds_total')).toEqual([...WORKER_SLOTS, 'primary']);
      expect(c.output()).toMatch(/cluster worker \d+: served by the primary's endpoint/);
    } finally {
      c.child.kill('SIGKILL');
    }
  }, 120_000);
});

describe('cluster mode under PM2 cluster mode, where the primary is PM2 itself', () => {
  it('serves each instance on its own port, the configured one plus NODE_APP_INSTANCE', async () => {
    const port = await freePorts(4);
    const c = await startCluster({ PM2_LIKE: '1', METRICS_PORT: String(port) });
    try {
      await load(c.app, 40, 4);
      let total = 0;
      for (let instance = 0; instance < 4; instance++) {
        const url = `http://127.0.0.1:${port + instance}/metrics`;
        const families = await waitFor(`instance ${instance}'s endpoint`, async () =>
          referenceParse(await scrape(url)),
        );
        // Each instance is its own target: no `worker` label, only its own series.
        expect(workers(families, 'process_cpu_time_seconds_total')).toEqual([undefined]);
        total += samples(families, 'http_server_request_duration_seconds_count').reduce(
          (n, s) => n + s.value,
          0,
        );
      }
      expect(total).toBe(40);
    } finally {
      c.child.kill('SIGKILL');
    }
  }, 120_000);
});
