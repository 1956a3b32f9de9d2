import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV } from '../src/config.js';
import { ERROR_CODES } from '../src/errors.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it.each(ERROR_CODES)('documents the error code %s in the error table', (code) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${code}\`\\s*\\|`, 'm'));
  });

  it.each(Object.keys(ENV))('documents the environment variable %s in the configuration table', (name) => {
    expect(readme).toMatch(new RegExp(`^\\|.*\`${name}\`.*\\|`, 'm'));
  });

  it('shows the two commands that set everything up', () => {
    expect(readme).toContain('npm install && npm run demo');
    expect(readme).toContain('npm test');
  });
});
