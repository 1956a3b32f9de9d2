import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer } from '../prometheus/serializer.js';
import type { ResolvedPushgatewayOptions } from './options.js';
import type { PushExporter } from './push-reader.js';
import { exportAgent, sendWithRetry } from './transport.js';

const gzipAsync = promisify(gzip);
const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The group's URL per the Pushgateway API: `/metrics/job/<job>/<label>/<value>…`. A value with `/` (which the
 * path would split) or an empty one is sent as `<label>@base64/<base64url>` (`=` for the empty string, as the
 * API documents); others are percent-encoded, which the gateway decodes, Unicode included.
 */
export function groupingPath(job: string, groupingKey: Readonly<Record<string, string>>): string {
  let path = `/metrics${segment('job', job)}`;
  for (const [name, value] of Object.entries(groupingKey)) path += segment(name, value);
  return path;
}

function segment(name: string, value: string): string {
  if (value === '') return `/${name}@base64/=`;
  if (value.includes('/')) return `/${name}@base64/${Buffer.from(value, 'utf8').toString('base64url')}`;
  return `/${name}/${encodeURIComponent(value)}`;
}

/**
 * Pushes what the Prometheus endpoint would serve (our serializer, text format, gzip'd) to one group. `put`
 * replaces the group, `post` only the families pushed; `close` deletes the group when `deleteOnShutdown`.
 */
export function pushgatewayExporter(o: ResolvedPushgatewayOptions): PushExporter {
  const url = new URL(`${o.url}${groupingPath(o.job, o.groupingKey)}`);
  const agent = exportAgent(url.protocol);
  const serializer = new PrometheusSerializer();
  const headers: Record<string, string> = {};
  if (o.auth && 'token' in o.auth) headers['authorization'] = `Bearer ${o.auth.token}`;
  else if (o.auth)
    headers['authorization'] =
      `Basic ${Buffer.from(`${o.auth.username}:${o.auth.password}`).toString('base64')}`;
  const pushHeaders = { ...headers, 'content-type': TEXT_FORMAT, 'content-encoding': 'gzip' };
  const method = o.method.toUpperCase();
  return {
    name: 'pushgateway',
    async send(metrics: ResourceMetrics, signal: AbortSignal) {
      const body = await gzipAsync(Buffer.concat([...serializer.chunks(metrics, 'text')]));
      await sendWithRetry(url, { method, headers: pushHeaders, body, agent }, signal);
    },
    async close(signal: AbortSignal) {
      try {
        if (o.deleteOnShutdown) await sendWithRetry(url, { method: 'DELETE', headers, agent }, signal);
      } finally {
        agent.destroy();
      }
    },
  };
}
