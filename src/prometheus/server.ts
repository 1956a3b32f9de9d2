import { createServer, type RequestListener, type Server, STATUS_CODES } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { MetricsError } from '../errors.js';
import { markMetricsServer } from '../metrics-traffic.js';
import { ConnectionGuard } from './connections.js';
import type { ConnectionCloseReason } from './self-metrics.js';

export interface ListeningServer {
  readonly server: Server;
  readonly url: string;
  /** Open connections, as the connection guard counts them. */
  readonly connections: () => number;
  close(): Promise<void>;
}

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** PEM key and certificate: serve HTTPS. */
  readonly tls?: { readonly key: string; readonly cert: string } | undefined;
  /** Told about requests the HTTP parser rejected (400, 408, 431) before they reached the handler. */
  readonly onClientError?: (status: number) => void;
  /** Told about every connection the server closed to protect itself. */
  readonly onConnectionClosed?: (reason: ConnectionCloseReason) => void;
  /** Open connections at once (`prometheus.maxConnections`). Default `LIMITS.maxConnections`. */
  readonly maxConnections?: number;
  /** Time to complete a request's headers, in ms (`prometheus.headerTimeout`). Default `LIMITS.headersTimeout`. */
  readonly headerTimeout?: number;
  /** Time to complete a TLS handshake, in ms (`prometheus.tlsHandshakeTimeout`). Default `LIMITS.tlsHandshakeTimeout`. */
  readonly tlsHandshakeTimeout?: number;
}

/**
 * Request limits. A scrape is one small GET, so anything bigger or slower is a client to drop: headers up to
 * 8 KiB (room for a long bearer token), 10 s to send them, 5 s for a TLS handshake, 30 s for the whole
 * request, idle keep-alive sockets closed after 5 s, at most 256 open connections (idle ones make room for new
 * ones: `ConnectionGuard`). The configurable ones default to the same values in `DEFAULTS.prometheus`.
 *
 * `backlog`, the kernel's queue of connections not yet accepted (the OS caps it at `net.core.somaxconn`, 4096
 * on current Linux): when idle clients flood the endpoint, those above `maxConnections` wait there to replace
 * the ones evicted. With Node's default of 511, 1000 such clients overflowed it, and a probe whose connection
 * the kernel then dropped waited for its SYN to be resent, a whole second (docs/benchmarks.md).
 */
export const LIMITS = Object.freeze({
  maxHeaderSize: 8 * 1024,
  headersTimeout: 10_000,
  tlsHandshakeTimeout: 5_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  maxConnections: 256,
  backlog: 4096,
});

/**
 * Listens with our own `node:http` (or `node:https`) server, not the exporter's, which binds all interfaces and
 * hides listen errors. The server is `unref()`'d so it never keeps the process alive. Listen errors reject
 * with a `MetricsError` that names the port and the variable to change.
 */
export function listen(handler: RequestListener, options: ListenOptions): Promise<ListeningServer> {
  const { host, port, path, tls } = options;
  const headerTimeout = options.headerTimeout ?? LIMITS.headersTimeout;
  const serverOptions = {
    maxHeaderSize: LIMITS.maxHeaderSize,
    // Node's own checks stay as a backstop; the guard's per-connection timer is what holds the deadline.
    headersTimeout: Math.min(headerTimeout, LIMITS.requestTimeout),
    requestTimeout: LIMITS.requestTimeout,
    keepAliveTimeout: LIMITS.keepAliveTimeout,
  };
  const server: Server = tls
    ? createHttpsServer(
        {
          ...serverOptions,
          key: tls.key,
          cert: tls.cert,
          handshakeTimeout: options.tlsHandshakeTimeout ?? LIMITS.tlsHandshakeTimeout,
        },
        handler,
      )
    : createServer(serverOptions, handler);
  const closed = options.onConnectionClosed ?? (() => {});
  // No `server.maxConnections`: at the limit it refuses every newcomer, so idle clients lock everyone out.
  const guard = new ConnectionGuard(
    server,
    {
      maxConnections: options.maxConnections ?? LIMITS.maxConnections,
      headerTimeout,
      tlsHandshakeTimeout: options.tlsHandshakeTimeout ?? LIMITS.tlsHandshakeTimeout,
    },
    closed,
    tls !== undefined,
  );
  markMetricsServer(server);
  server.on('tlsClientError', (err: NodeJS.ErrnoException) => {
    // Node has closed the socket already; a handshake that failed for other reasons is the client's business.
    if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') closed('tls_handshake_timeout');
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Node's default answer, plus counting it (attaching a listener replaces the default). Only HTTP parser
    // errors get an HTTP answer; anything else (a reset, a failed or timed-out TLS handshake) is closed.
    const code = err.code ?? '';
    const status =
      code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : code.startsWith('HPE_')
            ? 400
            : undefined;
    if (status === undefined || !socket.writable) {
      socket.destroy();
      return;
    }
    options.onClientError?.(status);
    const text = `${STATUS_CODES[status]?.toLowerCase()}\n`;
    // Closed once the answer is out: the server allows half-open sockets, so `end()` alone could leave it open.
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n` +
        `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
      () => socket.destroy(),
    );
  });
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.close();
      const where = `${host}:${port}`;
      if (err.code === 'EADDRINUSE') {
        reject(
          new MetricsError(
            [
              {
                code: 'ERR_PORT_IN_USE',
                source: 'metrics endpoint',
                message:
                  `port ${port} on ${host} is already in use; choose another with prometheus.port or ` +
                  'OTEL_EXPORTER_PROMETHEUS_PORT (0 picks a free port)',
              },
            ],
            { cause: err },
          ),
        );
      } else {
        reject(
          new MetricsError(
            [
              {
                code: 'ERR_LISTEN_FAILED',
                source: 'metrics endpoint',
                message: `cannot listen on ${where}: ${err.message}; check prometheus.host / OTEL_EXPORTER_PROMETHEUS_HOST`,
              },
            ],
            { cause: err },
          ),
        );
      }
    };
    server.once('error', onError);
    // `localhost` may resolve to ::1 alone; the spec's default means "loopback", so bind the IPv4 loopback
    // that every scraper and `curl http://localhost` reach.
    server.listen({ host: host === 'localhost' ? '127.0.0.1' : host, port, backlog: LIMITS.backlog }, () => {
      server.off('error', onError);
      server.on('error', () => {
        /* per-connection errors are handled by node:http; a server-level error after listen is ignored */
      });
      server.unref();
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        server,
        url: `${tls ? 'https' : 'http'}://${shownHost}:${address.port}${path}`,
        connections: () => guard.size,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
            guard.closeIdle();
          }),
      });
    });
  });
}
