// Installs this repository from a git URL, as `npm install git+https://…#ref` does, pinned to the committed
// HEAD: npm clones it, installs its devDependencies in the clone, runs `prepare` (which builds dist/) and packs
// the result into a fresh ESM app. The app then starts with `--import otel-metrics-bootstrap/register` and its
// scrape must show its HTTP requests.
//
// Not part of `npm test`: npm's git preparation installs every devDependency (Node 24 itself among them) in the
// clone, which takes about two minutes on the 2-core CI machine even with a warm cache (docs/benchmarks.md has
// the figures). `.ci/run` runs it after `npm test`; locally: `npm run check:git-install`. It shares the consumer
// test's npm cache (node_modules/.cache/omb-consumer/npm-cache). Uncommitted changes are not part of the install.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const npmCli = process.env.npm_execpath;
if (!npmCli?.endsWith('.js')) {
  console.error('run this through npm: npm run check:git-install');
  process.exit(2);
}
const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
if (execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' }).trim() !== '')
  console.warn(`git-install: uncommitted changes are not installed; checking ${head}`);

// A clean environment for npm and the app: no npm_* variables from the outer `npm run`, this Node first.
const env = {};
for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
env.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
env.npm_config_cache = join(root, 'node_modules', '.cache', 'omb-consumer', 'npm-cache');
env.npm_config_update_notifier = 'false';

const work = mkdtempSync(join(tmpdir(), 'omb-git-install-'));
const app = join(work, 'app');
mkdirSync(app);
writeFileSync(
  join(app, 'package.json'),
  JSON.stringify({ name: 'git-app', version: '1.0.0', private: true, type: 'module' }),
);
writeFileSync(
  join(app, 'app.js'),
  `import { createServer } from 'node:http';
const server = createServer((_req, res) => res.end('item'));
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`,
);

let child;
function fail(message) {
  console.error(`git-install: FAILED: ${message}`);
  child?.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
}

function run(args, cwd) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    p.on('close', (code) => resolve({ code, output }));
  });
}

const started = performance.now();
const spec = `git+${pathToFileURL(root).href}#${head}`;
const installed = await run([npmCli, 'install', '--no-audit', '--no-fund', spec], app);
const installSeconds = (performance.now() - started) / 1000;
if (installed.code !== 0) fail(`npm install ${spec} exited with ${installed.code}:\n${installed.output}`);
if (/ERESOLVE|peer dep|conflicting peer|EBADENGINE|overriding peer/i.test(installed.output))
  fail(`npm install printed peer or engine warnings:\n${installed.output}`);
const pkg = join(app, 'node_modules', 'otel-metrics-bootstrap');
for (const file of [
  'dist/index.js',
  'dist/index.d.ts',
  'dist/register.js',
  'dist/testing/index.js',
  'LICENSE',
])
  if (!existsSync(join(pkg, file)))
    fail(`the installed package has no ${file} (prepare did not build dist/)`);

child = spawn(process.execPath, ['--import', 'otel-metrics-bootstrap/register', 'app.js'], {
  cwd: app,
  env: { ...env, OTEL_SERVICE_NAME: 'git-app', OTEL_EXPORTER_PROMETHEUS_PORT: '0' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
child.stdout.on('data', (d) => (out += d));
child.stderr.on('data', (d) => (out += d));
const deadline = Date.now() + 60_000;
let listening;
let metricsUrl;
while (!(listening && metricsUrl)) {
  if (Date.now() > deadline || child.exitCode !== null) fail(`the app did not start:\n${out}`);
  listening = /listening (\d+)/.exec(out)?.[1];
  metricsUrl = /serving metrics at (\S+)/.exec(out)?.[1];
  await new Promise((r) => setTimeout(r, 50));
}
for (let i = 0; i < 3; i++) await (await fetch(`http://127.0.0.1:${listening}/items/1`)).text();
const text = await (await fetch(metricsUrl)).text();
const { expectExposition } = await import(pathToFileURL(join(pkg, 'dist', 'testing', 'index.js')).href);
try {
  expectExposition(text)
    .toHaveSample('target_info', { service_name: 'git-app' }, 1)
    .toHaveSample(
      'http_server_request_duration_seconds_count',
      { http_request_method: 'GET', http_response_status_code: '200' },
      3,
    );
} catch (err) {
  fail(`the scrape lacks the app's requests: ${err.message}\n${text}`);
}
child.kill('SIGKILL');
rmSync(work, { recursive: true, force: true });
console.log(
  `git-install: OK: ${spec} installed in ${installSeconds.toFixed(1)} s, built dist/, started and recorded its requests`,
);
