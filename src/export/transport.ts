import { Agent as HttpAgent, type IncomingMessage, request } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { markExportAgent } from '../metrics-traffic.js';

/**
 * A keep-alive agent used only by one push exporter, marked so that `http.client.*` leaves its requests out.
 * TLS material (PEM) applies to https.
 */
export function exportAgent(
  protocol: string,
  tls: { ca?: string; cert?: string; key?: string } = {},
): HttpAgent {
  const agent =
    protocol === 'https:' ? new HttpsAgent({ keepAlive: true, ...tls }) : new HttpAgent({ keepAlive: true });
  markExportAgent(agent);
  return agent;
}

/** Statuses worth another try, as the OTLP exporter spec lists them (the Pushgateway answers the same way). */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2_000;

/** A failed HTTP export: the status (0 for a network error) and what the server said. */
export class ExportHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ExportHttpError';
  }
}

export interface HttpSend {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  readonly agent: HttpAgent;
}

/**
 * Sends one request, retrying 429/502/503/504 and network errors with exponential backoff (or the server's
 * `Retry-After`) until it succeeds or `signal` aborts; resolves with the response body on 2xx.
 */
export async function sendWithRetry(url: URL, init: HttpSend, signal: AbortSignal): Promise<string> {
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    try {
      return await sendOnce(url, init, signal);
    } catch (err) {
      const retryable =
        err instanceof ExportHttpError
          ? err.retryable
          : RETRYABLE_NETWORK.has((err as { code?: string }).code ?? '');
      if (!retryable || signal.aborted) throw err;
      const wait =
        (err instanceof ExportHttpError ? err.retryAfterMs : undefined) ??
        backoff * (0.8 + Math.random() * 0.4);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      await delay(wait, undefined, { signal }).catch(() => {
        throw err;
      });
    }
  }
}

function sendOnce(url: URL, init: HttpSend, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: init.method, headers: init.headers, agent: init.agent, signal },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          // A misbehaving server cannot make us buffer without bound; the start of its answer is enough.
          if (size < 64 * 1024) chunks.push(c);
          size += c.length;
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8').trim();
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(text);
          else
            reject(
              new ExportHttpError(
                `${init.method} ${url.origin}${url.pathname} answered ${status}${text ? `: ${text.slice(0, 300)}` : ''}`,
                status,
                RETRYABLE_STATUS.has(status),
                retryAfter(res),
              ),
            );
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

function retryAfter(res: IncomingMessage): number | undefined {
  const raw = res.headers['retry-after'];
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
