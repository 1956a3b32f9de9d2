import type { Attributes, HrTime } from '@opentelemetry/api';
import type { ExponentialHistogram } from '@opentelemetry/sdk-metrics';
import type { Exemplar } from '../exemplars.js';

/** Exponential bucket settings of one stream. */
export interface ExponentialSettings {
  /** Buckets per sign (positive, negative) at most; the scale goes down when a new value would need more. */
  readonly maxSize: number;
  /** The scale a series starts at (the finest resolution it ever has), −10 … 20. */
  readonly maxScale: number;
}

/** The OTel SDK's defaults (spec: max size 160, max scale 20). */
export const EXPONENTIAL_DEFAULTS: ExponentialSettings = Object.freeze({ maxSize: 160, maxScale: 20 });
/** The data model's scale range. */
export const MIN_SCALE = -10;
export const MAX_SCALE = 20;

// The bits of a float64, for exact base-2 exponents (Math.log2 rounds near powers of two).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;
const TWO_52 = 2 ** 52;

/**
 * The bucket index of `v` (finite, > 0) at `scale`: bucket `i` holds (base^i, base^(i+1)] with
 * base = 2^(2^−scale), so i = ceil(log2(v)·2^scale) − 1. Powers of two (bucket upper bounds at every scale) are
 * placed from the exponent bits alone; for other values the logarithm's rounding is confined to the values'
 * own octave, so neighbours of a power of two land on the right side of it too.
 */
export function bucketIndex(v: number, scale: number): number {
  f64[0] = v;
  let hi = u32[HI]!;
  let biased = hi >>> 20;
  let shift = 0;
  if (biased === 0) {
    // Subnormal: scale into the normal range to read its exponent.
    f64[0] = v * TWO_52;
    hi = u32[HI]!;
    biased = hi >>> 20;
    shift = 52;
  }
  const e = biased - 1023 - shift;
  const exact = (hi & 0xfffff) === 0 && u32[LO] === 0;
  if (scale <= 0) return (exact ? e - 1 : e) >> -scale;
  if (exact) return (e << scale) - 1;
  // v is strictly inside (2^e, 2^(e+1)): its index is within [e·2^scale, (e+1)·2^scale − 1].
  const i = Math.floor(Math.log2(v) * 2 ** scale);
  const low = e << scale;
  const high = ((e + 1) << scale) - 1;
  return Math.min(Math.max(i, low), high);
}

/** The lower bound of bucket `index` at `scale` (its upper bound is the next index's lower bound). */
export function lowerBound(index: number, scale: number): number {
  return scale <= 0 ? 2 ** (index * 2 ** -scale) : 2 ** (index / 2 ** scale);
}

/** One sign's buckets as a reader sees them: consecutive counts from bucket index `offset` on. */
export interface SignBuckets {
  readonly offset: number;
  readonly counts: readonly number[];
}

/**
 * Exponential buckets as explicit ones with exact bounds, for readers that only know explicit buckets (the
 * instruments API's `snapshot()`, the test kit): an empty bucket up to the most negative bucket's bound, the
 * negative buckets (most negative first, each up to −lowerBound), the zero bucket (…, 0], an empty bucket up to
 * the first positive bucket's lower bound, each positive bucket, and an empty `+Inf`. The empty edges give
 * quantile interpolation the lower bound of the first populated bucket.
 */
export function explicitBuckets(
  scale: number,
  zeroCount: number,
  positive: SignBuckets,
  negative?: SignBuckets,
): { boundaries: number[]; counts: number[] } {
  const boundaries: number[] = [];
  const counts: number[] = [];
  if (negative !== undefined && negative.counts.length > 0) {
    const last = negative.offset + negative.counts.length - 1;
    boundaries.push(-lowerBound(last + 1, scale));
    counts.push(0);
    for (let i = negative.counts.length - 1; i >= 0; i--) {
      boundaries.push(-lowerBound(negative.offset + i, scale));
      counts.push(negative.counts[i]!);
    }
  }
  boundaries.push(0);
  counts.push(zeroCount);
  if (positive.counts.length > 0) {
    boundaries.push(lowerBound(positive.offset, scale));
    counts.push(0);
    for (let i = 0; i < positive.counts.length; i++) {
      boundaries.push(lowerBound(positive.offset + i + 1, scale));
      counts.push(positive.counts[i]!);
    }
  }
  counts.push(0);
  return { boundaries, counts };
}

/** One sign's buckets: consecutive counts from bucket index `offset` on. */
class Buckets {
  offset = 0;
  counts: number[] = [];
  /** Latest exemplar per bucket index, only once one was kept. */
  exemplars: Map<number, Exemplar> | undefined = undefined;

  /** The downscale needed so `index` fits with the buckets in use within `maxSize` (0: it fits). */
  changeFor(index: number, maxSize: number): number {
    const n = this.counts.length;
    if (n === 0 || (index >= this.offset && index < this.offset + n)) return 0;
    let low = Math.min(this.offset, index);
    let high = Math.max(this.offset + this.counts.length - 1, index);
    let change = 0;
    while (high - low + 1 > maxSize) {
      low >>= 1;
      high >>= 1;
      change++;
    }
    return change;
  }

  increment(index: number): void {
    const n = this.counts.length;
    if (n === 0) {
      this.offset = index;
      this.counts.push(1);
      return;
    }
    const at = index - this.offset;
    if (at >= 0 && at < n) {
      this.counts[at]!++;
    } else if (at >= n) {
      for (let i = n; i < at; i++) this.counts.push(0);
      this.counts.push(1);
    } else {
      const grown = new Array<number>(-at).fill(0);
      grown[0] = 1;
      this.counts = grown.concat(this.counts);
      this.offset = index;
    }
  }

  /** Merges buckets pairwise `change` times (scale − change). */
  downscale(change: number): void {
    if (change === 0) return;
    if (this.counts.length > 0) {
      const offset = this.offset >> change;
      const counts: number[] = [];
      for (let i = 0; i < this.counts.length; i++) {
        const at = ((this.offset + i) >> change) - offset;
        counts[at] = (counts[at] ?? 0) + this.counts[i]!;
      }
      this.offset = offset;
      this.counts = counts;
    }
    if (this.exemplars !== undefined) {
      const merged = new Map<number, Exemplar>();
      for (const [index, e] of this.exemplars) {
        const at = index >> change;
        const other = merged.get(at);
        if (other === undefined || other.timestamp <= e.timestamp) merged.set(at, e);
      }
      this.exemplars = merged;
    }
  }

  /** A copy for export: offset and counts, exactly as the data model wants them. */
  copy(): { offset: number; bucketCounts: number[] } {
    return { offset: this.offset, bucketCounts: [...this.counts] };
  }
}

/**
 * A pre-bound series with base-2 exponential buckets (OTel data model, `ExponentialHistogramDataPoint`): it
 * starts at `maxScale` and halves its resolution (scale − 1, neighbouring buckets merged) whenever a value would
 * need more than `maxSize` buckets on its side of zero. Zeros are counted apart; negative values have their own
 * buckets at the same scale.
 */
export class ExponentialHistogramSeries {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  zeroCount = 0;
  scale: number;
  readonly positive = new Buckets();
  readonly negative = new Buckets();
  zeroExemplar: Exemplar | undefined = undefined;

  constructor(
    readonly settings: ExponentialSettings,
    /** Handed out unchanged on every collection, so serializers can cache label strings per object. */
    readonly attributes: Attributes,
    readonly startTime: HrTime,
  ) {
    this.scale = settings.maxScale;
  }

  /** Adds `value`; NaN and ±Infinity have no bucket and are left out. */
  record(value: number): void {
    if (!Number.isFinite(value)) return;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value === 0) {
      this.zeroCount++;
      return;
    }
    const buckets = value > 0 ? this.positive : this.negative;
    this.bucketFor(buckets, value > 0 ? value : -value);
    buckets.increment(this.index);
  }

  /** Keeps `exemplar` as the latest of the bucket its value falls in. */
  keep(exemplar: Exemplar): void {
    const v = exemplar.value;
    if (!Number.isFinite(v)) return;
    if (v === 0) {
      this.zeroExemplar = exemplar;
      return;
    }
    const buckets = v > 0 ? this.positive : this.negative;
    this.bucketFor(buckets, v > 0 ? v : -v);
    buckets.exemplars ??= new Map();
    buckets.exemplars.set(this.index, exemplar);
  }

  /** Exemplars in value order: negative buckets (most negative first), zero, positive. */
  *exemplars(): Generator<Exemplar> {
    if (this.negative.exemplars) {
      yield* [...this.negative.exemplars].sort((a, b) => b[0] - a[0]).map(([, e]) => e);
    }
    if (this.zeroExemplar) yield this.zeroExemplar;
    if (this.positive.exemplars) {
      yield* [...this.positive.exemplars].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
    }
  }

  /** The data point value: a copy, so an exporter holding it never sees it change. */
  snapshot(): ExponentialHistogram {
    return {
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
      scale: this.scale,
      zeroCount: this.zeroCount,
      positive: this.positive.copy(),
      negative: this.negative.copy(),
    };
  }

  /** Set by `bucketFor`: the index of the value last placed (saves allocating a result). */
  private index = 0;

  /** Places `magnitude` on `buckets`, downscaling both signs first when it would not fit. */
  private bucketFor(buckets: Buckets, magnitude: number): void {
    let index = bucketIndex(magnitude, this.scale);
    const change = buckets.changeFor(index, this.settings.maxSize);
    if (change > 0) {
      this.positive.downscale(change);
      this.negative.downscale(change);
      this.scale -= change;
      index >>= change;
    }
    this.index = index;
  }
}

/**
 * The change since `previous` (an earlier snapshot of the same series) as a delta value, at the current scale:
 * the earlier counts are downscaled first when the series has lost resolution since. Min and max of the
 * interval are unknown (the series keeps lifetime extremes), so they are left out, which the data model allows.
 */
export function exponentialDelta(
  now: ExponentialHistogram,
  previous: ExponentialHistogram,
): ExponentialHistogram {
  const change = previous.scale - now.scale;
  return {
    count: now.count - previous.count,
    sum: (now.sum ?? 0) - (previous.sum ?? 0),
    scale: now.scale,
    zeroCount: now.zeroCount - previous.zeroCount,
    positive: subtract(now.positive, previous.positive, change),
    negative: subtract(now.negative, previous.negative, change),
  };
}

function subtract(
  now: ExponentialHistogram['positive'],
  previous: ExponentialHistogram['positive'],
  change: number,
): ExponentialHistogram['positive'] {
  const counts = [...now.bucketCounts];
  for (let i = 0; i < previous.bucketCounts.length; i++) {
    const at = ((previous.offset + i) >> change) - now.offset;
    // Buckets only merge and counts only grow, so every earlier bucket maps into the current range.
    if (at >= 0 && at < counts.length) counts[at]! -= previous.bucketCounts[i]!;
  }
  return { offset: now.offset, bucketCounts: counts };
}
