import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionCloseReason } from './self-metrics.js';

export interface ConnectionLimits {
  /** Open connections; at the limit a newcomer closes a connection without a request in progress. */
  readonly maxConnections: number;
  /** From "ready for a request" to complete headers, in ms. */
  readonly headerTimeout: number;
  /** HTTPS only: from the connection's start to a finished TLS handshake, in ms. */
  readonly tlsHandshakeTimeout: number;
}

/** One TCP connection. For HTTPS, `socket` is the TCP socket under the TLS socket: closing it closes both. */
interface Connection {
  readonly socket: Socket;
  /** HTTPS: peer address and port, to find this connection again from its TLS socket. */
  peer: string | undefined;
  /** The socket requests arrive on (the TLS socket once its handshake is done); `undefined` until then. */
  stream: Socket | undefined;
  /** The client has sent something: the connection was handed to the HTTP (or TLS) server. */
  spoke: boolean;
  /** Requests received and not yet answered (more than one when the client pipelines). */
  active: number;
  /** Closes the connection if the handshake or the next request does not come in time; unset while `active`. */
  timer: NodeJS.Timeout | undefined;
  closed: boolean;
}

const TIMEOUT_RESPONSE =
  'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
  'Content-Length: 16\r\n\r\nrequest timeout\n';

/**
 * Keeps idle and slow connections from locking clients out of the endpoint.
 *
 * Node's own protections do not: `server.maxConnections` refuses every newcomer once idle clients fill it, and
 * `headersTimeout` is only checked every 30 s (`connectionsCheckingInterval`), so 256 idle sockets locked out
 * `/metrics` and `/healthz` for 30–40 s. Here a connection waiting for a request is kept in one of two queues
 * in the order it started waiting: `silent` (it has not sent a byte yet) and `idle` (mid-headers, mid-TLS-
 * handshake, or idle between keep-alive requests). At `maxConnections` a newcomer closes the silent connection
 * that has waited longest, or else the idle one, so a flood of idle connections only ever evicts itself while a
 * probe that sends its request at once is served.
 *
 * What such a flood costs is churn: each connection evicted reconnects, and 1000 idle clients against 256 slots
 * are accepted and evicted thousands of times a second. So a connection costs as little as possible until it
 * speaks: the server's own `connection` listeners (the HTTP parser; for HTTPS the TLS socket, which is most of
 * the cost) run only when its first bytes arrive, and a silent connection is a bare TCP socket that is cheap to
 * accept and to close. A probe that has started its TLS handshake is no longer silent, so the flood's churn
 * does not evict it mid-handshake. Each waiting connection also has its own timer: for HTTPS the handshake must
 * finish `tlsHandshakeTimeout` after the connection started; headers not complete `headerTimeout` after the
 * connection became ready get 408 and a close.
 */
export class ConnectionGuard {
  private readonly silent = new Set<Connection>();
  private readonly idle = new Set<Connection>();
  private readonly bySocket = new WeakMap<Socket, Connection>();
  /** HTTPS: connections handed to the TLS server whose TLS socket is not known yet, by peer address and port. */
  private readonly handshaking = new Map<string, Connection>();
  /** The server's own `connection` listeners, run once a connection speaks. */
  private readonly handlers: ((socket: Socket) => void)[];
  private open = 0;

  constructor(
    private readonly server: Server,
    private readonly limits: ConnectionLimits,
    private readonly onClosed: (reason: ConnectionCloseReason) => void,
    private readonly tls: boolean,
  ) {
    // Injecting connections through the `connection` event is documented for both servers; taking the
    // server's own listeners out lets us decide when they run.
    this.handlers = server.rawListeners('connection') as ((socket: Socket) => void)[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => this.connected(socket));
    if (tls) server.on('secureConnection', (socket: Socket) => this.secured(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.request(req, res));
  }

  /** Connections open now (for tests and benchmarks). */
  get size(): number {
    return this.open;
  }

  /**
   * Closes every connection waiting for a request, including silent ones and TLS handshakes that
   * `server.closeAllConnections()` does not know of (they are not HTTP connections yet), so closing the server
   * never waits for them.
   */
  closeIdle(): void {
    for (const waiting of [this.silent, this.idle]) {
      for (const c of waiting) {
        this.forget(c);
        c.socket.destroy();
      }
    }
  }

  private connected(socket: Socket): void {
    if (this.open >= this.limits.maxConnections) {
      const oldest = this.silent.values().next().value ?? this.idle.values().next().value;
      if (oldest === undefined) {
        socket.destroy();
        this.onClosed('over_capacity');
        return;
      }
      this.close(oldest, 'evicted');
    }
    const c: Connection = {
      socket,
      peer: undefined,
      stream: this.tls ? undefined : socket,
      spoke: false,
      active: 0,
      timer: undefined,
      closed: false,
    };
    this.open++;
    this.bySocket.set(socket, c);
    socket.once('close', () => this.forget(c));
    // Until the server's handlers take over, nobody else listens: an error (a reset) must not go unhandled.
    socket.on('error', ignore);
    socket.once('data', (first: Buffer) => this.spoke(c, first));
    // A client that closes its side without a byte (a TCP health check) is done: the server allows half-open
    // sockets, so nothing else would close ours before the deadline.
    socket.once('end', () => {
      if (!c.spoke) {
        this.forget(c);
        socket.destroy();
      }
    });
    this.silent.add(c);
    if (this.tls) this.deadline(c, this.limits.tlsHandshakeTimeout, 'tls_handshake_timeout');
    else this.waiting(c);
  }

  /** The first bytes arrived: give them back to the socket and hand it to the server's own listeners. */
  private spoke(c: Connection, first: Buffer): void {
    if (c.closed) return;
    const { socket } = c;
    socket.pause();
    socket.unshift(first);
    socket.off('error', ignore);
    c.spoke = true;
    this.silent.delete(c);
    this.idle.add(c);
    if (this.tls) {
      c.peer = peer(socket);
      this.handshaking.set(c.peer, c);
    }
    for (const handler of this.handlers) handler.call(this.server, socket);
    // The TLS socket reads what was given back itself; the HTTP parser gets it through the socket's 'data'.
    if (!this.tls) socket.resume();
  }

  private secured(socket: Socket): void {
    const key = peer(socket);
    const c = this.handshaking.get(key);
    if (c === undefined) return;
    this.handshaking.delete(key);
    c.stream = socket;
    this.bySocket.set(socket, c);
    // Handshake done: the header deadline starts now, unless a request is already being served.
    if (c.active === 0) this.waiting(c);
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    const c = this.bySocket.get(req.socket);
    if (c === undefined || c.closed) return;
    c.active++;
    this.idle.delete(c);
    clearTimeout(c.timer);
    c.timer = undefined;
    res.once('close', () => {
      c.active--;
      if (c.active === 0 && !c.closed) this.waiting(c);
    });
  }

  /** The connection waits for a request: it becomes the newest waiting one and its header deadline starts. */
  private waiting(c: Connection): void {
    const queue = c.spoke ? this.idle : this.silent;
    queue.delete(c);
    queue.add(c);
    this.deadline(c, this.limits.headerTimeout, 'header_timeout');
  }

  private deadline(c: Connection, ms: number, reason: ConnectionCloseReason): void {
    clearTimeout(c.timer);
    c.timer = setTimeout(() => {
      // Like Node's own header timeout: a 408 if the socket can still take it, then close.
      if (reason === 'header_timeout' && c.stream?.writable) c.stream.write(TIMEOUT_RESPONSE);
      this.close(c, reason);
    }, ms);
    c.timer.unref();
  }

  private close(c: Connection, reason: ConnectionCloseReason): void {
    this.forget(c);
    c.socket.destroy();
    this.onClosed(reason);
  }

  private forget(c: Connection): void {
    if (c.closed) return;
    c.closed = true;
    this.open--;
    this.silent.delete(c);
    this.idle.delete(c);
    clearTimeout(c.timer);
    if (c.peer !== undefined && this.handshaking.get(c.peer) === c) this.handshaking.delete(c.peer);
  }
}

function ignore(): void {}

function peer(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}
