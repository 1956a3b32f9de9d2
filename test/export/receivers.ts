import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

// The subset of the OTLP metrics protocol (opentelemetry-proto, metrics/v1 and collector/metrics/v1) the tests
// decode, with the spec's field numbers.
const PROTO = `
syntax = "proto3";
package otlp;
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; } }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message Scope { string name = 1; string version = 2; }
message NumberDataPoint { repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3; double as_double = 4; sfixed64 as_int = 6; }
message HistogramDataPoint { repeated KeyValue attributes = 9; fixed64 count = 4; double sum = 5; repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7; }
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message Gauge { repeated NumberDataPoint data_points = 1; }
message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message Metric { string name = 1; string description = 2; string unit = 3; Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9; }
message ScopeMetrics { Scope scope = 1; repeated Metric metrics = 2; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; }
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
`;
const root = protobuf.parse(PROTO, { keepCase: false }).root;
const Request = root.lookupType('otlp.ExportMetricsServiceRequest');

/** One decoded data point, the same shape for protobuf and JSON. */
export interface ReceivedPoint {
  readonly metric: string;
  readonly unit: string;
  /** `sum`, `gauge` or `histogram`. */
  readonly kind: string;
  /** 1 = delta, 2 = cumulative (OTLP's enum); undefined for gauges. */
  readonly temporality: number | undefined;
  readonly attributes: Record<string, unknown>;
  /** The number, or the histogram's count. */
  readonly value: number;
  readonly sum?: number;
  /** A histogram's upper bounds and its per-bucket (not cumulative) counts, one more than the bounds. */
  readonly buckets?: { readonly bounds: number[]; readonly counts: number[] };
  readonly resource: Record<string, unknown>;
  /** The instrumentation scope's name. */
  readonly scope: string;
}

type Json = Record<string, unknown>;

function attributes(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of (list as Json[] | undefined) ?? []) {
    const v = (kv['value'] ?? {}) as Json;
    const raw = v['stringValue'] ?? v['boolValue'] ?? v['intValue'] ?? v['doubleValue'];
    out[kv['key'] as string] = typeof raw === 'string' && v['intValue'] !== undefined ? Number(raw) : raw;
  }
  return out;
}

/** Flattens a request (as protobufjs `toObject` or OTLP/JSON gives it) into data points. */
export function flatten(request: Json): ReceivedPoint[] {
  const out: ReceivedPoint[] = [];
  for (const rm of (request['resourceMetrics'] as Json[] | undefined) ?? []) {
    const resource = attributes((rm['resource'] as Json | undefined)?.['attributes']);
    for (const sm of (rm['scopeMetrics'] as Json[] | undefined) ?? []) {
      const scope = String((sm['scope'] as Json | undefined)?.['name'] ?? '');
      for (const m of (sm['metrics'] as Json[] | undefined) ?? []) {
        const kind = m['sum'] ? 'sum' : m['gauge'] ? 'gauge' : m['histogram'] ? 'histogram' : 'other';
        const body = (m[kind] ?? {}) as Json;
        const temporality = body['aggregationTemporality'] as number | undefined;
        for (const p of (body['dataPoints'] as Json[] | undefined) ?? []) {
          const value = kind === 'histogram' ? Number(p['count']) : Number(p['asInt'] ?? p['asDouble'] ?? 0);
          out.push({
            metric: m['name'] as string,
            unit: (m['unit'] as string) ?? '',
            kind,
            temporality,
            attributes: attributes(p['attributes']),
            value,
            ...(kind === 'histogram'
              ? {
                  sum: Number(p['sum']),
                  buckets: {
                    bounds: ((p['explicitBounds'] as unknown[] | undefined) ?? []).map(Number),
                    counts: ((p['bucketCounts'] as unknown[] | undefined) ?? []).map(Number),
                  },
                }
              : {}),
            resource,
            scope,
          });
        }
      }
    }
  }
  return out;
}

export function decodeProtobuf(body: Uint8Array): ReceivedPoint[] {
  const msg = Request.decode(body);
  return flatten(Request.toObject(msg, { longs: Number, enums: Number, defaults: false }) as Json);
}

export interface ReceivedRequest {
  readonly path: string;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** The body after undoing Content-Encoding. */
  readonly body: Buffer;
  readonly points: ReceivedPoint[];
}

/** An OTLP/HTTP receiver on port 0 that decodes protobuf and JSON bodies; `status` picks each answer. */
export async function otlpHttpReceiver(status: (n: number) => number = () => 200) {
  const requests: ReceivedRequest[] = [];
  let seen = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const type = String(req.headers['content-type']);
      const otlp = type.startsWith('application/json') || type.startsWith('application/x-protobuf');
      const code = otlp ? status(seen++) : 200;
      if (code === 200 && otlp) {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const json = type.startsWith('application/json');
        const points = json ? flatten(JSON.parse(body.toString('utf8')) as Json) : decodeProtobuf(body);
        requests.push({ path: req.url ?? '', method: req.method ?? '', headers: req.headers, body, points });
      }
      res.writeHead(code, {
        'content-type': String(req.headers['content-type'] ?? 'application/x-protobuf'),
      });
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Attempts answered so far, including non-200 ones. */
    attempts: () => seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The last value of `metric` with these attributes among everything received (cumulative view). */
export function lastValue(
  points: readonly ReceivedPoint[],
  metric: string,
  attrs: Record<string, unknown> = {},
) {
  const match = points.filter(
    (p) => p.metric === metric && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v),
  );
  return match.at(-1);
}

export { Request as ExportMetricsServiceRequest };

/** Resolves once `check` returns a truthy value, polling every 10 ms; rejects after `ms`. */
export async function waitFor<T>(check: () => T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The real Pushgateway (Debian's prometheus-pushgateway) on a free port with its own temp dir for persistence.
 * The port is found by binding port 0 and releasing it just before the gateway starts.
 */
export async function startPushgateway() {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createServer: createNetServer } = await import('node:net');
  const probe = createNetServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  const dir = mkdtempSync(join(tmpdir(), 'pushgateway-'));
  const child = spawn(
    'prometheus-pushgateway',
    [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${join(dir, 'data')}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 10_000;
  for (;;) {
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > end || child.exitCode !== null) throw new Error(`pushgateway did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    /** The gateway's own exposition. */
    metrics: () => fetch(`${url}/metrics`).then((r) => r.text()),
    stop: async () => {
      child.kill();
      if (child.exitCode === null) await once(child, 'exit');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
