import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('examples/testing', () => {
  it('passes its own node:test suite, run the way its README says', async () => {
    // The example imports the package by name, which resolves to the build output.
    expect(existsSync('dist/testing/index.js'), 'run `npm run build` first').toBe(true);
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--test', '--test-reporter=tap', 'examples/testing/orders.test.js'],
        { timeout: 60_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
      );
    });
    expect(out).toContain('# pass 5');
    expect(out).toContain('# fail 0');
    expect(code, out).toBe(0);
  });
});
