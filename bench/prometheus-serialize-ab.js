// A/B of the serializer alone: this build (dist/) against another build of it (BASELINE_DIST, e.g. a checkout of
// main built with `npm run build`), on the same collected data, interleaved run by run so a busy machine slows
// both sides alike. For changes to src/prometheus/serializer.ts, where bench/prometheus-serialize.js's
// cross-library comparison is too noisy to show a few percent.
//   BASELINE_DIST=/tmp/main/dist node bench/run.js prometheus-serialize-ab
// BENCH_FORMATS picks the formats (default `text,openmetrics`); OpenMetrics output may differ between the two
// builds (e.g. `_created` lines), so its ratio includes the cost of what a build writes more.
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusReader } from '../dist/prometheus/reader.js';
import { PrometheusSerializer } from '../dist/prometheus/serializer.js';
import { populateOtel } from './fixture.js';
import { environment, fmt } from './util.js';

const baselineDist = process.env.BASELINE_DIST;
if (!baselineDist) {
  console.log('set BASELINE_DIST to the dist/ folder of the build to compare against; skipping');
  process.exit(0);
}
const { PrometheusSerializer: Baseline } = await import(`${baselineDist}/prometheus/serializer.js`);
const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const FORMATS = (process.env.BENCH_FORMATS ?? 'text,openmetrics').split(',');

console.log(environment());
console.log(
  'series | format | baseline ms (median) | this ms (median) | this/baseline | bytes baseline → this',
);
for (const n of SIZES)
  for (const format of FORMATS) {
    const reader = new PrometheusReader({ cardinalityLimit: 2000 });
    const provider = new MeterProvider({ readers: [reader] });
    populateOtel(provider.getMeter('bench'), n);
    const { resourceMetrics } = await reader.collect();
    const sides = [
      { serializer: new Baseline(), times: [] },
      { serializer: new PrometheusSerializer(), times: [] },
    ];
    const once = (s) => {
      let bytes = 0;
      // With stats, as the endpoint always asks for them.
      for (const chunk of s.serializer.chunks(resourceMetrics, format, { series: 0, overflow: new Map() })) {
        bytes += chunk.length;
      }
      return bytes;
    };
    for (const s of sides) for (let i = 0; i < 3; i++) s.bytes = once(s);
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which side goes first, so neither always runs on a warmer cache.
      for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
        const t = performance.now();
        once(s);
        s.times.push(performance.now() - t);
      }
    }
    const med = (t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
    const [base, ours] = sides.map((s) => med(s.times));
    const [baseMin, oursMin] = sides.map((s) => Math.min(...s.times));
    console.log(
      `${String(n).padStart(6)} | ${format.padEnd(11)} | ${fmt(base).padStart(20)} | ${fmt(ours).padStart(16)} | ` +
        `${(ours / base).toFixed(3)} | ${fmt(baseMin)} → ${fmt(oursMin)} (${(oursMin / baseMin).toFixed(3)}) | ` +
        `${sides[0].bytes} → ${sides[1].bytes}`,
    );
    await provider.shutdown();
  }
