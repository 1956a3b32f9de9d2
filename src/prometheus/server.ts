import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsError } from '../errors.js';

export interface ListeningServer {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Listens with our own `node:http` server (not the exporter's, which binds all interfaces and hides listen
 * errors). The server is `unref()`'d so it never keeps the process alive. Listen errors reject with a
 * `MetricsError` that names the port and the variable to change.
 */
export function listen(
  handler: RequestListener,
  host: string,
  port: number,
  path: string,
): Promise<ListeningServer> {
  const server = createServer(handler);
  // Scrapers use short requests; bounded timeouts keep a slow client from holding a socket.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
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
    server.listen({ host: host === 'localhost' ? '127.0.0.1' : host, port }, () => {
      server.off('error', onError);
      server.on('error', () => {
        /* per-connection errors are handled by node:http; a server-level error after listen is ignored */
      });
      server.unref();
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        server,
        url: `http://${shownHost}:${address.port}${path}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
