// Starts one hostile-input target for test/e2e/hostile.test.ts: `node test/e2e/targets/run.mjs <name>`.
// It imports `./<name>.mjs`, starts initMeter() on a free port with that module's `config` (optional), records the
// control series `e2e_control_total{target="<name>"}` = 1, runs the module's default export with the handle, and
// prints `metrics: <url>`. Nothing here catches: a throw from the target's recordings kills the process, and the
// test sees the target down.
import { initMeter } from '../../../dist/index.js';

const name = process.argv[2];
const target = await import(`./${name}.mjs`);
const handle = initMeter({
  serviceName: `hostile-${name}`,
  ...target.config,
  prometheus: { host: '127.0.0.1', port: 0, ...target.config?.prometheus },
});
await handle.ready;
handle.meter.createCounter('e2e.control', { description: 'Control series' }).add(1, { target: name });
await target.default(handle);
console.log(`metrics: ${handle.metricsUrl}`);
// Keep running until the test kills the process (the endpoint is unref()'d).
setInterval(() => {}, 60_000);
