/**
 * The protobuf wire level of the Prometheus protobuf exposition: field tags of prometheus/client_model's
 * `io/prometheus/client/metrics.proto`, varints, label pairs, exemplar messages, and `ProtoWriter`, which writes
 * delimited messages into chunks. What the messages say (families, native histograms) is `protobuf.ts`.
 */
import type { HrTime } from '@opentelemetry/api';
import type { Exemplar } from '../exemplars.js';
import { PROM_EXEMPLAR_SPAN_ID, PROM_EXEMPLAR_TRACE_ID } from '../semconv.js';
import { cp } from './byte-writer.js';

// Field tags (field number << 3 | wire type) of metrics.proto; wire types: 0 varint, 1 64-bit, 2 length-delimited.
export const FAMILY_NAME = 0x0a;
export const FAMILY_HELP = 0x12;
export const FAMILY_TYPE = 0x18;
export const FAMILY_METRIC = 0x22;
export const FAMILY_UNIT = 0x2a;
export const METRIC_LABEL = 0x0a;
export const METRIC_GAUGE = 0x12;
export const METRIC_COUNTER = 0x1a;
export const METRIC_SUMMARY = 0x22;
export const METRIC_HISTOGRAM = 0x3a;
export const PAIR_NAME = 0x0a;
export const PAIR_VALUE = 0x12;
export const VALUE = 0x09; // Gauge.value, Counter.value, Quantile.quantile
export const COUNTER_EXEMPLAR = 0x12;
export const COUNTER_CREATED = 0x1a;
export const SUMMARY_COUNT = 0x08;
export const SUMMARY_SUM = 0x11;
export const SUMMARY_QUANTILE = 0x1a;
export const SUMMARY_CREATED = 0x22;
export const QUANTILE_VALUE = 0x11;
export const HISTOGRAM_COUNT = 0x08;
export const HISTOGRAM_SUM = 0x11;
export const HISTOGRAM_BUCKET = 0x1a;
export const HISTOGRAM_SCHEMA = 0x28;
export const HISTOGRAM_ZERO_THRESHOLD = 0x31;
export const HISTOGRAM_ZERO_COUNT = 0x38;
export const HISTOGRAM_NEGATIVE_SPAN = 0x4a;
export const HISTOGRAM_NEGATIVE_DELTA = 0x52;
export const HISTOGRAM_POSITIVE_SPAN = 0x62;
export const HISTOGRAM_POSITIVE_DELTA = 0x6a;
export const HISTOGRAM_CREATED = 0x7a;
// Field 16 needs a two-byte tag.
export const HISTOGRAM_EXEMPLARS = [0x82, 0x01] as const;
export const BUCKET_COUNT = 0x08;
export const BUCKET_UPPER_BOUND = 0x11;
export const BUCKET_EXEMPLAR = 0x1a;
export const SPAN_OFFSET = 0x08;
export const SPAN_LENGTH = 0x10;
export const EXEMPLAR_LABEL = 0x0a;
export const EXEMPLAR_VALUE = 0x11;
export const EXEMPLAR_TIMESTAMP = 0x1a;
export const TIMESTAMP_SECONDS = 0x08;
export const TIMESTAMP_NANOS = 0x10;

/** Headroom before a family for its length prefix (a varint of at most 5 bytes for 32-bit lengths). */
export const PREFIX = 5;
export const TRACE_ID_NAME = Buffer.from(PROM_EXEMPLAR_TRACE_ID);
export const SPAN_ID_NAME = Buffer.from(PROM_EXEMPLAR_SPAN_ID);

export function writeExemplar(w: ProtoWriter, tag: readonly number[], e: Exemplar): void {
  for (const t of tag) w.byte(t);
  const m = w.reserve();
  writePair(w, EXEMPLAR_LABEL, TRACE_ID_NAME, e.traceId);
  writePair(w, EXEMPLAR_LABEL, SPAN_ID_NAME, e.spanId);
  w.double(EXEMPLAR_VALUE, e.value);
  const seconds = Math.floor(e.timestamp / 1000);
  w.timestamp(EXEMPLAR_TIMESTAMP, [seconds, Math.round((e.timestamp - seconds * 1000) * 1e6)]);
  w.end(m);
}

export function writePair(w: ProtoWriter, tag: number, name: Buffer, value: string): void {
  const p = w.begin(tag);
  w.byte(PAIR_NAME);
  w.varint(name.length);
  w.bytes(name);
  w.byte(PAIR_VALUE);
  const len = Buffer.byteLength(value);
  w.varint(len);
  w.off += w.buf.write(value, w.off);
  w.end(p);
}

export function zigzag(n: number): number {
  return n >= 0 ? 2 * n : -2 * n - 1;
}

export function varintSize(n: number): number {
  let size = 1;
  while (n > 127) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** A length-delimited string field. */
export function stringField(tag: number, value: string): Buffer {
  const len = Buffer.byteLength(value);
  const b = Buffer.allocUnsafe(1 + varintSize(len) + len);
  b[0] = tag;
  const off = writeVarint(b, 1, len);
  b.write(value, off);
  return b;
}

/**
 * Repeated `LabelPair` fields from a text label string (`a="x",b="y\\"z"`, names also in `"…"` quotes): the
 * same names and values the text formats write, unescaped.
 */
export function encodePairs(labels: string): Buffer {
  const pairs: string[] = [];
  let i = 0;
  while (i < labels.length) {
    let name: string;
    if (labels[i] === '"') {
      [name, i] = unquote(labels, i);
    } else {
      const eq = labels.indexOf('=', i);
      if (eq === -1) break;
      name = labels.slice(i, eq);
      i = eq;
    }
    // labels[i] is '='.
    let value: string;
    [value, i] = unquote(labels, i + 1);
    if (labels[i] === ',') i++;
    pairs.push(name, value);
  }
  // Sizes first, then one buffer: this runs once per new series, 10k times on a first 10k-series scrape.
  const lengths: number[] = [];
  let total = 0;
  for (let k = 0; k < pairs.length; k += 2) {
    const n = Buffer.byteLength(pairs[k]!);
    const v = Buffer.byteLength(pairs[k + 1]!);
    const inner = 2 + varintSize(n) + n + varintSize(v) + v;
    lengths.push(n, v, inner);
    total += 1 + varintSize(inner) + inner;
  }
  const b = Buffer.allocUnsafe(total);
  let off = 0;
  for (let k = 0, l = 0; k < pairs.length; k += 2, l += 3) {
    b[off++] = METRIC_LABEL;
    off = writeVarint(b, off, lengths[l + 2]!);
    b[off++] = PAIR_NAME;
    off = writeVarint(b, off, lengths[l]!);
    off += b.write(pairs[k]!, off);
    b[off++] = PAIR_VALUE;
    off = writeVarint(b, off, lengths[l + 1]!);
    off += b.write(pairs[k + 1]!, off);
  }
  return b;
}

/** The `"…"` string at `text[i]`, unescaped, and the index after its closing quote. */
export function unquote(text: string, i: number): [string, number] {
  let out = '';
  let k = i + 1;
  while (k < text.length) {
    const c = text[k]!;
    if (c === '"') return [out, k + 1];
    if (c === '\\' && k + 1 < text.length) {
      const next = text[k + 1]!;
      out += next === 'n' ? '\n' : next;
      k += 2;
    } else {
      out += c;
      k++;
    }
  }
  return [out, k];
}

export function writeVarint(b: Buffer, off: number, n: number): number {
  while (n > 127) {
    b[off++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  b[off++] = n;
  return off;
}

/**
 * Output for delimited messages: chunks handed out as they fill, and the family being written, which moves to
 * a fresh buffer whole when it outgrows the current one (its length prefix is written last, into headroom).
 * `ensure(n)` before a metric guarantees room for it; nested messages get a one-byte length that is widened
 * in place (a short memmove) when a message turns out longer than 127 bytes.
 */
export class ProtoWriter {
  buf: Buffer;
  off = 0;
  /** Start of the bytes not handed out yet. */
  private from = 0;
  /** Start of the current family's headroom, or -1 between families. */
  private family = -1;
  private done: Buffer[] = [];

  constructor(private readonly chunkSize: number) {
    this.buf = Buffer.allocUnsafe(chunkSize);
  }

  ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const keepFrom = this.family === -1 ? this.off : this.family;
    if (keepFrom > this.from) this.done.push(this.buf.subarray(this.from, keepFrom));
    const kept = this.off - keepFrom;
    const next = Buffer.allocUnsafe(Math.max(this.chunkSize, 2 * (kept + n)));
    this.buf.copy(next, 0, keepFrom, this.off);
    this.buf = next;
    this.from = 0;
    if (this.family !== -1) this.family = 0;
    this.off = kept;
  }

  beginFamily(header: Buffer): void {
    this.ensure(PREFIX + header.length);
    this.family = this.off;
    this.off += PREFIX;
    this.bytes(header);
  }

  /** Writes the family's length prefix right before its body, closing the headroom's gap. */
  endFamily(): void {
    const start = this.family + PREFIX;
    const length = this.off - start;
    const at = this.family;
    const size = varintSize(length);
    writeVarint(this.buf, at, length);
    this.buf.copyWithin(at + size, start, this.off);
    this.off = at + size + length;
    this.family = -1;
    if (this.off - this.from >= this.chunkSize) this.cut();
  }

  /** Chunks finished so far. */
  take(): Buffer[] {
    const out = this.done;
    this.done = [];
    return out;
  }

  flush(): void {
    this.cut();
  }

  private cut(): void {
    if (this.off > this.from) this.done.push(this.buf.subarray(this.from, this.off));
    this.from = this.off;
  }

  byte(v: number): void {
    this.buf[this.off++] = v;
  }

  /** Copies `src`; the caller made room with `ensure()` (which must not run inside a metric: it may move it). */
  bytes(src: Buffer): void {
    this.off = cp(this.buf, this.off, src);
  }

  varint(n: number): void {
    const b = this.buf;
    let off = this.off;
    while (n > 127) {
      // `&` keeps the low 7 bits even above 2^32 (ToInt32 wraps modulo 2^32); `>>>` only works below it.
      b[off++] = (n & 127) | 0x80;
      n = n > 0xffffffff ? Math.floor(n / 128) : n >>> 7;
    }
    b[off++] = n;
    this.off = off;
  }

  varintField(tag: number, n: number): void {
    this.buf[this.off++] = tag;
    this.varint(n);
  }

  double(tag: number, v: number): void {
    this.buf[this.off++] = tag;
    this.off = this.buf.writeDoubleLE(v, this.off);
  }

  /** A `google.protobuf.Timestamp` field from `[seconds, nanoseconds]`; nothing for the zero time. */
  timestamp(tag: number, time: HrTime): void {
    // Indexed, not destructured: array destructuring runs the iterator protocol, measurably slower here.
    const seconds = time[0];
    const nanos = time[1];
    if (seconds === 0 && nanos === 0) return;
    const m = this.begin(tag);
    if (seconds !== 0) this.varintField(TIMESTAMP_SECONDS, seconds);
    if (nanos !== 0) this.varintField(TIMESTAMP_NANOS, Math.min(nanos, 999_999_999));
    this.end(m);
  }

  /** Starts a `Metric` of the family with its label pairs (scope's, then the series'); returns its mark. */
  metric(scope: Buffer, pairs: Buffer): number {
    const m = this.begin(FAMILY_METRIC);
    this.bytes(scope);
    this.bytes(pairs);
    return m;
  }

  /** Starts a nested message: its tag and a one-byte length placeholder; returns the placeholder's offset. */
  begin(tag: number): number {
    this.buf[this.off++] = tag;
    return this.reserve();
  }

  reserve(): number {
    return this.off++;
  }

  end(mark: number): void {
    const length = this.off - mark - 1;
    if (length < 128) {
      this.buf[mark] = length;
      return;
    }
    const size = varintSize(length);
    this.buf.copyWithin(mark + size, mark + 1, this.off);
    writeVarint(this.buf, mark, length);
    this.off += size - 1;
  }
}
