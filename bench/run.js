// Benchmark runner: `node bench/run.js` runs every benchmark in turn, `node bench/run.js <name>` runs one.
// Each benchmark is a plain ESM script on the built dist/ that can also be run alone (`node bench/<file>`).
// Add yours to BENCHMARKS. `npm run bench` builds first.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = [
  {
    name: 'runtime-overhead',
    file: 'runtime-overhead.js',
    about: 'runtime/process/host collectors: cost per scrape, per idle second, per require()',
  },
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !BENCHMARKS.some((b) => b.name === w));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}\navailable:`);
  for (const b of BENCHMARKS) console.error(`  ${b.name.padEnd(20)} ${b.about}`);
  process.exit(2);
}
let failed = 0;
for (const b of BENCHMARKS) {
  if (wanted.length > 0 && !wanted.includes(b.name)) continue;
  console.log(`\n=== ${b.name}: ${b.about}`);
  const file = fileURLToPath(new URL(b.file, import.meta.url));
  const { status } = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
