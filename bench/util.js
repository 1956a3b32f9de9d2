import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Median of `runs` timings of `fn` (ms), after `warmup` untimed runs. */
export async function median(fn, { runs = 10, warmup = 3 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export function gc() {
  if (globalThis.gc) {
    globalThis.gc();
    globalThis.gc();
  }
}

function version(pkg) {
  try {
    return JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8'))
      .version;
  } catch {
    return '?';
  }
}

/** One line saying where and with what the figures were taken. */
export function environment() {
  return (
    `node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ` +
    `sdk-metrics ${version('@opentelemetry/sdk-metrics')}, exporter-prometheus ${version('@opentelemetry/exporter-prometheus')}, ` +
    `prom-client ${version('prom-client')}, ${new Date().toISOString().slice(0, 10)}`
  );
}

export const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
