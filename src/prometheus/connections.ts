import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionCloseReason } from './self-metrics.js';

export interface ConnectionLimits {
  /** Open connections; at the limit a newcomer closes the connection idle longest. */
  readonly maxConnections: number;
  /** From "ready for a request" to complete headers, in ms. */
  readonly headerTimeout: number;
}

/** One TCP connection. For HTTPS, `socket` is the TCP socket under the TLS socket: closing it closes both. */
interface Connection {
  readonly socket: Socket;
  /** HTTPS: peer address and port, to find this connection again from its TLS socket. */
  readonly peer: string | undefined;
  /** The socket requests arrive on (the TLS socket once its handshake is done); `undefined` while handshaking. */
  stream: Socket | undefined;
  /** Requests received and not yet answered (more than one when the client pipelines). */
  active: number;
  /** Closes the connection if no complete request arrives in time; set while `active` is 0. */
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
 * `/metrics` and `/healthz` for 30–40 s. Here every connection waiting for a request (new, mid-headers,
 * mid-TLS-handshake, or idle between keep-alive requests) is in `idle` in the order it started waiting. At
 * `maxConnections` a newcomer closes the one that has waited longest, so a flood of idle connections only ever
 * evicts itself while a probe that sends its request at once is served. Each waiting connection also has its
 * own timer: headers not complete `headerTimeout` after the connection became ready get 408 and a close.
 */
export class ConnectionGuard {
  private readonly idle = new Set<Connection>();
  private readonly bySocket = new WeakMap<Socket, Connection>();
  /** HTTPS: TCP connections whose TLS socket is not known yet, by peer address and port. */
  private readonly handshaking = new Map<string, Connection>();
  private open = 0;

  constructor(
    server: Server,
    private readonly limits: ConnectionLimits,
    private readonly onClosed: (reason: ConnectionCloseReason) => void,
    tls: boolean,
  ) {
    server.on('connection', (socket: Socket) => this.connected(socket, tls));
    if (tls) server.on('secureConnection', (socket: Socket) => this.secured(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.request(req, res));
  }

  /** Connections open now (for tests and benchmarks). */
  get size(): number {
    return this.open;
  }

  /**
   * Closes every connection waiting for a request, including TLS handshakes that `server.closeAllConnections()`
   * does not know of (they are not HTTP connections yet), so closing the server never waits for them.
   */
  closeIdle(): void {
    for (const c of this.idle) {
      this.forget(c);
      c.socket.destroy();
    }
  }

  private connected(socket: Socket, tls: boolean): void {
    if (this.open >= this.limits.maxConnections) {
      const oldest = this.idle.values().next().value;
      if (oldest === undefined) {
        socket.destroy();
        this.onClosed('over_capacity');
        return;
      }
      this.close(oldest, 'evicted');
    }
    const c: Connection = {
      socket,
      peer: tls ? peer(socket) : undefined,
      stream: tls ? undefined : socket,
      active: 0,
      timer: undefined,
      closed: false,
    };
    this.open++;
    this.bySocket.set(socket, c);
    if (c.peer !== undefined) this.handshaking.set(c.peer, c);
    socket.once('close', () => this.forget(c));
    this.waiting(c);
  }

  private secured(socket: Socket): void {
    const key = peer(socket);
    const c = this.handshaking.get(key);
    if (c === undefined) return;
    this.handshaking.delete(key);
    c.stream = socket;
    this.bySocket.set(socket, c);
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

  /** The connection waits for a request: it becomes the newest idle one and its header deadline starts. */
  private waiting(c: Connection): void {
    this.idle.delete(c);
    this.idle.add(c);
    clearTimeout(c.timer);
    c.timer = setTimeout(() => {
      // Like Node's own header timeout: a 408 if the socket can still take it, then close.
      if (c.stream?.writable) c.stream.write(TIMEOUT_RESPONSE);
      this.close(c, 'header_timeout');
    }, this.limits.headerTimeout);
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
    this.idle.delete(c);
    clearTimeout(c.timer);
    if (c.peer !== undefined && this.handshaking.get(c.peer) === c) this.handshaking.delete(c.peer);
  }
}

function peer(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}
