import { once } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createDeflate, createGzip, type Deflate, type Gzip } from 'node:zlib';
import type { CollectionResult, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ExpositionStats } from './exposition-stats.js';
import type { EscapingScheme } from './naming.js';
import type { Encoding, WireFormat } from './negotiation.js';
import type { ProtobufSerializer } from './protobuf.js';

/** An exposition format, or `json`: the live page's view of the OpenMetrics exposition of the same collection. */
export type BodyFormat = WireFormat | 'json';

/** What the endpoint needs: something that collects (a MetricReader). */
export interface MetricsSource {
  collect(options?: { timeoutMillis?: number }): Promise<CollectionResult>;
}

export interface ScrapeOptions {
  /** Bodies smaller than this are not compressed, in bytes. */
  readonly compressionThreshold: number;
  /** Reuse a finished scrape for this long after it finished, in ms; `0` = off. */
  readonly cacheTtl: number;
  /** Requests arriving within this long of a collection's start share it, even once it finished, in ms. */
  readonly coalesceWindow: number;
  /** A scrape slower than this fails with `timeout`, in ms. */
  readonly scrapeTimeout: number;
  /** Largest uncompressed body, in bytes. */
  readonly maxResponseBytes: number;
}

export interface ScrapeHooks {
  /** Called with every finished collection (errors are the SDK's per-callback failures). */
  onCollected?(errors: readonly unknown[]): void;
  /** Called once per served exposition format with what it contained and the data it was made from. */
  onExposition?(stats: ExpositionStats, metrics: ResourceMetrics): void;
}

/**
 * How the latest collection ended: `ok`, `failed` (the SDK's collect rejected), `timeout` (not finished within
 * `scrapeTimeout`), or `none` before the first one ended.
 */
export type CollectionState = 'none' | 'ok' | 'failed' | 'timeout';

/** A response body ready to send. */
export interface Body {
  readonly chunks: readonly Buffer[];
  readonly bytes: number;
  readonly encoding: Encoding | undefined;
}

/** Why a scrape produced no body; the endpoint maps each kind to a status code. */
export class ScrapeError extends Error {
  constructor(
    readonly kind: 'collection_failed' | 'timeout' | 'response_too_large',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ScrapeError';
  }
}

/**
 * gzip/deflate level. Level 1 (`Z_BEST_SPEED`): on the benchmark's 10k-series exposition (4.5 MB) it takes
 * 4.6 ms for 22.5× compression, while the default level 6 takes 31 ms for 31× — exposition text is so
 * repetitive that the fastest matcher already finds nearly everything, and scrape CPU is the application's
 * (`bench/prometheus-gzip-levels.js`, docs/benchmarks.md).
 */
export const COMPRESSION_LEVEL = 1;

/**
 * zlib's output buffer per round trip to the thread pool. The default 16 KiB makes a 5 MB exposition take dozens
 * of hand-offs between the pool and the main thread; 256 KiB measured 10.0 ms against 11.4–13.8 ms for the
 * default on the 10k-series OpenMetrics body (2026-12-02, quiet 2-core VM).
 */
const COMPRESSION_CHUNK = 256 * 1024;

/** Longest stretch of serialization before yielding to the event loop, in ms. */
const SLICE_MS = 8;

/**
 * Produces scrape bodies: collects, serializes in time slices, compresses, and shares the work.
 *
 * Coalescing: scrapes that arrive while one is in progress, or within `coalesceWindow` of its start, join it
 * (one collection, one serialization per format, one compression per format and encoding). The window is what
 * makes a burst of fast scrapes share: a 10k-series scrape is over in tens of milliseconds, sooner than a
 * burst of 200 clients has finished arriving (`bench/prometheus-burst.js`). With `cacheTtl` a finished scrape
 * is also reused until it is that old. Once neither holds, the production is released by a timer, so its
 * bodies do not stay in memory until the next scrape. A scrape that times out is abandoned: nobody joins it
 * any more, its serialization stops at the next slice, and its late result is dropped with it.
 */
export class ScrapeProducer {
  private current: Production | undefined;
  private latest: CollectionState = 'none';

  constructor(
    private readonly source: MetricsSource,
    private readonly serializer: ProtobufSerializer,
    private readonly options: ScrapeOptions,
    private readonly hooks: ScrapeHooks = {},
  ) {}

  /** How the latest collection ended; `/readyz` answers from it. */
  get state(): CollectionState {
    return this.latest;
  }

  /** The body for this format, encoding and escaping scheme; rejects with `ScrapeError`. */
  async body(
    format: BodyFormat,
    encoding: Encoding | undefined,
    escaping: EscapingScheme = 'underscores',
  ): Promise<Body> {
    const production = this.join();
    return this.bounded(production, production.body(format, encoding, this.serializer.escapingFor(escaping)));
  }

  /** Runs (or joins) a collection only; for readiness before the first scrape. */
  async collect(): Promise<void> {
    const production = this.join();
    await this.bounded(production, production.collection);
  }

  /**
   * A request arriving now would share a production already started (in progress, within the coalescing
   * window, or cached) instead of starting a collection. Such a request costs no collection and no
   * serialization of its own, so the endpoint admits it past the concurrency limit.
   */
  get joinable(): boolean {
    return this.shareable() !== undefined;
  }

  private shareable(): Production | undefined {
    const now = performance.now();
    const c = this.current;
    if (
      c !== undefined &&
      !c.failed &&
      (c.pending > 0 ||
        now - c.startedAt < this.options.coalesceWindow ||
        (c.finishedAt !== undefined && now - c.finishedAt < this.options.cacheTtl))
    ) {
      return c;
    }
    return undefined;
  }

  private join(): Production {
    const shared = this.shareable();
    if (shared !== undefined) return shared;
    const production = new Production(this.source, this.serializer, this.options, this.hooks, (state) => {
      this.latest = state;
    });
    this.current = production;
    return production;
  }

  /** Forgets `production` once no new request may join it any more. */
  private release(production: Production): void {
    if (production.expiry !== undefined) return;
    const now = performance.now();
    const until = production.failed
      ? now
      : Math.max(production.startedAt + this.options.coalesceWindow, now + this.options.cacheTtl);
    const forget = () => {
      if (this.current === production) this.current = undefined;
    };
    if (until <= now) forget();
    else production.expiry = setTimeout(forget, until - now).unref();
  }

  private async bounded<T>(production: Production, work: Promise<T>): Promise<T> {
    production.pending++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (!production.collected) this.latest = 'timeout';
        production.abandon();
        if (this.current === production) this.current = undefined;
        reject(
          new ScrapeError(
            'timeout',
            `metrics collection did not finish within ${this.options.scrapeTimeout} ms (prometheus.scrapeTimeout)`,
          ),
        );
      }, this.options.scrapeTimeout);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      production.pending--;
      if (production.pending === 0) {
        production.finishedAt ??= performance.now();
        this.release(production);
      }
    }
  }
}

/** One collection and the bodies made from it. */
class Production {
  pending = 0;
  failed = false;
  /** The collection settled (either way). */
  collected = false;
  readonly startedAt = performance.now();
  finishedAt: number | undefined;
  /** The timer that forgets this production (ScrapeProducer.release). */
  expiry: NodeJS.Timeout | undefined;
  private abandoned = false;
  readonly collection: Promise<CollectionResult>;
  private readonly expositions = new Map<string, Promise<Body>>();
  private readonly bodies = new Map<string, Promise<Body>>();
  /** Compressions fed slice by slice while their exposition is serialized, by exposition key. */
  private readonly early = new Map<string, EarlyCompression[]>();

  constructor(
    source: MetricsSource,
    private readonly serializer: ProtobufSerializer,
    private readonly options: ScrapeOptions,
    private readonly hooks: ScrapeHooks,
    onSettled: (state: 'ok' | 'failed') => void,
  ) {
    // Callbacks registered through our meters have their own deadline, below the scrape timeout
    // (callback-guard.ts): a hung one is dropped from the collection and counted, and the scrape is served.
    // The SDK's timeout is the backstop for anything else, so an abandoned collection still ends.
    this.collection = source
      .collect({ timeoutMillis: 2 * options.scrapeTimeout })
      .then(async (result) => {
        await result.resourceMetrics.resource.waitForAsyncAttributes?.();
        this.collected = true;
        // A late result after the timeout leaves the state at `timeout`: the scrape did fail.
        if (!this.abandoned) {
          onSettled('ok');
          hooks.onCollected?.(result.errors);
        }
        return result;
      })
      .catch((err: unknown) => {
        this.collected = true;
        this.failed = true;
        if (!this.abandoned) onSettled('failed');
        throw new ScrapeError('collection_failed', 'metrics collection failed', { cause: err });
      });
    // Joined lazily; a rejection nobody awaits (e.g. after a timeout) must not become an unhandled one.
    this.collection.catch(() => undefined);
  }

  abandon(): void {
    this.abandoned = true;
  }

  body(format: BodyFormat, encoding: Encoding | undefined, escaping: EscapingScheme): Promise<Body> {
    const key = `${format}/${escaping}/${encoding ?? 'identity'}`;
    let body = this.bodies.get(key);
    if (body === undefined) {
      // Compressing while serializing: the thread pool compresses each slice while the event loop writes the
      // next, instead of starting once the whole exposition is written (bench/cluster-phases.js, timeline).
      // Only for an exposition not started yet; one that is under way or done is compressed whole.
      const expositionKey = `${format}/${escaping}`;
      let early: EarlyCompression | undefined;
      if (encoding !== undefined && format !== 'json' && !this.expositions.has(expositionKey)) {
        early = new EarlyCompression(encoding, this.options.compressionThreshold);
        const list = this.early.get(expositionKey) ?? [];
        list.push(early);
        this.early.set(expositionKey, list);
      }
      body = this.exposition(format, escaping).then(
        (plain) => {
          if (encoding === undefined || plain.bytes < this.options.compressionThreshold) {
            early?.discard();
            return plain;
          }
          return early !== undefined ? early.finish(plain) : compress(plain.chunks, encoding);
        },
        (err: unknown) => {
          early?.discard();
          throw err;
        },
      );
      body.catch(() => undefined);
      this.bodies.set(key, body);
    }
    return body;
  }

  private exposition(format: BodyFormat, escaping: EscapingScheme): Promise<Body> {
    const key = `${format}/${escaping}`;
    let exposition = this.expositions.get(key);
    if (exposition === undefined) {
      exposition =
        format === 'json'
          ? this.exposition('openmetrics', escaping).then((b) => this.json(b))
          : this.serialize(format, escaping);
      exposition.catch(() => undefined);
      this.expositions.set(key, exposition);
    }
    return exposition;
  }

  /**
   * The JSON view of the OpenMetrics body, so page and scrape show the same names and values. The view's code
   * (and the exposition parser it uses) loads on the first request for it, not at start-up.
   */
  private async json(openMetrics: Body): Promise<Body> {
    const { metricsView } = await import('./metrics-view.js');
    const text = Buffer.concat(openMetrics.chunks as Buffer[], openMetrics.bytes).toString('utf8');
    const json = Buffer.from(JSON.stringify(metricsView(text, Date.now())));
    if (json.length > this.options.maxResponseBytes) {
      throw new ScrapeError(
        'response_too_large',
        `metrics JSON view exceeds prometheus.maxResponseBytes (${this.options.maxResponseBytes} bytes)`,
      );
    }
    return { chunks: [json], bytes: json.length, encoding: undefined };
  }

  /**
   * Serializes in slices of at most SLICE_MS, yielding to the event loop between them, so a 100k-series
   * scrape never blocks the application for its whole length.
   */
  private async serialize(format: WireFormat, escaping: EscapingScheme): Promise<Body> {
    const { resourceMetrics } = await this.collection;
    const stats: ExpositionStats = { series: 0, overflow: new Map() };
    const chunks: Buffer[] = [];
    let bytes = 0;
    let sliceStart = performance.now();
    /** Where the current slice starts in `chunks`. */
    let sliceFrom = 0;
    const early = this.early.get(`${format}/${escaping}`);
    const handOff = () => {
      if (early === undefined) return;
      // Chunk by chunk, not concatenated: a copy of a 50 MB exposition is memory pressure the heap pays for in GC.
      for (let i = sliceFrom; i < chunks.length; i++) for (const e of early) e.take(chunks[i]!);
      sliceFrom = chunks.length;
    };
    for (const chunk of this.serializer.chunks(resourceMetrics, format, stats, escaping)) {
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes > this.options.maxResponseBytes) {
        throw new ScrapeError(
          'response_too_large',
          `metrics response exceeds prometheus.maxResponseBytes (${this.options.maxResponseBytes} bytes); ` +
            'raise the limit or reduce series (cardinality limits, attribute allow-lists)',
        );
      }
      if (performance.now() - sliceStart > SLICE_MS) {
        handOff();
        await nextTurn();
        if (this.abandoned) throw new ScrapeError('timeout', 'scrape abandoned after its timeout');
        sliceStart = performance.now();
      }
    }
    handOff();
    if (!this.abandoned) this.hooks.onExposition?.(stats, resourceMetrics);
    return { chunks, bytes, encoding: undefined };
  }
}

/** Compresses on the libuv thread pool, chunk by chunk, so the event loop stays free. */
async function compress(chunks: readonly Buffer[], encoding: Encoding): Promise<Body> {
  const c = new Compression(encoding);
  for (const chunk of chunks) c.write(chunk);
  return c.end();
}

/** A compression on the libuv thread pool, fed as the data comes. */
class Compression {
  private readonly z: Gzip | Deflate;
  private readonly out: Buffer[] = [];
  private bytes = 0;
  private readonly ended: Promise<unknown>;

  constructor(private readonly encoding: Encoding) {
    this.z =
      encoding === 'gzip'
        ? createGzip({ level: COMPRESSION_LEVEL, chunkSize: COMPRESSION_CHUNK })
        : createDeflate({ level: COMPRESSION_LEVEL, chunkSize: COMPRESSION_CHUNK });
    this.z.on('data', (c: Buffer) => {
      this.out.push(c);
      this.bytes += c.length;
    });
    this.ended = once(this.z, 'end');
  }

  write(chunk: Buffer): void {
    this.z.write(chunk);
  }

  async end(): Promise<Body> {
    this.z.end();
    await this.ended;
    return { chunks: this.out, bytes: this.bytes, encoding: this.encoding };
  }

  destroy(): void {
    this.ended.catch(() => undefined);
    this.z.destroy();
  }
}

/**
 * A compression started while its exposition is serialized: it takes each serialized slice, and starts once
 * they add up to the compression threshold (a smaller body is sent as it is).
 */
class EarlyCompression {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private compression: Compression | undefined;
  private dropped = false;

  constructor(
    private readonly encoding: Encoding,
    private readonly threshold: number,
  ) {}

  take(slice: Buffer): void {
    if (this.dropped) return;
    if (this.compression !== undefined) {
      this.compression.write(slice);
      return;
    }
    this.pending.push(slice);
    this.pendingBytes += slice.length;
    if (this.pendingBytes < this.threshold) return;
    this.compression = new Compression(this.encoding);
    for (const p of this.pending) this.compression.write(p);
    this.pending = [];
  }

  /** The compressed body of `plain`, whose every slice this took. */
  finish(plain: Body): Promise<Body> {
    if (this.compression === undefined) return compress(plain.chunks, this.encoding);
    return this.compression.end();
  }

  discard(): void {
    this.dropped = true;
    this.pending = [];
    this.compression?.destroy();
  }
}
