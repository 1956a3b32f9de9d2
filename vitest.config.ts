import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // src/load-sync.ts require()s built modules; the suite runs sources, so it gets a vite-backed stand-in.
    alias: [
      {
        find: /^(?:\.\.?\/)+load-sync\.js$/,
        replacement: fileURLToPath(new URL('./test/load-sync.ts', import.meta.url)),
      },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Child-process and real-server tests bind ports and spawn Node; keep the 2-core CI machine responsive.
    maxWorkers: 2,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});
