// CPU time a fresh process spends importing this package's `dist/init.js` (everything
// `--import otel-metrics-bootstrap/register` loads), for several builds side by side: interleaved run by run,
// alternating the order, median of each and median of the paired differences against the first build.
// CPU time (process.cpuUsage) rather than wall time: on a shared, busy machine wall time mostly measures waiting
// for a core (bench/startup.js's rows spread by seconds there), while the CPU a process burns to load and
// evaluate modules moves far less.
//
//   node bench/startup-cpu.js [--runs 30] <build dir>...   (each dir holds a built dist/; default: this checkout)
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { environment, fmt } from './util.js';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') {
  const start = process.cpuUsage();
  await import(pathToFileURL(process.argv[3]).href);
  const used = process.cpuUsage(start);
  console.log((used.user + used.system) / 1000);
} else {
  const { values, positionals } = parseArgs({
    options: { runs: { type: 'string', default: '30' } },
    allowPositionals: true,
  });
  const runs = Number(values.runs);
  const dirs = positionals.length > 0 ? positionals : [fileURLToPath(new URL('..', import.meta.url))];
  const ms = dirs.map(() => []);
  for (let i = 0; i < runs; i++) {
    const order = dirs.map((_, d) => d);
    if (i % 2 === 1) order.reverse();
    for (const d of order) {
      const out = execFileSync(process.execPath, [self, '--child', `${dirs[d]}/dist/init.js`], {
        encoding: 'utf8',
      });
      ms[d].push(Number(out.trim()));
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  console.log(environment());
  console.log(`CPU ms to import dist/init.js in a fresh process, ${runs} runs per build, interleaved`);
  dirs.forEach((dir, d) => {
    const paired = ms[d].map((v, i) => v - ms[0][i]);
    console.log(
      `${dir.padEnd(40)} median ${fmt(median(ms[d]))} ms` +
        (d === 0 ? '' : `  paired difference vs ${dirs[0]}: median ${fmt(median(paired))} ms`),
    );
  });
}
