// End-to-end scrape over HTTP at 10k series, Accept-Encoding: gzip, as Prometheus sends it:
// - ours: the endpoint server (negotiation, gzip level 1 on the thread pool, chunked body);
// - upstream: the exporter's own server (it ignores Accept-Encoding: 4+ MB uncompressed);
// - upstream + gzip: the exporter's collect()+serializer behind zlib.gzip at the default level, the way a user
//   would add compression in front of it (e.g. the `compression` middleware, default level 6).
// The client runs in the same process (2-core machine), timing request start to last body byte.
import { createServer, request } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { PrometheusSerializer as UpstreamSerializer } from '@opentelemetry/exporter-prometheus';
import { ourEndpoint, upstreamEndpoint } from './fixture.js';
import { environment, fmt, gc, median } from './util.js';

const N = Number(process.env.BENCH_HTTP_SERIES ?? 10_000);
const gzipAsync = promisify(gzip);

function scrape(url) {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (c) => {
        bytes += c.length;
      });
      res.on('end', () => resolve({ bytes, encoding: res.headers['content-encoding'] ?? 'identity' }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function measure(label, url) {
  let last;
  const ms = await median(
    async () => {
      last = await scrape(url);
    },
    { runs: 15, warmup: 3 },
  );
  console.log(
    `${label.padEnd(16)} ${fmt(ms).padStart(7)} ms  ${(last.bytes / 1024).toFixed(0).padStart(6)} KB ${last.encoding}`,
  );
  return ms;
}

console.log(environment());
console.log(`${N} series, median of 15 scrapes`);

const ours = await ourEndpoint(N);
const oursMs = await measure('ours (gzip)', ours.url);
await ours.close();
gc();

const upstream = await upstreamEndpoint(N);
const { exporter } = upstream;
const upstreamMs = await measure('upstream (none)', upstream.url);

const serializer = new UpstreamSerializer();
const zipped = createServer(async (_req, res) => {
  const { resourceMetrics } = await exporter.collect();
  const body = await gzipAsync(serializer.serialize(resourceMetrics));
  res.writeHead(200, {
    'content-type': 'text/plain',
    'content-encoding': 'gzip',
    'content-length': body.length,
  });
  res.end(body);
});
await new Promise((r) => zipped.listen(0, '127.0.0.1', r));
const upstreamGzipMs = await measure('upstream + gzip', `http://127.0.0.1:${zipped.address().port}/metrics`);
zipped.close();
await upstream.close();

console.log(
  `upstream/ours ${(upstreamMs / oursMs).toFixed(1)}x, (upstream + gzip)/ours ${(upstreamGzipMs / oursMs).toFixed(1)}x`,
);
