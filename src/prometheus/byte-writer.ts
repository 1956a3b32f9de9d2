import { formatValue } from './labels.js';

// Written by hand rather than with string concatenation: the serializer fills preallocated chunks byte by byte
// (docs/benchmarks.md, "Prometheus endpoint"), and these are its primitives.
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
const MINUS = 0x2d;
const ZERO = 0x30;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Output buffer: the current chunk plus the finished ones. `ensure(n)` guarantees `n` free bytes, starting a
 * new chunk when the current one cannot take them, so a series is never split and `write` never truncates.
 */
export class ByteWriter {
  buf: Buffer;
  off = 0;
  done: Buffer[] = [];

  constructor(private readonly chunkSize: number) {
    this.buf = Buffer.allocUnsafe(chunkSize);
  }

  ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(n, this.chunkSize));
  }

  bytes(src: Buffer): void {
    this.ensure(src.length);
    this.off = cp(this.buf, this.off, src);
  }

  flush(): void {
    if (this.off === 0) return;
    this.done.push(this.buf.subarray(0, this.off));
    this.buf = Buffer.allocUnsafe(this.chunkSize);
    this.off = 0;
  }

  take(): Buffer[] {
    const out = this.done;
    this.done = [];
    return out;
  }
}

/**
 * Copies `src[from..]` into `b` at `off`. Short sources (names, `le` parts) are copied by a loop: for a few
 * dozen bytes that is cheaper than `Buffer#copy`'s argument checks and a native call.
 */
export function cp(b: Buffer, off: number, src: Buffer, from = 0): number {
  const n = src.length;
  if (n - from < 48) {
    for (let i = from; i < n; i++) b[off++] = src[i]!;
    return off;
  }
  b.set(from === 0 ? src : src.subarray(from), off);
  return off + n - from;
}

export function copyLabels(b: Buffer, off: number, start: number, end: number, hasLabels: boolean): number {
  if (!hasLabels) return off;
  b[off++] = OPEN_BRACE;
  b.copyWithin(off, start, end);
  off += end - start;
  b[off++] = CLOSE_BRACE;
  return off;
}

/** Writes a sample value; safe integers digit by digit, anything else through `formatValue`. */
export function writeNumber(b: Buffer, off: number, v: number): number {
  if (Number.isInteger(v) && v <= MAX_SAFE && v >= -MAX_SAFE) {
    let x = v;
    if (x < 0) {
      b[off++] = MINUS;
      x = -x;
    }
    if (x < 10) {
      b[off++] = ZERO + x;
      return off;
    }
    let digits = 1;
    for (let t = x; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = off + digits;
    while (x > 0) {
      const q = Math.floor(x / 10);
      b[--p] = ZERO + (x - q * 10);
      x = q;
    }
    return off + digits;
  }
  const s = formatValue(v);
  for (let i = 0; i < s.length; i++) b[off + i] = s.charCodeAt(i);
  return off + s.length;
}
