import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import type { CollectionResult } from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer } from './serializer.js';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What the endpoint needs: something that collects (a MetricReader) and how to name things. */
export interface MetricsSource {
  collect(): Promise<CollectionResult>;
}

export interface EndpointOptions {
  readonly path: string;
  readonly targetInfo: boolean;
  readonly scopeInfo: boolean;
}

/**
 * The `(req, res)` handler behind the metrics server: routes the configured path, collects, serializes and
 * answers. Failures never escape: a collection that rejects answers 500 with a short text, never a 200 that
 * looks like data.
 */
export class MetricsEndpoint {
  private readonly serializer: PrometheusSerializer;

  constructor(
    private readonly source: MetricsSource,
    private readonly options: EndpointOptions,
  ) {
    this.serializer = new PrometheusSerializer({
      targetInfo: options.targetInfo,
      scopeInfo: options.scopeInfo,
    });
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.respond(req, res).catch((err: unknown) => {
      diag.error('otel-metrics-bootstrap: metrics request failed', err);
      if (!res.headersSent) sendText(res, 500, 'metrics collection failed\n');
      else res.destroy();
    });
  };

  private async respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = (req.url ?? '/').split('?', 1)[0];
    if (pathname !== this.options.path) return sendText(res, 404, 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendText(res, 405, 'method not allowed\n');
    }
    const { resourceMetrics, errors } = await this.source.collect();
    if (errors.length > 0) diag.warn('otel-metrics-bootstrap: some metrics failed to collect', ...errors);
    await resourceMetrics.resource.waitForAsyncAttributes?.();
    const body = this.serializer.serialize(resourceMetrics, 'text');
    res.statusCode = 200;
    res.setHeader('Content-Type', TEXT_CONTENT_TYPE);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}
