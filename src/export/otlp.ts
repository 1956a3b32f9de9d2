import type { Agent } from 'node:http';
import { ExportResultCode } from '@opentelemetry/core';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ResolvedOtlpOptions } from './options.js';
import type { PushExporter } from './push-reader.js';
import { exportAgent } from './transport.js';

/**
 * OTLP through the upstream exporters (`-otlp-http` for http/json, `-otlp-proto` for http/protobuf,
 * `-otlp-grpc`), which bring the spec's encoding and retries (429/502/503/504 and network errors, with backoff,
 * within `timeoutMs`). Only the protocol in use is imported, on the first export, so an http/protobuf app never
 * loads the grpc stack and `initMeter()` stays synchronous.
 */
export function otlpExporter(options: ResolvedOtlpOptions): PushExporter {
  let upstream: Promise<PushMetricExporter> | undefined;
  return {
    name: 'otlp',
    async send(metrics: ResourceMetrics) {
      upstream ??= createUpstream(options);
      const exporter = await upstream;
      const result = await new Promise<{ code: ExportResultCode; error?: Error }>((resolve) =>
        exporter.export(metrics, resolve),
      );
      if (result.code !== ExportResultCode.SUCCESS) throw result.error ?? new Error('OTLP export failed');
    },
    async close() {
      if (upstream) await (await upstream).shutdown();
    },
  };
}

async function createUpstream(o: ResolvedOtlpOptions): Promise<PushMetricExporter> {
  const common = {
    url: o.endpoint,
    timeoutMillis: o.timeoutMs,
    // The upstream CompressionAlgorithm enum's values are these strings.
    compression: o.compression as never,
  };
  if (o.protocol === 'grpc') {
    const [{ OTLPMetricExporter }, grpc] = await Promise.all([
      import('@opentelemetry/exporter-metrics-otlp-grpc'),
      import('@grpc/grpc-js'),
    ]);
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(o.headers)) metadata.set(k, v);
    const tls = o.tls.ca !== undefined || o.tls.cert !== undefined || o.endpoint.startsWith('https:');
    const pem = (s: string | undefined) => (s === undefined ? null : Buffer.from(s));
    const credentials = tls
      ? grpc.credentials.createSsl(pem(o.tls.ca), pem(o.tls.key), pem(o.tls.cert))
      : grpc.credentials.createInsecure();
    return new OTLPMetricExporter({ ...common, metadata, credentials });
  }
  // Our own agent, so the HTTP client metrics can tell these requests from the application's.
  const httpAgentOptions = async (protocol: string): Promise<Agent> => exportAgent(protocol, o.tls);
  const http = { ...common, headers: { ...o.headers }, httpAgentOptions };
  if (o.protocol === 'http/json') {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
    return new OTLPMetricExporter(http);
  }
  const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
  return new OTLPMetricExporter(http);
}
