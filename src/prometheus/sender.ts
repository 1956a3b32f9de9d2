import type { ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Body } from './scrape.js';
import type { ConnectionCloseReason } from './self-metrics.js';

export interface SendLimits {
  /** Time a client has to take a whole body, in ms. */
  readonly sendTimeout: number;
  /** Body bytes held for unfinished sends, over all connections (a shared body counts once). */
  readonly maxQueuedBytes: number;
}

/**
 * Longest stretch of writing before yielding to the event loop, in ms. A burst of scrapes that share one body
 * all become ready at the same moment; 200 of them writing their bodies in one go (on loopback, the kernel
 * delivers each write to the reader inside the write call) blocked the application for over 100 ms.
 */
const SLICE_MS = 8;

interface Send {
  readonly res: ServerResponse;
  readonly body: Body;
  /** Set when the sender closed the connection, and why. */
  cut: ConnectionCloseReason | undefined;
}

/**
 * Sends scrape bodies to clients that may not read them.
 *
 * Writing a whole body at once queues all of it on the socket and keeps it in memory for as long as the client
 * does not read: 40 clients that never read a 100k-series scrape held +520 MB and were never closed. Here a
 * body is written as the socket drains, and a client that has not taken all of it within `sendTimeout` is
 * disconnected. The memory a slow client pins is the body itself (the chunks stay referenced until the send
 * ends), so the bodies held by unfinished sends are also bounded: a send that would take the total over
 * `maxQueuedBytes` first disconnects the sends running longest (the slowest readers; a fast one is long done).
 * Bodies shared by several clients (coalesced or cached scrapes) count once. Room is made before a new body is
 * produced as well (`reserve`), so slow readers never make the process hold an old body and a new one at once.
 */
export class BodySender {
  /** Unfinished sends, oldest first. */
  private readonly sends = new Set<Send>();
  /** Bodies held by unfinished sends, with how many sends hold each. */
  private readonly held = new Map<Body, number>();
  private heldBytes = 0;
  /**
   * Size of the latest uncompressed body sent: what the next collection is expected to build (every production
   * builds the uncompressed exposition, whatever encoding it then sends).
   */
  private latestPlainBytes = 0;
  /** When the current stretch of writing must yield; 0 = no stretch under way in this turn of the loop. */
  private sliceEnds = 0;

  constructor(
    private readonly limits: SendLimits,
    private readonly onClosed: (reason: ConnectionCloseReason) => void,
  ) {}

  /**
   * Writes `body` and ends `res`. Resolves when the last byte is with the operating system or the connection is
   * gone: with the reason when this sender cut it, else `undefined`.
   */
  async send(res: ServerResponse, body: Body): Promise<ConnectionCloseReason | undefined> {
    if (body.encoding === undefined) this.latestPlainBytes = body.bytes;
    if (!this.held.has(body)) this.makeRoom(body.bytes, body);
    const send: Send = { res, body, cut: undefined };
    this.hold(send);
    const timer = setTimeout(() => this.cut(send, 'send_timeout'), this.limits.sendTimeout);
    timer.unref();
    try {
      for (const chunk of body.chunks) {
        await this.pace();
        if (res.destroyed) break;
        if (!res.write(chunk)) await settled(res, 'drain');
      }
      if (!res.destroyed) {
        res.end();
        if (!res.writableFinished) await settled(res, 'finish');
      }
    } finally {
      clearTimeout(timer);
      this.release(send);
    }
    return send.cut;
  }

  /** Shares out the event loop between sends: after SLICE_MS of writing in one turn, waits for the next. */
  private async pace(): Promise<void> {
    for (;;) {
      const now = performance.now();
      if (this.sliceEnds === 0) {
        this.sliceEnds = now + SLICE_MS;
        setImmediate(() => {
          this.sliceEnds = 0;
        });
        return;
      }
      if (now < this.sliceEnds) return;
      await nextTurn();
    }
  }

  /**
   * Call before a new collection: makes room for a body as large as the latest uncompressed one, so the bodies
   * of the sends it cuts can be freed before the new one is built (40 non-reading clients, each arriving after
   * the previous collection, otherwise held the old 43 MB body while the next was made).
   */
  reserve(): void {
    this.makeRoom(this.latestPlainBytes);
  }

  /** Cuts the longest-running sends (except those of `keep`) until `bytes` more fit under `maxQueuedBytes`. */
  private makeRoom(bytes: number, keep?: Body): void {
    for (const send of this.sends) {
      if (this.heldBytes + bytes <= this.limits.maxQueuedBytes) return;
      if (send.body !== keep) this.cut(send, 'queue_full');
    }
  }

  private cut(send: Send, reason: ConnectionCloseReason): void {
    if (send.cut !== undefined) return;
    send.cut = reason;
    this.release(send);
    send.res.destroy();
    this.onClosed(reason);
  }

  private hold(send: Send): void {
    this.sends.add(send);
    const holders = this.held.get(send.body) ?? 0;
    if (holders === 0) this.heldBytes += send.body.bytes;
    this.held.set(send.body, holders + 1);
  }

  private release(send: Send): void {
    if (!this.sends.delete(send)) return;
    const holders = (this.held.get(send.body) ?? 1) - 1;
    if (holders > 0) this.held.set(send.body, holders);
    else {
      this.held.delete(send.body);
      this.heldBytes -= send.body.bytes;
    }
  }
}

/** Resolves on `event` ('drain': `res` can take more; 'finish': its last byte is with the OS) or on close. */
function settled(res: ServerResponse, event: 'drain' | 'finish'): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off(event, done);
      res.off('close', done);
      resolve();
    };
    res.on(event, done);
    res.on('close', done);
  });
}
