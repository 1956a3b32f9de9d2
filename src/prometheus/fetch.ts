import { diag } from '@opentelemetry/api';
import {
  type BodyReply,
  type EndpointCore,
  type MetricsReply,
  type RequestHeader,
  textReply,
} from './endpoint-core.js';

/** A web-standard request handler: Next.js route handlers, Hono, `Bun.serve({ fetch })`, `Deno.serve()`. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Answers a Fetch `Request` for metrics with the core's decisions (the same negotiation, compression, auth,
 * limits and self-metrics as the node:http endpoint). A scrape body is a pull-based `ReadableStream` of the
 * exposition's chunks, so the server takes it chunk by chunk as it sends, and a large exposition never becomes
 * one string. Never rejects: an unexpected failure is logged and answered 500.
 *
 * `sendTimeout` applies as on node:http: a body not read to its end within it is errored (the server drops the
 * connection) and counted as `send_timeout`. That also frees the concurrency slot of a `Response` whose body
 * nobody reads. Fetch servers do not expose connections, so the one-scrape-per-connection rule and the
 * `maxQueuedBytes` bound on bodies held for slow sockets are node:http's alone.
 */
export async function serveFetch(core: EndpointCore, request: Request): Promise<Response> {
  try {
    const reply = await core.metrics({
      method: request.method,
      header: (name: RequestHeader) => request.headers.get(name) ?? undefined,
      connection: undefined,
      start: performance.now(),
    });
    return toResponse(reply, request.method === 'HEAD', core.options.sendTimeout);
  } catch (err) {
    diag.error('otel-metrics-bootstrap: metrics request failed', err);
    return toResponse(textReply(500, 'internal error\n'), false, 0);
  }
}

/** The core's reply as a `Response`. */
export function toResponse(reply: MetricsReply, head: boolean, sendTimeout: number): Response {
  const init = { status: reply.status, headers: reply.headers };
  if (reply.body === undefined) return new Response(head ? null : reply.text, init);
  if (head) {
    reply.finished();
    return new Response(null, init);
  }
  return new Response(bodyStream(reply, sendTimeout), init);
}

/** The body's chunks, one per pull; the reply is finished when the last is taken, on cancel or on timeout. */
function bodyStream(reply: BodyReply, sendTimeout: number): ReadableStream {
  const chunks = reply.body.chunks;
  let next = 0;
  let done = false;
  let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  const finish = (cut?: 'send_timeout') => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    reply.finished(cut);
  };
  const timer = setTimeout(() => {
    if (done) return;
    stream?.error(new Error(`metrics body not taken within ${sendTimeout} ms (prometheus.sendTimeout)`));
    finish('send_timeout');
  }, sendTimeout);
  timer.unref();
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        stream = controller;
      },
      pull(controller) {
        if (done) return;
        if (next < chunks.length) controller.enqueue(chunks[next++]!);
        if (next === chunks.length) {
          controller.close();
          finish();
        }
      },
      cancel() {
        finish();
      },
    },
    // Nothing is queued ahead of the reader: a chunk is handed over when the server asks for it.
    { highWaterMark: 0 },
  );
}
