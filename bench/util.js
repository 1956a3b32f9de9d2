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

/** The middle value of `xs` (the upper one of the two for an even count). */
export const middle = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs `fn` (which does `n` operations) once; returns ns per operation by two clocks: wall time, and the CPU
 * time of this thread (process.threadCpuUsage()). On a shared, loaded machine the wall figure includes the time
 * the thread waited for a core; the thread CPU figure does not (GC helper and compiler threads are not counted
 * either, for any variant), so it is the steadier one.
 */
export function timePerOp(fn, n) {
  const cpuUs = () => {
    const u = process.threadCpuUsage();
    return u.user + u.system;
  };
  const c = cpuUs();
  const t = process.hrtime.bigint();
  fn();
  return { wall: Number(process.hrtime.bigint() - t) / n, cpu: ((cpuUs() - c) * 1000) / n };
}
