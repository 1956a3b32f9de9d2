import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIPv6, type Socket } from 'node:net';
import { type Attributes, diag } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type Histogram,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ResolvedStatsdOptions } from './options.js';
import type { PushExporter } from './push-reader.js';

/**
 * Largest count of equal values sent as one DogStatsD multi-value distribution line (`v:v:v|d`); larger
 * groups keep only their count and sum, so a busy histogram cannot produce an oversized line.
 */
const MAX_DISTRIBUTION_VALUES = 32;

/**
 * StatsD / DogStatsD lines from one delta collection (counters and histograms arrive as per-interval deltas,
 * up-down counters and gauges as current values; see `temporalitySelector('delta')`):
 * - monotonic sums → `name:delta|c` (zero deltas are skipped);
 * - up-down counters and gauges → `name:value|g` (a negative value is preceded by `name:0|g`, because a signed
 *   gauge value means "change by" in StatsD);
 * - histograms → `name.count:n|c` and `name.sum:s|c`; with DogStatsD also a distribution `name:v|d` where the
 *   exact values are known: one measurement (its value is the sum), or all measurements equal (min = max).
 * With `tags: 'dogstatsd'` attributes become `|#key:value` tags. Plain StatsD has no tags, so lines for the
 * same name are merged: counters and up-down counters summed across attribute sets (totals stay right),
 * gauges keep the last attribute set's value.
 */
export function statsdLines(metrics: ResourceMetrics, prefix: string, dogstatsd: boolean): string[] {
  const lines: string[] = [];
  const merged = new Map<string, { value: number; type: 'c' | 'g'; sum: boolean }>();
  const add = (name: string, value: number, type: 'c' | 'g', attrs: Attributes, summed: boolean) => {
    if (dogstatsd) {
      if (type === 'g' && value < 0) lines.push(`${name}:0|g${tags(attrs)}`);
      lines.push(`${name}:${num(value)}|${type}${tags(attrs)}`);
      return;
    }
    const key = `${name}|${type}`;
    const seen = merged.get(key);
    if (seen && summed) seen.value += value;
    else merged.set(key, { value, type, sum: summed });
  };
  for (const scope of metrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const name = prefix + clean(metric.descriptor.name);
      if (metric.dataPointType === DataPointType.HISTOGRAM) {
        for (const p of metric.dataPoints) {
          const h = p.value as Histogram;
          if (h.count === 0) continue;
          add(`${name}.count`, h.count, 'c', p.attributes, true);
          add(`${name}.sum`, h.sum ?? 0, 'c', p.attributes, true);
          if (dogstatsd && metric.aggregationTemporality === AggregationTemporality.DELTA) {
            const exact =
              h.count === 1
                ? h.sum
                : h.min !== undefined && h.min === h.max && h.count <= MAX_DISTRIBUTION_VALUES
                  ? h.min
                  : undefined;
            if (exact !== undefined)
              lines.push(`${name}:${Array(h.count).fill(num(exact)).join(':')}|d${tags(p.attributes)}`);
          }
        }
      } else if (metric.dataPointType === DataPointType.SUM && metric.isMonotonic) {
        for (const p of metric.dataPoints) {
          if (p.value !== 0) add(name, p.value as number, 'c', p.attributes, true);
        }
      } else if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
        const summed = metric.dataPointType === DataPointType.SUM;
        for (const p of metric.dataPoints) add(name, p.value as number, 'g', p.attributes, summed);
      }
    }
  }
  for (const [key, { value, type }] of merged) {
    const name = key.slice(0, key.lastIndexOf('|'));
    if (type === 'c' && value === 0) continue;
    if (type === 'g' && value < 0) lines.push(`${name}:0|g`);
    lines.push(`${name}:${num(value)}|${type}`);
  }
  return lines;
}

/** Characters with a meaning in the line format (`:`, `|`, `@`, `#`, `,`) and whitespace become `_`. */
function clean(s: string): string {
  return s.replace(/[:|@#,\s]/g, '_');
}

function tags(attrs: Attributes): string {
  let out = '';
  for (const key in attrs) {
    const v = attrs[key];
    if (v === undefined) continue;
    out += `${out === '' ? '|#' : ','}${clean(key)}:${String(v).replace(/[|#,\s]/g, '_')}`;
  }
  return out;
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(15)));
}

/**
 * Joins lines into packets of at most `maxBytes` (UTF-8), never splitting a line. A line longer than the limit
 * on its own cannot be sent whole and is left out; the count of those is returned.
 */
export function packets(
  lines: readonly string[],
  maxBytes: number,
): { packets: string[]; oversized: number } {
  const out: string[] = [];
  let current = '';
  let currentBytes = 0;
  let oversized = 0;
  for (const line of lines) {
    const bytes = Buffer.byteLength(line);
    if (bytes > maxBytes) {
      oversized++;
      continue;
    }
    if (current !== '' && currentBytes + 1 + bytes > maxBytes) {
      out.push(current);
      current = '';
      currentBytes = 0;
    }
    current = current === '' ? line : `${current}\n${line}`;
    currentBytes += current === line ? bytes : bytes + 1;
  }
  if (current !== '') out.push(current);
  return { packets: out, oversized };
}

/**
 * The StatsD wire format is written here rather than through a client such as hot-shots: those clients are
 * built for one call per measurement with their own buffering and timers, while we turn a whole collection
 * into lines at once, need every packet cut at our size limit and every failure reported to the export
 * accounting, and would otherwise pull in a native module (unix-dgram) for sockets.
 */
export function statsdExporter(o: ResolvedStatsdOptions): PushExporter {
  let udp: UdpSocket | undefined;
  let stream: Socket | undefined;
  let warnedOversize = false;
  const dogstatsd = o.tags === 'dogstatsd';

  const udpSend = (packet: string) =>
    new Promise<void>((resolve, reject) => {
      if (!udp) {
        udp = createSocket(isIPv6(o.host) ? 'udp6' : 'udp4');
        // Errors reach the send callbacks; without a listener an ICMP error would be thrown.
        udp.on('error', () => undefined);
        udp.unref();
      }
      udp.send(packet, o.port, o.host, (err) => (err ? reject(err) : resolve()));
    });

  const streamSocket = () =>
    new Promise<Socket>((resolve, reject) => {
      if (stream && !stream.destroyed && !stream.connecting) return resolve(stream);
      stream?.destroy();
      const s =
        o.protocol === 'uds'
          ? connect({ path: o.socketPath ?? '' })
          : connect({ host: o.host, port: o.port });
      stream = s;
      s.unref();
      s.once('connect', () => {
        s.removeListener('error', reject);
        // Later errors (peer gone) surface at the next write; the socket is replaced then.
        s.on('error', () => s.destroy());
        resolve(s);
      });
      s.once('error', reject);
    });

  return {
    name: 'statsd',
    async send(metrics: ResourceMetrics, signal: AbortSignal) {
      const { packets: list, oversized } = packets(
        statsdLines(metrics, o.prefix, dogstatsd),
        o.maxPacketBytes,
      );
      if (oversized > 0 && !warnedOversize) {
        warnedOversize = true;
        diag.warn(
          `otel-metrics-bootstrap: statsd: ${oversized} line(s) longer than maxPacketBytes (${o.maxPacketBytes}) were left out; raise statsd.maxPacketBytes`,
        );
      }
      if (o.protocol === 'udp') {
        for (const p of list) {
          signal.throwIfAborted();
          await udpSend(p);
        }
        return;
      }
      const s = await streamSocket();
      for (const p of list) {
        signal.throwIfAborted();
        const text = Buffer.from(`${p}\n`);
        // DogStatsD's stream socket reads length-prefixed frames (32-bit little-endian), TCP StatsD lines.
        const frame = o.protocol === 'uds' ? Buffer.concat([le32(text.length), text]) : text;
        await new Promise<void>((resolve, reject) =>
          s.write(frame, (err) => (err ? reject(err) : resolve())),
        );
      }
    },
    async close() {
      udp?.close();
      stream?.end();
      stream?.unref();
    },
  };
}

function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
