// Installs the packed tarball the way users do — `npm install <tarball>` in fresh apps, no flags — on the
// oldest Node we support (22.15, with npm 10) and on Node 24 (npm 11), and runs each app with the metrics
// started as the README says. The repo's own devDependencies are not involved: this is what a user gets.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectExposition } from '../../src/testing/index.js';
import { promtoolCheck } from '../helpers.js';
import { APPS, type AppSpec, pinnedApiApp } from './apps.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Kept between runs (under node_modules, so never committed): the Node 22 binary and the two npm versions,
// and one npm cache that every install shares.
const cacheDir = join(root, 'node_modules', '.cache', 'omb-consumer');
const toolsDir = join(cacheDir, 'tools');
const npmCache = join(cacheDir, 'npm-cache');
const OLDEST_NODE = '22.15.0';
const OLDEST_API = '1.10.0';
const BELOW_API = '1.9.0';

interface Runtime {
  label: string;
  node: string;
  npmCli: string;
}
const RUNTIMES: Runtime[] = [
  {
    label: `Node ${OLDEST_NODE} with npm 10`,
    node: join(toolsDir, 'node_modules', 'node', 'bin', 'node'),
    npmCli: join(toolsDir, 'node_modules', 'npm10', 'bin', 'npm-cli.js'),
  },
  {
    label: 'Node 24 with npm 11',
    node: process.execPath,
    npmCli: join(toolsDir, 'node_modules', 'npm11', 'bin', 'npm-cli.js'),
  },
];

interface Result {
  code: number | null;
  output: string;
}

/** The environment for a child: no npm_* variables leaking from an outer `npm test`, the given Node first. */
function childEnv(node: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  env['PATH'] = `${dirname(node)}${delimiter}${process.env['PATH'] ?? ''}`;
  env['npm_config_cache'] = npmCache;
  env['npm_config_update_notifier'] = 'false';
  return env;
}

function run(node: string, args: string[], cwd: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(node, args, { cwd, env: childEnv(node), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

function npm(rt: Runtime, args: string[], cwd: string): Promise<Result> {
  return run(rt.node, [rt.npmCli, ...args], cwd);
}

/** Node 22.15 (the `node` package from the npm registry ships the binary) and npm 10 and 11, once. */
async function ensureTools(): Promise<void> {
  const have = (p: string) => existsSync(join(toolsDir, 'node_modules', p, 'package.json'));
  const nodeOk =
    have('node') &&
    JSON.parse(readFileSync(join(toolsDir, 'node_modules', 'node', 'package.json'), 'utf8')).version ===
      OLDEST_NODE;
  if (nodeOk && have('npm10') && have('npm11')) return;
  mkdirSync(toolsDir, { recursive: true });
  writeFileSync(
    join(toolsDir, 'package.json'),
    JSON.stringify({
      private: true,
      dependencies: { node: OLDEST_NODE, npm10: 'npm:npm@10', npm11: 'npm:npm@11' },
      // npm 11 asks before running install scripts; the `node` package's script fetches the binary.
      allowScripts: { node: true },
    }),
  );
  const r = await run(process.execPath, [npmCliOnPath(), 'install', '--no-audit', '--no-fund'], toolsDir);
  if (r.code !== 0) throw new Error(`installing the consumer-test toolchain failed:\n${r.output}`);
}

/** The npm that runs this test (from `npm test`), else the one on PATH. */
function npmCliOnPath(): string {
  const execPath = process.env['npm_execpath'];
  if (execPath?.endsWith('.js')) return execPath;
  const candidates = (process.env['PATH'] ?? '')
    .split(delimiter)
    .map((d) => join(d, '..', 'lib', 'node_modules'));
  for (const c of candidates)
    if (existsSync(join(c, 'npm', 'bin', 'npm-cli.js'))) return join(c, 'npm', 'bin', 'npm-cli.js');
  throw new Error('npm not found');
}

/** Runs `tasks` with at most `limit` at once. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

let work: string;
let tarball: string;
let packedFiles: string[] = [];
const installs = new Map<string, Result>();
const dirs = new Map<string, string>();
const key = (rt: Runtime, app: AppSpec, variant = '') => `${rt.label}/${app.name}${variant}`;

function writeApp(dir: string, app: AppSpec, deps: Record<string, string> = {}): void {
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(app.files)) writeFileSync(join(dir, file), text);
  const pkg = JSON.parse(app.files['package.json']!) as Record<string, unknown>;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, dependencies: deps }, null, 2));
}

async function install(rt: Runtime, app: AppSpec, variant = '', flags: string[] = []): Promise<void> {
  const dir = join(work, `${rt === RUNTIMES[0] ? 'node22' : 'node24'}-${app.name}${variant}`);
  // A pinned API goes into package.json first, as an app that already uses it would have it.
  const pinned = app.extra.filter((p) => p.startsWith('@opentelemetry/api@'));
  const deps = Object.fromEntries(pinned.map((p) => ['@opentelemetry/api', p.split('@').at(-1)!]));
  writeApp(dir, app, deps);
  const extra = app.extra.filter((p) => !pinned.includes(p));
  installs.set(key(rt, app, variant), await npm(rt, ['install', ...flags, tarball, ...extra], dir));
  dirs.set(key(rt, app, variant), dir);
}

const oldestApi = pinnedApiApp(OLDEST_API);
const belowApi = pinnedApiApp(BELOW_API);

beforeAll(async () => {
  await ensureTools();
  work = mkdtempSync(join(tmpdir(), 'omb-consumer-'));
  // `npm test` built dist/ before vitest started; packing with scripts would run `prepare` (a rebuild) while other
  // test files' processes import dist/, and a module loaded on first use (the live page's view, the push
  // exporters) could then fail to load in them for good.
  const packed = await npm(
    RUNTIMES[1]!,
    ['pack', '--ignore-scripts', '--pack-destination', work, '--json'],
    root,
  );
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.output}`);
  const [pack] = JSON.parse(packed.output.slice(packed.output.indexOf('['))) as {
    filename: string;
    files: { path: string }[];
  }[];
  packedFiles = pack!.files.map((f) => f.path);
  tarball = join(work, pack!.filename);
  const tasks = RUNTIMES.flatMap((rt) => APPS.map((app) => () => install(rt, app)));
  tasks.push(
    () => install(RUNTIMES[0]!, oldestApi),
    () => install(RUNTIMES[1]!, belowApi),
    () => install(RUNTIMES[1]!, belowApi, '-forced', ['--legacy-peer-deps']),
  );
  // Installs mostly wait on the registry and the disk, not the CPU.
  await pool(tasks, 6);
}, 600_000);

const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  // Eleven node_modules trees: deleting them takes a while on a busy disk.
  if (work) await rm(work, { recursive: true, force: true });
}, 120_000);

/** The installed copies of each `@opentelemetry/*` package, from `npm ls --all --parseable`. */
async function otelCopies(rt: Runtime, dir: string): Promise<Record<string, number>> {
  const ls = await npm(rt, ['ls', '--all', '--parseable'], dir);
  const copies: Record<string, number> = {};
  for (const line of ls.output.split('\n')) {
    const m = /node_modules\/(@opentelemetry\/[^/]+)$/.exec(line.trim());
    if (m) copies[m[1]!] = (copies[m[1]!] ?? 0) + 1;
  }
  return copies;
}

interface Running {
  appPort: number;
  metricsUrl: string | undefined;
  output: () => string;
}

async function start(rt: Runtime, app: AppSpec, dir: string): Promise<Running> {
  const env = childEnv(rt.node);
  Object.assign(env, {
    OTEL_SERVICE_NAME: app.serviceName,
    OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    OMB_HTTP_ROUTES: '/items/:id',
  });
  const child = spawn(rt.node, [...app.preload, app.main], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const listening = /listening (\d+)/.exec(out);
    const metrics = /serving metrics at (\S+)/.exec(out);
    if (listening && (metrics || /metrics not started/.test(out))) {
      return { appPort: Number(listening[1]), metricsUrl: metrics?.[1], output: () => out };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${app.name} did not start:\n${out}`);
}

// npm ls and a cold app start take seconds each, far longer on a loaded 2-core machine.
vi.setConfig({ testTimeout: 90_000 });

const BAD_INSTALL_OUTPUT = /ERESOLVE|peer dep|conflicting peer|EBADENGINE|overriding peer/i;

it('packs the built entry points, their types and the LICENSE (dist/ as `npm test` built it; `npm run check:git-install` covers prepare)', () => {
  expect(packedFiles).toEqual(
    expect.arrayContaining([
      'LICENSE',
      'README.md',
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/register.js',
      'dist/register.d.ts',
      'dist/testing/index.js',
      'dist/testing/vitest.js',
    ]),
  );
  expect(packedFiles.filter((f) => !/^(dist\/|LICENSE$|README\.md$|package\.json$)/.test(f))).toEqual([]);
});

describe.each(RUNTIMES)('the packed package on $label', (rt) => {
  it.each(APPS)('$name: plain npm install succeeds without peer warnings', async (app) => {
    const r = installs.get(key(rt, app))!;
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toMatch(BAD_INSTALL_OUTPUT);
  });

  it.each(APPS)('$name: npm ls shows one copy of every @opentelemetry package', async (app) => {
    const copies = await otelCopies(rt, dirs.get(key(rt, app))!);
    expect(Object.keys(copies)).toEqual(
      expect.arrayContaining(['@opentelemetry/api', '@opentelemetry/sdk-metrics', '@opentelemetry/core']),
    );
    for (const [name, count] of Object.entries(copies)) expect({ name, count }).toEqual({ name, count: 1 });
  });

  it.each(APPS)(
    '$name: starts, records its HTTP requests and serves a scrape promtool accepts',
    async (app) => {
      const running = await start(rt, app, dirs.get(key(rt, app))!);
      expect(running.output()).not.toMatch(/metrics not started|Error/);
      for (const id of [1, 2, 3]) {
        expect((await fetch(`http://127.0.0.1:${running.appPort}/items/${id}`)).status).toBe(200);
      }
      const text = await (await fetch(running.metricsUrl!)).text();
      expectExposition(text)
        .toHaveSample('target_info', { service_name: app.serviceName }, 1)
        .toHaveSample('app_hits_total', {}, 3)
        .toHaveSample(
          'http_server_request_duration_seconds_count',
          { http_request_method: 'GET', http_route: '/items/:id', http_response_status_code: '200' },
          3,
        );
      await promtoolCheck(text);
    },
  );
});

describe('the supported @opentelemetry/api range', () => {
  const [node22, node24] = RUNTIMES as [Runtime, Runtime];

  it(`an app pinned to the oldest supported API (${OLDEST_API}) installs cleanly and starts`, async () => {
    const r = installs.get(key(node22, oldestApi))!;
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toMatch(BAD_INSTALL_OUTPUT);
    const dir = dirs.get(key(node22, oldestApi))!;
    expect(await otelCopies(node22, dir)).toMatchObject({ '@opentelemetry/api': 1 });
    const running = await start(node22, oldestApi, dir);
    await fetch(`http://127.0.0.1:${running.appPort}/items/1`);
    expectExposition(await (await fetch(running.metricsUrl!)).text()).toHaveSample('app_hits_total', {}, 1);
  });

  it(`an app on an older API (${BELOW_API}) is told at install time which range to use`, () => {
    const r = installs.get(key(node24, belowApi))!;
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('peer @opentelemetry/api@">=1.10.0 <1.11.0" from otel-metrics-bootstrap');
  });

  it('forced past that with --legacy-peer-deps, it starts with a clear message and keeps serving', async () => {
    const r = installs.get(key(node24, belowApi, '-forced'))!;
    expect(r.code, r.output).toBe(0);
    const running = await start(node24, belowApi, dirs.get(key(node24, belowApi, '-forced'))!);
    expect(running.output()).toContain(
      `otel-metrics-bootstrap: metrics not started: @opentelemetry/api ${BELOW_API} is installed but this ` +
        'package needs >=1.10.0 <1.11.0; npm install @opentelemetry/api@">=1.10.0 <1.11.0"',
    );
    expect(running.output()).not.toMatch(/SyntaxError/);
    expect(await (await fetch(`http://127.0.0.1:${running.appPort}/items/1`)).text()).toBe('item');
  });
});
