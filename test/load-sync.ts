/// <reference types="vite/client" />
// vitest.config.ts puts this module in place of src/load-sync.ts: the suite runs the TypeScript sources, which
// Node's require() cannot load, so the modules loaded lazily in production are read through vite here.
// Every path passed to loadSync() in src/ must match this glob; an unknown one fails loudly.
const modules = import.meta.glob(
  ['../src/export/{otlp,statsd,pushgateway,console}.ts', '../src/instruments/instruments.ts'],
  { eager: true },
);

export function loadSync<T>(path: string): T {
  const key = `../src/${path.replace(/^\.\//, '').replace(/\.js$/, '.ts')}`;
  const loaded = modules[key];
  if (loaded === undefined) throw new Error(`test/load-sync.ts: ${key} is not in its glob`);
  return loaded as T;
}
