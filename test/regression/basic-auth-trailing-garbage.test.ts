// Issue 10, finding 8: basic-auth decoding accepted trailing garbage. Node's base64 decoder skips characters
// outside the alphabet and stops at padding, so the right credentials followed by anything were let in.
import { afterEach, describe, expect, it } from 'vitest';
import { serveMeter } from '../prometheus/support.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

describe('basic auth (issue 10, finding 8)', () => {
  it('answers 401 to the right credentials followed by garbage, and 200 to them alone', async () => {
    const served = await serveMeter({ basicAuth: { username: 'prom', password: 'secret' } });
    cleanup.push(served.close);
    const encoded = Buffer.from('prom:secret').toString('base64'); // cHJvbTpzZWNyZXQ=
    const status = async (credentials: string) =>
      (await fetch(served.url, { headers: { authorization: `Basic ${credentials}` } })).status;
    expect(await status(encoded)).toBe(200);
    expect(await status(`${encoded}garbage`)).toBe(401);
    expect(await status(`${encoded}!!`)).toBe(401);
    expect(await status(`${encoded}=`)).toBe(401);
    expect(await status(`${encoded.slice(0, 4)}*${encoded.slice(4)}`)).toBe(401);
    expect(await status(encoded.replace(/=+$/, ''))).toBe(401);
  });
});
