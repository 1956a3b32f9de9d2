// A scraping client in its own process, as Prometheus is: the cluster benches' server-side figures then do not
// include receiving, decompressing and decoding the body (up to 53 MB) on the server's event loop.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Starts the client; `scrape(url)` GETs the exposition (text, gzip) and resolves with its decompressed size, or
 * rejects with what went wrong (a status other than 200, a network error).
 */
export function startScraper() {
  const child = fork(fileURLToPath(import.meta.url), ['--scraper']);
  return {
    scrape: (url) =>
      new Promise((resolve, reject) => {
        child.once('message', (m) => (typeof m === 'number' ? resolve(m) : reject(new Error(m.error))));
        child.send(url);
      }),
    stop: () => child.kill(),
  };
}

if (process.argv[2] === '--scraper') {
  process.on('message', async (url) => {
    try {
      const res = await fetch(url, { headers: { accept: 'text/plain', 'accept-encoding': 'gzip' } });
      const body = await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`scrape answered ${res.status}: ${Buffer.from(body)}`);
      process.send(body.byteLength);
    } catch (err) {
      process.send({ error: String(err) });
    }
  });
}
