// Start-up cost (issue 12: `--import` start-up within 5 ms of the code before the config split). The push
// exporters and the instruments API added about 40 ms of CPU to importing the package; they are now loaded on
// first use (src/load-sync.ts). This checks the built package, as `--import otel-metrics-bootstrap/register`
// loads it: which of our modules a process that only serves /metrics has loaded.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const LAZY = [
  'dist/export/otlp.js',
  'dist/export/statsd.js',
  'dist/export/pushgateway.js',
  'dist/export/console.js',
  'dist/instruments/instruments.js',
];

/** Our dist/ modules loaded by a child that runs `initMeter()` with the endpoint on port 0, then `then`. */
function loadedModules(then = ''): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });
    const { initMeter } = await import(${JSON.stringify(new URL('../dist/init.js', import.meta.url).href)});
    const telemetry = initMeter({ prometheus: { port: 0 } });
    await telemetry.ready;
    ${then}
    await telemetry.shutdown();
    console.log(JSON.stringify(seen.filter((u) => u.includes('/dist/')).map((u) => u.slice(u.indexOf('dist/')))));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '[]');
}

describe('start-up of the built package', () => {
  it('loads neither the push exporters nor the instruments API for an app that only serves /metrics', () => {
    const loaded = loadedModules();
    expect(loaded).toContain('dist/prometheus/server.js');
    expect(LAZY.filter((m) => loaded.includes(m))).toEqual([]);
  });

  it('loads the instruments API on first use of telemetry.instruments', () => {
    const loaded = loadedModules("telemetry.instruments.counter('orders').inc();");
    expect(loaded).toContain('dist/instruments/instruments.js');
  });
});
